import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BarUniverse, Ticker } from '@quantbot/core';
import { ticker } from '@quantbot/core';
import { EXECUTION_PROFILES } from '@quantbot/execution-sim';
import type { ExecutionProfile } from '@quantbot/execution-sim';
import type { TradingDayInput } from '@quantbot/research-registry';
import { SmaCrossover } from '@quantbot/strategies';
import type { StopRequests } from './drive-session';
import { decideLiveStart } from './live-start';
import type { LiveCheckpoint } from './live-checkpoint';
import { tradeOnReplay } from './live-trading';
import { MemoryLiveStateStore } from './memory-live-state-store';
import { MINUTE, START, walk } from './minute-bars.spec-helper';
import { readTradingDayJournal, tradingDayJournalDigest } from './trading-day-journal';
import { TRADING_DAY_START_AUDIT_KIND, TradingDayNotLiveError, TradingDayRecorder } from './trading-day-recorder';
import type { TradingDayOutcome } from './trading-day-recorder';

const SYMBOLS: readonly Ticker[] = [ticker('AAA'), ticker('BBB')];
const PARAMS = { fast: 2, slow: 5, allowShort: false };
const BARS_PER_DAY = 390;
const DAY_MS = 86_400_000;
const WARMUP = 10;
const SESSION = 'paper-days';

/** `days` regular sessions of minute bars (09:30-15:59 New York) on consecutive weekdays from Tuesday 2024-03-05. */
function sessions(days: number, seed: number): BarUniverse {
  const u = walk(days * BARS_PER_DAY, seed, SYMBOLS);
  const time = new Float64Array(u.length).map((_, k) => START + Math.floor(k / BARS_PER_DAY) * DAY_MS + (k % BARS_PER_DAY) * MINUTE);
  return { ...u, time };
}

function noStop(): StopRequests {
  return { on: () => () => undefined };
}

