import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '@quantbot/core';
import { openLiveStateStore, parseLiveCheckpoint } from '@quantbot/live';
import { createLogger } from '@quantbot/observability';
import { runCommand } from './run-command';
import type { RunDeps } from './run-command';
import { manualStopSignal } from './stop-signal';
import type { StopSignal } from './stop-signal';
import { dropTestSchema } from '@quantbot/storage/testing';
import type { CliIo } from '@quantbot/cli';

const SERVER = process.env['TEST_DATABASE_URL'];
let schemaCounter = 0;

function capture(cwd: string): CliIo & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, cwd, out: (t) => stdout.push(t), err: (t) => stderr.push(t) };
}

describe('live-trader run --broker sim (state on the Postgres server when TEST_DATABASE_URL is set, else embedded)', () => {
  let cwd: string;
  let env: Record<string, string | undefined>;
  let stateFlags: string[];

  beforeEach(() => {
    cwd = mkdtempSync(join(tmpdir(), 'quantbot-run-'));
    schemaCounter++;
    if (SERVER !== undefined && SERVER !== '') {
      env = { DATABASE_URL: SERVER };
      stateFlags = ['--state-schema', `live_run_${process.pid}_${schemaCounter}`];
    } else {
      env = {};
      stateFlags = ['--state-dir', join(cwd, 'state')];
    }
  });
  afterEach(async () => {
    if (SERVER !== undefined && SERVER !== '') await dropTestSchema(SERVER, stateFlags[1] as string);
    rmSync(cwd, { recursive: true, force: true });
  });

  const deps = (stop: StopSignal = manualStopSignal()): RunDeps => ({
    env,
    now: () => Date.parse('2024-03-05T15:00:00Z'),
    monotonic: () => performance.now(),
    stop,
    logger: createLogger({ logFile: join(cwd, 'results', 'logs', 'live-trader.log'), console: false }),
  });

  const run = async (args: string[], stop?: StopSignal, session = 'sim-1'): Promise<{ code: number; io: ReturnType<typeof capture> }> => {
    const io = capture(cwd);
    const d = deps(stop);
    try {
      const code = await runCommand(['--broker', 'sim', '--symbols', 'AAA,BBB', '--params', 'fast=5,slow=20,allowShort=true', '--session', session, ...stateFlags, ...args], io, d);
      return { code, io };
    } finally {
      await d.logger.close();
    }
  };

  const latest = async (session = 'sim-1') => {
    const opened = await openLiveStateStore({ env, cwd, ...(SERVER ? { schema: stateFlags[1] as string } : { dataDir: stateFlags[1] as string }) });
    try {
      const stored = await opened.store.latestCheckpoint(session);
      return { stored, fills: await opened.store.fills(session), setAside: await opened.store.setAsideCheckpoints(session), store: opened.store };
    } finally {
      await opened.close();
    }
  };

  it('trades, stops after N bars, and a restart continues to exactly where one uninterrupted run gets', async () => {
    const first = await run(['--stop-after', '120']);
    expect(first.io.stderr).toEqual([]);
    expect(first.code).toBe(0);
    const summary1 = JSON.parse(first.io.stdout.at(-1) as string) as { bars: number; liveSteps: number };
    expect(summary1).toMatchObject({ bars: 120, liveSteps: 120 });
    const second = await run(['--stop-after', '130']);
    expect(second.code).toBe(0);
    const resumed = parseLiveCheckpoint((await latest()).stored?.document);
    expect(resumed.version === 2 && resumed.liveSteps).toBe(250);

    const straight = await run(['--stop-after', '250'], undefined, 'sim-straight');
    expect(straight.code).toBe(0);
    const uninterrupted = parseLiveCheckpoint((await latest('sim-straight')).stored?.document);
    expect(resumed.ledger).toEqual(uninterrupted.ledger);
    expect(resumed.lastBarTime).toBe(uninterrupted.lastBarTime);
    const fills = (await latest()).fills;
    expect(fills.length).toBeGreaterThan(5);
    expect(fills.map((f) => f.fillKey)).toEqual((await latest('sim-straight')).fills.map((f) => f.fillKey.replace('sim-straight', 'sim-1')));
  }, 60_000);

  it("logs the strategy's notices through the trader's logger", async () => {
    const io = capture(cwd);
    const d = deps();
    try {
      const args = ['--broker', 'sim', '--symbols', 'AAA,BBB', '--strategy', 'ensemble', '--params', 'metaLearner=true,trainBars=30,refitEvery=5,minSamples=20', '--session', 'ens-1', ...stateFlags, '--stop-after', '40'];
      expect(await runCommand(args, io, d)).toBe(0);
    } finally {
      await d.logger.close();
    }
    const log = readFileSync(join(cwd, 'results', 'logs', 'live-trader.log'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { level: string; message: string; fields?: Record<string, string> });
    const notices = log.filter((l) => l.message === 'strategy notice');
    expect(notices.map((n) => [n.level, n.fields?.['strategy'], n.fields?.['code']])).toEqual([
      ['warn', 'ensemble', 'meta-learner-fallback'],
      ['warn', 'ensemble', 'meta-learner-fitted'],
    ]);
    expect(notices[0]?.fields?.['message']).toMatch(/^cannot fit \(too-few-samples\)/);
  }, 60_000);

  it('sets an unreadable checkpoint aside and refuses to trade, on this start and the next, until an operator acts', async () => {
    expect((await run(['--stop-after', '30'])).code).toBe(0);
    const opened = await openLiveStateStore({ env, cwd, ...(SERVER ? { schema: stateFlags[1] as string } : { dataDir: stateFlags[1] as string }) });
    await opened.store.save('sim-1', { checkpoint: { format: 'quantbot-live-checkpoint', version: 2, torn: true }, lastBarTime: 1, orders: [], fills: [], audit: [] }, Date.parse('2024-03-05T15:00:00Z'));
    await opened.close();

    const refused = await run(['--stop-after', '10']);
    expect(refused.code).toBe(3);
    expect(refused.io.stderr.join('\n')).toMatch(/refused: checkpoint \d+ is unreadable: checkpoint sessionId/);
    expect(refused.io.stderr.join('\n')).toMatch(/state accept --session sim-1 --checkpoint <seq>/);
    const after = await latest();
    expect(after.setAside).toHaveLength(1);
    expect(after.setAside[0]?.document).toMatchObject({ torn: true });
    // The previous good checkpoint is the latest again, yet the refusal stands: no silent fallback.
    expect(parseLiveCheckpoint(after.stored?.document).version).toBe(2);
    const again = await run(['--stop-after', '10']);
    expect(again.code).toBe(3);
    expect(again.io.stderr.join('\n')).toMatch(/has stood refused since/);
    // The old way around a refusal is gone.
    await expect(run(['--stop-after', '10', '--after-corrupt-checkpoint', 'start-fresh'])).rejects.toThrow(/after-corrupt-checkpoint/);
  }, 60_000);

  it('stops cleanly on a signal, saving the last whole bar', async () => {
    const stop = manualStopSignal();
    const running = run(['--interval-ms', '5'], stop);
    await new Promise((resolve) => setTimeout(resolve, 400));
    stop.stop();
    const { code, io } = await running;
    expect(code).toBe(0);
    const summary = JSON.parse(io.stdout.at(-1) as string) as { bars: number };
    expect(summary.bars).toBeGreaterThan(0);
    const saved = parseLiveCheckpoint((await latest()).stored?.document);
    expect(saved.version === 2 && saved.liveSteps).toBe(summary.bars);
  }, 60_000);

  describe('replayed files pass the data-quality gate, as a backtest\'s do', () => {
    /** 200 weekday bars from 2014-01-02 of a gentle walk; `jumpAt` (a line number) closes 80% higher. */
    function writeBars(name: string, jumpAt?: number): string {
      const rows = ['Date,Open,High,Low,Close,Volume'];
      const day = new Date(Date.UTC(2014, 0, 2));
      for (let i = 0; rows.length <= 200; i++) {
        if (day.getUTCDay() !== 0 && day.getUTCDay() !== 6) {
          const close = 100 + 5 * Math.sin(i / 7) * (rows.length + 1 === jumpAt ? 0 : 1) + (rows.length + 1 === jumpAt ? 80 : 0);
          rows.push(`${day.toISOString().slice(0, 10)},${close},${close + 1},${close - 1},${close},1000`);
        }
        day.setUTCDate(day.getUTCDate() + 1);
      }
      mkdirSync(join(cwd, 'bars'), { recursive: true });
      writeFileSync(join(cwd, 'bars', name), `${rows.join('\n')}\n`);
      return join('bars', name);
    }

    it('refuses data with an error under --data-quality strict, naming the file and line, before any state is opened', async () => {
      writeBars('aaa.csv', 151);
      writeBars('bbb.csv');
      await expect(run(['--data', 'bars', '--data-quality', 'strict', '--calendar', 'weekdays', '--stop-after', '10'])).rejects.toThrow(
        /data quality is strict and the data has 1 error\(s\):\n {2}bars\/aaa\.csv:151 2014-07-30 close: AAA .* move in one bar/,
      );
      expect(existsSync(join(cwd, 'state'))).toBe(false);
    }, 60_000);

    it('trades under the default (warn) and prints what the check found', async () => {
      writeBars('aaa.csv', 151);
      writeBars('bbb.csv');
      const { code, io } = await run(['--data', 'bars', '--calendar', 'weekdays', '--stop-after', '10']);
      expect(code).toBe(0);
      expect(io.stdout[0]).toBe('data: bars, 2 symbol(s) x 200 bars; data quality warn: 1 error(s), 2 warning(s), 0 note(s) against weekdays calendar');
    }, 60_000);
  });

  it('takes the data-quality halt settings from --data-halt, and refuses bad ones naming the flag', async () => {
    await expect(run(['--data-halt', 'spikeReturn=-1'])).rejects.toThrow('--data-halt spikeReturn: must be a number > 0, got -1');
    await expect(run(['--data-halt', 'maxMove=3'])).rejects.toThrow("--data-halt: unknown setting 'maxMove'; available: maxStalenessMs, spikeReturn, or off");
    expect((await run(['--data-halt', 'off', '--stop-after', '5'])).code).toBe(0);
    expect((await run(['--data-halt', 'spikeReturn=0.1,maxStalenessMs=86400000', '--stop-after', '5'], undefined, 'sim-2')).code).toBe(0);
  }, 60_000);

  it('refuses live money without every safeguard', async () => {
    const io = capture(cwd);
    await expect(runCommand(['--broker', 'sim', '--live'], io, deps())).rejects.toThrow(/live trading goes through --broker alpaca/);
    await expect(runCommand(['--broker', 'alpaca', '--symbols', 'AAA', '--live'], io, deps())).rejects.toThrow(ConfigError);
    await expect(runCommand(['--broker', 'alpaca', '--symbols', 'AAA', '--live', '--session', 's', '--confirm-live', 's'], io, deps())).rejects.toThrow(/must be capped/);
    await expect(runCommand(['--broker', 'alpaca', '--live', '--symbols', 'AAA', '--session', 's', '--confirm-live', 's', '--max-notional', '1000', '--max-position', '10'], io, deps())).rejects.toThrow(
      /needs the research-registry experiment/,
    );
    await expect(runCommand(['--broker', 'alpaca'], io, deps())).rejects.toThrow(/--symbols: required/);
    // A halt level that can never fire is no safeguard.
    await expect(
      runCommand(['--broker', 'alpaca', '--live', '--symbols', 'AAA', '--session', 's', '--confirm-live', 's', '--max-notional', '1000', '--max-position', '10', '--kill-switch', 'haltAtDrawdownPct=1000000'], io, deps()),
    ).rejects.toThrow('--kill-switch: the lowest halt level is 1000000%: a live session must halt at 25% or less');
  });
});
