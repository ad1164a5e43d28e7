// The compressor thread ending on its own (killed, out of memory) must fail the run's writes
// loudly (RUN_WRITE_FAILED), never leave a finish waiting for an answer that cannot come.
import type * as WorkerThreads from 'node:worker_threads';
import type { Worker as WorkerThread } from 'node:worker_threads';
import { QuantbotError } from '@quantbot/core';
import { ArtifactCompressor } from './artifact-compressor';

// Every thread the compressor starts, so that a test can end one from outside.
const threads: WorkerThread[] = [];
jest.mock('node:worker_threads', () => {
  const actual = jest.requireActual<typeof WorkerThreads>('node:worker_threads');
  class RecordedWorker extends actual.Worker {
    constructor(...args: ConstructorParameters<typeof actual.Worker>) {
      super(...args);
      threads.push(this);
    }
  }
  return { ...actual, Worker: RecordedWorker };
});

/** Ends the compressor's thread as a crash would: not through `close()`. */
async function killThread(): Promise<void> {
  const thread = threads[threads.length - 1];
  if (thread === undefined) throw new Error('no compressor thread was started');
  const exited = new Promise<void>((resolve) => thread.once('exit', () => resolve()));
  await thread.terminate();
  await exited;
}

function expectWriteFailed(error: unknown, message: RegExp): void {
  expect(error).toBeInstanceOf(QuantbotError);
  expect((error as QuantbotError).code).toBe('RUN_WRITE_FAILED');
  expect((error as QuantbotError).message).toMatch(message);
}

describe('ArtifactCompressor when its thread ends', () => {
  let compressor: ArtifactCompressor;
  beforeEach(() => {
    compressor = ArtifactCompressor.start({ minBytes: 16 });
  });
  afterEach(async () => {
    await compressor.close();
  });

  it('fails a finish that is waiting when the thread ends', async () => {
    const writer = compressor.artifact();
    writer.write('x'.repeat(100_000));
    const finishing = writer.finish();
    await killThread();
    const error = await finishing.then(
      () => undefined,
      (e: unknown) => e,
    );
    expectWriteFailed(error, /compressor thread ended \(exit code \d+\)/);
  });

  it('fails every later write, finish and equity curve at once when the thread ended with nothing waiting', async () => {
    const writer = compressor.artifact();
    writer.write('{"seq":1}\n');
    await killThread();
    let thrown: unknown;
    try {
      writer.write('{"seq":2}\n');
    } catch (error) {
      thrown = error;
    }
    expectWriteFailed(thrown, /compressor thread ended/);
    expectWriteFailed(await writer.finish().catch((e: unknown) => e), /compressor thread ended/);
    expectWriteFailed(await compressor.equityCsv({ time: [0, 86_400_000], equity: [100, 101] }).catch((e: unknown) => e), /compressor thread ended/);
    const live = compressor.liveEquityCsv([0, 86_400_000]);
    live.publish(2);
    expectWriteFailed(await live.finish().catch((e: unknown) => e), /compressor thread ended/);
  });

  it('says the compressor was closed, not that its thread failed, after close()', async () => {
    const writer = compressor.artifact();
    await compressor.close();
    let thrown: unknown;
    try {
      writer.write('{"seq":1}\n');
    } catch (error) {
      thrown = error;
    }
    expectWriteFailed(thrown, /the compressor was closed/);
  });
});
