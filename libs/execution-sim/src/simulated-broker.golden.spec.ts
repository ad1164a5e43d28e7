// A pinned record of the simulator's behaviour: hundreds of seeded scenarios (every order type,
// cancels and replaces, participation caps, latency, liquidity rejects, all three profiles and
// the rules the profiles leave open) run through the broker, and a SHA-256 of every event and
// of the ledger. The digest was taken before the cost models were made pluggable; the default
// models must reproduce it bit for bit. It was re-taken once, on purpose, when market orders
// gained the buying-power check at submission (against the signal bar's close): that changes
// which orders are rejected, and when.
import { createHash } from 'node:crypto';
import type { OrderRequest, OrderSide, OrderType, TimeInForce } from '@quantbot/core';
import { PortfolioLedger, SeededRng, clientOrderId, isTerminalOrderStatus, ticker } from '@quantbot/core';
import type { BarSpec } from './broker-test-kit.spec-helper';
import { DAY_MS, RecordingSink, barTime, buildUniverse } from './broker-test-kit.spec-helper';
import { executionModelsFor } from './execution-models';
import type { ExecutionProfile } from './execution-profile';
import { resolveExecutionProfile } from './execution-profile';
import type { SimulatedBrokerOptions } from './simulated-broker';
import { SimulatedBroker } from './simulated-broker';

const SYMBOLS = [ticker('AAA'), ticker('BBB')];
const BARS = 60;
const TYPES: readonly OrderType[] = ['market', 'limit', 'stop', 'stop_limit', 'bracket'];

/** The profiles of the scenarios: the shipped ones, and variants of the rules they leave open. */
const GOLDEN_PROFILES: readonly ExecutionProfile[] = [
  resolveExecutionProfile('idealistic'),
  resolveExecutionProfile('idealistic', { feeBps: 10, intrabarPath: 'target-first' }),
  resolveExecutionProfile('realistic'),
  resolveExecutionProfile('realistic', { latencyMs: DAY_MS, limitFill: 'touch', intrabarPath: 'ohlc', maxParticipation: 0.01 }),
  resolveExecutionProfile('stressed'),
  resolveExecutionProfile('stressed', { rejectProbability: 0.2, latencyMs: DAY_MS / 2, feeBps: 5 }),
];

function pick<T>(rng: SeededRng, items: readonly T[]): T {
  return items[Math.floor(rng.nextFloat() * items.length)] as T;
}

function bars(rng: SeededRng): BarSpec[] {
  let close = 20 + rng.nextFloat() * 180;
  const out: BarSpec[] = [];
  for (let k = 0; k < BARS; k++) {
    const open = close * (1 + (rng.nextFloat() - 0.5) * 0.06);
    close = open * (1 + (rng.nextFloat() - 0.5) * 0.05);
    const high = Math.max(open, close) * (1 + rng.nextFloat() * 0.03);
    const low = Math.min(open, close) * (1 - rng.nextFloat() * 0.03);
    const volume = rng.nextFloat() < 0.1 ? 0 : Math.floor(rng.nextFloat() * (rng.nextFloat() < 0.5 ? 5_000 : 500_000));
    out.push([open, high, low, close, volume]);
  }
  return out;
}

