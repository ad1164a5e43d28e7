import { Writable } from 'node:stream';
import { processIo } from './process-io';

/** A stream that takes `accept` writes, then fails every later one with `code`. */
function stream(accept: number, code?: string): Writable & { text: string } {
  let writes = 0;
  const out = new Writable({
    write(chunk: Buffer, _encoding, done) {
      writes++;
      if (code !== undefined && writes > accept) {
        done(Object.assign(new Error(`write ${code}`), { code }));
        return;
      }
      out.text += chunk.toString('utf8');
      done();
    },
  }) as Writable & { text: string };
  out.text = '';
  return out;
}

const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('processIo', () => {
  it('passes output through while stdout and stderr are open, and keeps the exit code', async () => {
    const stdout = stream(Infinity);
    const stderr = stream(Infinity);
    const { io, exitCode } = processIo('backtester', { stdout, stderr, cwd: '/tmp/x' });
    io.out('one');
    io.err('two');
    await settle();
    expect(stdout.text).toBe('one\n');
    expect(stderr.text).toBe('two\n');
    expect(io.cwd).toBe('/tmp/x');
    expect(io.progress).toBeUndefined();
    expect([exitCode(0), exitCode(2)]).toEqual([0, 2]);
  });

  it('stops printing to a stdout whose reader went away (EPIPE), says so once on stderr, and keeps the exit code', async () => {
    const stdout = stream(1, 'EPIPE');
    const stderr = stream(Infinity);
    const { io, exitCode } = processIo('backtester', { stdout, stderr, cwd: '.' });
    io.out('first');
    io.out('second');
    await settle();
    for (let k = 0; k < 5; k++) io.out(`more ${k}`);
    io.err('the command goes on');
    await settle();
    expect(stdout.text).toBe('first\n');
    expect(stderr.text).toBe('backtester: standard output was closed by its reader (EPIPE); the rest of what was to be printed there is not printed\nthe command goes on\n');
    expect([exitCode(0), exitCode(1)]).toEqual([0, 1]);
  });

  it('says on stderr that output was lost, and exits 1 instead of 0, when stdout fails otherwise (a full disk)', async () => {
    const stdout = stream(0, 'ENOSPC');
    const stderr = stream(Infinity);
    const { io, exitCode } = processIo('live-trader', { stdout, stderr, cwd: '.' });
    io.out('lost');
    await settle();
    expect(stderr.text).toBe('error: live-trader: cannot write to standard output (ENOSPC); what was to be printed there is lost\n');
    expect([exitCode(0), exitCode(5)]).toEqual([1, 5]);
  });

  it('stops writing to a stderr whose reader went away, without failing', async () => {
    const stdout = stream(Infinity);
    const stderr = stream(0, 'EPIPE');
    const { io, exitCode } = processIo('backtester', { stdout, stderr, cwd: '.', progress: true });
    io.err('gone');
    await settle();
    io.err('not written');
    io.out('still printed');
    await settle();
    expect(stdout.text).toBe('still printed\n');
    expect(stderr.text).toBe('');
    expect(io.progress).toBe(stderr);
    expect(exitCode(0)).toBe(0);
  });
});