describe('TradingDayRecorder: the days a session trades, recorded from its journal', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'quantbot-days-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  async function trade(
    store: MemoryLiveStateStore,
    data: BarUniverse,
    options: {
      readonly profile?: ExecutionProfile;
      readonly stopAfter?: number;
      readonly checkpoint?: LiveCheckpoint;
      readonly wallClock?: () => number;
      /** Called before each write; throwing fails it (the registry unreachable). */
      readonly beforeRecord?: (day: TradingDayInput) => void;
    } = {},
  ): Promise<{ readonly recorded: TradingDayInput[]; readonly outcomes: TradingDayOutcome[] }> {
    const recorded: TradingDayInput[] = [];
    const outcomes: TradingDayOutcome[] = [];
    // The wall clock follows the bars (a live session), unless the test says otherwise.
    let clock = START;
    const now = options.wallClock ?? ((): number => clock);
    const days = new TradingDayRecorder({
      sessionId: SESSION,
      store,
      stage: 'paper',
      capitalStage: null,
      profile: options.profile ?? EXECUTION_PROFILES.idealistic,
      now,
      record: async (day) => {
        options.beforeRecord?.(day);
        recorded.push(day);
      },
      onOutcome: (outcome) => outcomes.push(outcome),
    });
    const outcome = await tradeOnReplay({
      sessionId: SESSION,
      strategy: new SmaCrossover(PARAMS, SYMBOLS.length),
      params: PARAMS,
      sizing: { kind: 'fixed-shares', shares: 10 },
      gateway: { limits: {}, killSwitch: {} },
      checkpoint: options.checkpoint,
      latencyClock: () => 0,
      store,
      now,
      notify: (notice) => {
        if (notice.kind === 'step') clock = notice.report.time + MINUTE;
      },
      stop: noStop(),
      killFile: join(dir, 'KILL'),
      killFilePollMs: 60_000,
      data,
      warmupBars: WARMUP,
      intervalMs: 0,
      startingCash: 100_000,
      days,
      ...(options.stopAfter !== undefined ? { stopAfter: options.stopAfter } : {}),
    });
    expect(outcome.kind).toBe('stopped');
    return { recorded, outcomes };
  }

  it('records every day complete, tied to the digest of its journal, with its P&L chained day to day and no drift from the same simulator', async () => {
    const store = new MemoryLiveStateStore();
    const { recorded, outcomes } = await trade(store, sessions(3, 7));
    expect(outcomes.filter((o) => o.kind === 'failed')).toEqual([]);
    expect(recorded.map((d) => [d.date, d.complete])).toEqual([
      ['2024-03-05', true],
      ['2024-03-06', true],
      ['2024-03-07', true],
    ]);
    for (const day of recorded) {
      // The digest is the journal's: anyone can re-check it against the state store.
      expect(day.journalDigest).toBe(tradingDayJournalDigest(await readTradingDayJournal(store, SESSION, day.date)));
      expect(day.dailyPnl).toBeCloseTo(day.equity - day.startEquity, 9);
      expect(day).toMatchObject({ sessionId: SESSION, stage: 'paper', capitalStage: null });
      expect(day.execution.orders).toBeGreaterThan(0);
      expect(day.execution.fills).toBeGreaterThan(0);
      expect(day.shadowOrders).toHaveLength(day.execution.orders);
      // Paper on the simulator itself, shadowed by the same simulator: no drift.
      expect(day.drift).not.toBeNull();
      expect(Math.abs(day.drift?.returnGap ?? Number.NaN)).toBeLessThan(1e-9);
      expect(Math.abs(day.drift?.slippageGapBps ?? 0)).toBeLessThan(1e-6);
      expect(day.drift?.fillRateGap ?? 0).toBeCloseTo(0, 9);
      expect(day.maxGrossExposure).toBeGreaterThan(0);
    }
    expect(recorded[1]?.startEquity).toBe(recorded[0]?.equity);
    expect(recorded[2]?.startEquity).toBe(recorded[1]?.equity);
  }, 60_000);

  it('a journal edited after the day changes its digest', async () => {
    const store = new MemoryLiveStateStore();
    const { recorded } = await trade(store, sessions(1, 3));
    const day = recorded[0] as TradingDayInput;
    const journal = await readTradingDayJournal(store, SESSION, day.date);
    const fill = journal.fills[0];
    expect(fill).toBeDefined();
    const edited = { ...journal, fills: [{ ...(fill as (typeof journal.fills)[number]), price: (fill?.price ?? 0) + 0.01 }, ...journal.fills.slice(1)] };
    expect(tradingDayJournalDigest(edited)).not.toBe(day.journalDigest);
    expect(tradingDayJournalDigest(journal)).toBe(day.journalDigest);
  }, 60_000);

  it('a stop mid-day records it partial; a restart the same day keeps its opening equity and records it complete', async () => {
    const store = new MemoryLiveStateStore();
    const data = sessions(2, 11);
    // Day 1 (after the warm-up) and 100 bars of day 2.
    const first = await trade(store, data, { stopAfter: BARS_PER_DAY - WARMUP + 100 });
    expect(first.recorded.map((d) => [d.date, d.complete])).toEqual([
      ['2024-03-05', true],
      ['2024-03-06', false],
    ]);
    const partial = first.recorded[1] as TradingDayInput;
    const audited = (await store.audit(SESSION)).filter((a) => a.kind === TRADING_DAY_START_AUDIT_KIND);
    expect(audited.map((a) => a.detail['date'])).toEqual(['2024-03-05', '2024-03-06']);

    const decision = await decideLiveStart(store, SESSION, START + 2 * DAY_MS);
    expect(decision.kind).toBe('resume');
    const second = await trade(store, data, { checkpoint: decision.kind === 'resume' ? decision.checkpoint : undefined });
    expect(second.recorded.map((d) => [d.date, d.complete])).toEqual([['2024-03-06', true]]);
    const complete = second.recorded[0] as TradingDayInput;
    // The morning before the restart counts: the opening equity is the audited one.
    expect(complete.startEquity).toBe(partial.startEquity);
    expect(complete.execution.orders).toBeGreaterThanOrEqual(partial.execution.orders);
    expect(complete.journalDigest).toBe(tradingDayJournalDigest(await readTradingDayJournal(store, SESSION, '2024-03-06')));
  }, 60_000);

  it('bars traded long after their time (a replay of the past) are not recorded as evidence', async () => {
    const store = new MemoryLiveStateStore();
    const { recorded, outcomes } = await trade(store, sessions(1, 5), { wallClock: () => START + 30 * DAY_MS });
    expect(recorded).toEqual([]);
    const failed = outcomes.find((o) => o.kind === 'failed');
    expect(failed?.kind === 'failed' ? failed.error : undefined).toBeInstanceOf(TradingDayNotLiveError);
    expect(String(failed?.kind === 'failed' ? (failed.error as Error).message : '')).toContain('2024-03-05 was not traded live');
  }, 60_000);

  it('a harsher shadow profile than the fills shows drift: the simulator fills worse than paper did', async () => {
    const store = new MemoryLiveStateStore();
    const { recorded } = await trade(store, sessions(1, 9), { profile: EXECUTION_PROFILES.stressed });
    const drift = recorded[0]?.drift;
    expect(drift).toBeDefined();
    expect(drift?.ordersCompared).toBeGreaterThan(0);
    // Paper filled at the open (idealistic); the stressed shadow pays spread and impact: paper was better.
    expect(drift?.slippageGapBps ?? 0).toBeLessThan(0);
    expect(drift?.returnGap ?? 0).toBeGreaterThan(0);
  }, 60_000);

  it('a day whose write failed (the registry unreachable) is written at the next close', async () => {
    const store = new MemoryLiveStateStore();
    let failures = 0;
    const { recorded, outcomes } = await trade(store, sessions(2, 13), {
      beforeRecord: (day) => {
        if (day.date === '2024-03-05' && failures++ === 0) throw new Error('connect ECONNREFUSED 127.0.0.1:5432');
      },
    });
    expect(outcomes.map((o) => (o.kind === 'failed' ? `failed ${o.date}` : `recorded ${o.day.date}`))).toEqual(['failed 2024-03-05', 'recorded 2024-03-06', 'recorded 2024-03-05']);
    expect(recorded.map((d) => [d.date, d.complete])).toEqual([
      ['2024-03-06', true],
      ['2024-03-05', true],
    ]);
    expect(recorded[1]?.journalDigest).toBe(tradingDayJournalDigest(await readTradingDayJournal(store, SESSION, '2024-03-05')));
  }, 60_000);
});