/** One seeded scenario under `profile`, as a digest-ready text of every event and the ledger. */
function goldenScenario(profile: ExecutionProfile, seed: number, extra: Partial<SimulatedBrokerOptions> = {}): string {
  const rng = new SeededRng(seed);
  const universe = buildUniverse([bars(rng), bars(rng)], SYMBOLS);
  const ledger = new PortfolioLedger(SYMBOLS, pick(rng, [20_000, 200_000, 5_000_000]));
  const sink = new RecordingSink(ledger);
  const broker = new SimulatedBroker({ ...extra, universe, profile, seed });
  broker.connect(ledger, sink);
  const submitted: string[] = [];
  let next = 0;
  for (let k = 0; k < BARS; k++) {
    if (k > 0) broker.processBar(k);
    const actions = Math.floor(rng.nextFloat() * 4);
    for (let a = 0; a < actions; a++) {
      const roll = rng.nextFloat();
      if (roll < 0.7 || submitted.length === 0) {
        const s = Math.floor(rng.nextFloat() * SYMBOLS.length);
        const close = universe.close[s * universe.length + k] as number;
        const side: OrderSide = rng.nextFloat() < 0.5 ? 'buy' : 'sell';
        const isBuy = side === 'buy';
        const type = pick(rng, TYPES);
        const tif: TimeInForce = rng.nextFloat() < 0.3 ? 'day' : 'gtc';
        const qty = 1 + Math.floor(rng.nextFloat() * 2_000);
        const limit = close * (1 + (rng.nextFloat() - 0.5) * 0.08);
        const stop = close * (1 + (rng.nextFloat() - 0.5) * 0.08);
        const target = 0.002 + rng.nextFloat() * 0.06;
        const loss = 0.002 + rng.nextFloat() * 0.06;
        const bracketLimit = rng.nextFloat() < 0.5;
        const id = `o${next++}`;
        const order: OrderRequest = {
          clientOrderId: clientOrderId(id),
          symbol: SYMBOLS[s] as (typeof SYMBOLS)[number],
          side,
          type,
          qty,
          timeInForce: tif,
          decidedAt: barTime(k),
          decisionPrice: close,
          ...(type === 'limit' || type === 'stop_limit' || (type === 'bracket' && bracketLimit) ? { limitPrice: limit } : {}),
          ...(type === 'stop' || type === 'stop_limit' ? { stopPrice: stop } : {}),
          ...(type === 'bracket' ? { takeProfitPrice: close * (isBuy ? 1 + target : 1 - target), stopLossPrice: close * (isBuy ? 1 - loss : 1 + loss) } : {}),
        };
        submitted.push(id);
        broker.submit(order);
      } else {
        const base = submitted[Math.floor(rng.nextFloat() * submitted.length)] as string;
        const id = roll < 0.85 ? base + pick(rng, ['', '', '.tp', '.sl']) : base;
        const last = sink.updatesOf(id).at(-1);
        if (last !== undefined && isTerminalOrderStatus(last.status)) continue;
        if (roll < 0.85) broker.cancel(clientOrderId(id));
        else {
          const newId = `o${next++}`;
          submitted.push(newId);
          broker.replace(clientOrderId(id), { newClientOrderId: clientOrderId(newId), qty: 1 + Math.floor(rng.nextFloat() * 2_000) });
        }
      }
    }
  }
  broker.cancelAll('end of data');
  const positions = SYMBOLS.map((_, s) => ledger.qty(s));
  return JSON.stringify({ events: sink.events, cash: ledger.cash, positions });
}

/** SHA-256 over every scenario of every golden profile. */
function goldenDigest(scenarios: number, extra: (profile: ExecutionProfile) => Partial<SimulatedBrokerOptions> = () => ({})): string {
  const hash = createHash('sha256');
  for (const profile of GOLDEN_PROFILES) {
    for (let seed = 0; seed < scenarios; seed++) hash.update(goldenScenario(profile, seed, extra(profile))).update('\n');
  }
  return hash.digest('hex');
}

const GOLDEN_DIGEST = 'c67fa394683069afb0fc2d6964b6a123df289b1b6ac3cdc5a781eeb342cf22ba';

describe('SimulatedBroker (pinned behaviour)', () => {
  it('produces the recorded events across 6 profiles × 40 seeded scenarios', () => {
    expect(goldenDigest(40)).toBe(GOLDEN_DIGEST);
  });

  it('produces them with the default models passed explicitly', () => {
    expect(goldenDigest(40, (profile) => ({ models: executionModelsFor(profile) }))).toBe(GOLDEN_DIGEST);
  });

  it('exercises what it pins: every ending, partial fills, liquidity and buying-power rejects, brackets', () => {
    const statuses = new Set<string>();
    const reasons = new Set<string>();
    let legFills = 0;
    for (const profile of GOLDEN_PROFILES) {
      for (let seed = 0; seed < 40; seed++) {
        const { events } = JSON.parse(goldenScenario(profile, seed)) as { events: { kind: string; update?: { status: string; reason?: string }; fill?: { parentId?: string } }[] };
        for (const e of events) {
          if (e.update !== undefined) {
            statuses.add(e.update.status);
            if (e.update.reason !== undefined) reasons.add(e.update.reason.split(/[:\s]/)[0] as string);
          }
          if (e.fill?.parentId !== undefined) legFills++;
        }
      }
    }
    expect([...statuses].sort()).toEqual(['accepted', 'canceled', 'expired', 'filled', 'partially_filled', 'rejected', 'replaced']);
    expect([...reasons]).toEqual(expect.arrayContaining(['liquidity', 'insufficient', 'oco', 'day', 'canceled', 'replaced', 'end']));
    expect(legFills).toBeGreaterThan(50);
  });
});
