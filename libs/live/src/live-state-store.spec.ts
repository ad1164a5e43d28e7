import { ConfigError } from '@quantbot/core';
import type { JsonValue } from '@quantbot/core';
import type { Migration } from '@quantbot/storage';
import { STORAGE_MIGRATIONS, withTransaction } from '@quantbot/storage';
import type { Kysely, KyselyPlugin, PluginTransformQueryArgs, PluginTransformResultArgs, QueryResult, RootOperationNode, UnknownRow } from 'kysely';
import { OperationNodeTransformer, PrimitiveValueListNode, ValueNode, sql } from 'kysely';
import { describeStorageBackends } from '@quantbot/storage/testing';
import { KyselyLiveStateStore, openLiveStateStore } from './kysely-live-state-store';
import type { LiveAuditRecord, LiveFillRecord, LiveOrderRecord, LiveSaveBatch, LiveStateStore } from './live-state';
import { LiveStateError } from './live-state';
import type { LiveStateTables } from './live-state-schema';
import { LIVE_STATE_MIGRATIONS } from './live-state-schema';
import { INCIDENT_MIGRATIONS } from './incident-schema';
import { EMPTY_AUDIT_ANCHOR, chainLiveAudit } from './live-state-integrity';
import { MemoryLiveStateStore } from './memory-live-state-store';
import { decideLiveStart } from './live-start';

const MIGRATIONS: readonly Migration[] = [...STORAGE_MIGRATIONS, ...LIVE_STATE_MIGRATIONS, ...INCIDENT_MIGRATIONS];

const T0 = Date.parse('2024-06-03T13:30:00.000Z');
const MINUTE = 60_000;

/** Numbers a careless store would round: each must read back as the very same double. */
const AWKWARD = [0.1 + 0.2, 1e-9, 5e-324, 2.2250738585072014e-308, Number.MAX_VALUE, 1 / 3, 2 ** 53 + 2, 123_456_789.123_456_79, Number.EPSILON, 1e21, 187.12000000000003];

let sessionCount = 0;
/** A session id no other test uses (the database backends share one database per file). */
function newSession(label = 'paper'): string {
  sessionCount += 1;
  return `${label}-${sessionCount}`;
}

function order(overrides: Partial<LiveOrderRecord> = {}): LiveOrderRecord {
  return {
    clientOrderId: 'qb-1',
    symbol: 'AAPL',
    side: 'buy',
    type: 'market',
    qty: 100,
    filledQty: 0,
    status: 'new',
    decidedAt: T0,
    updatedAt: T0,
    reason: 'sma crossed up',
    decisionPrice: 187.05,
    limitPrice: null,
    stopPrice: null,
    timeInForce: 'gtc',
    ...overrides,
  };
}

function fill(overrides: Partial<LiveFillRecord> = {}): LiveFillRecord {
  return {
    fillKey: 'qb-1:1',
    clientOrderId: 'qb-1',
    symbol: 'AAPL',
    side: 'buy',
    qty: 100,
    price: 187.12,
    commission: 0.35,
    time: T0 + 1_500,
    recovered: false,
    ...overrides,
  };
}

function audit(kind: string, detail: { readonly [key: string]: JsonValue } = {}, time = T0): LiveAuditRecord {
  return { time, kind, detail };
}

function batch(bar: number, overrides: Partial<LiveSaveBatch> = {}): LiveSaveBatch {
  return {
    checkpoint: { version: 1, bar, cash: 100_000 - bar, positions: { AAPL: bar } },
    lastBarTime: T0 + bar * MINUTE,
    orders: [],
    fills: [],
    audit: [],
    ...overrides,
  };
}

/** Everything a store holds for a session, to compare before and after. */
async function stateOf(store: LiveStateStore, sessionId: string): Promise<unknown> {
  return {
    latest: await store.latestCheckpoint(sessionId),
    setAside: await store.setAsideCheckpoints(sessionId),
    orders: await store.orders(sessionId),
    fills: await store.fills(sessionId),
    audit: await store.audit(sessionId),
  };
}

/** A readable version-1 checkpoint document of `session` at bar `bar`. */
function liveDocument(session: string, bar: number): JsonValue {
  return {
    format: 'quantbot-live-checkpoint',
    version: 1,
    sessionId: session,
    strategy: { name: 'sma-crossover', params: { fast: 5, slow: 20 } },
    symbols: ['AAPL'],
    lastBarTime: T0 + bar * MINUTE,
    ledger: { startingCash: 100_000, cash: 100_000 - bar, fees: 0, realizedPnl: 0, positions: [{ symbol: 'AAPL', qty: bar, averageCost: 1, mark: 1, realizedPnl: 0 }] },
  };
}

/** The `LiveStateError` the promise rejects with (anything else fails the test). */
async function refusal(promise: Promise<unknown>): Promise<LiveStateError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof LiveStateError) return error;
    throw error;
  }
  throw new Error('expected a LiveStateError, but the call succeeded');
}

async function latestSeq(store: LiveStateStore, sessionId: string): Promise<number> {
  const latest = await store.latestCheckpoint(sessionId);
  if (latest === undefined) throw new Error(`session ${sessionId} has no checkpoint`);
  return latest.seq;
}

/** The behaviour every `LiveStateStore` shares, declared against a fresh store per test. */
function describeLiveStateStoreBehaviour(openStore: () => LiveStateStore): void {
  it('knows nothing of a session never saved', async () => {
    const store = openStore();
    const session = newSession();
    expect(await stateOf(store, session)).toEqual({ latest: undefined, setAside: [], orders: [], fills: [], audit: [] });
  });

  it('reads back the checkpoint saved: the document deep-equal, the times exact', async () => {
    const store = openStore();
    const session = newSession();
    const document: JsonValue = {
      version: 3,
      strategy: { name: 'sma-crossover', state: { fast: [1.5, 2.25, null], slow: [], warm: true } },
      ledger: { cash: 99_812.37, positions: [{ symbol: 'AAPL', qty: 100, avgCost: 187.12 }] },
      note: 'Zürich → 東京 🚀 "quoted" \\ back\nslash',
      empty: {},
    };
    await store.save(session, batch(7, { checkpoint: document, lastBarTime: T0 + 7 * MINUTE }), T0 + 7 * MINUTE + 250);

    const latest = await store.latestCheckpoint(session);
    expect(latest).toEqual({ seq: expect.any(Number), savedAt: T0 + 7 * MINUTE + 250, lastBarTime: T0 + 7 * MINUTE, document, integrity: 'verified' });
    expect(Object.isFrozen(latest)).toBe(true);
  });

  it('keeps numbers bit for bit: quantities, prices, commissions and the numbers of documents', async () => {
    const store = openStore();
    const session = newSession();
    const orders = AWKWARD.map((x, i) => order({ clientOrderId: `o-${i}`, qty: x, filledQty: x, decisionPrice: x, limitPrice: x, stopPrice: x }));
    const fills = AWKWARD.map((x, i) => fill({ fillKey: `f-${i}`, qty: x, price: x, commission: i % 2 === 0 ? x : -x }));
    const document: JsonValue = { awkward: AWKWARD, nested: { sum: 0.1 + 0.2, tiny: 1e-9, huge: 2 ** 60, negative: -1e-300 } };
    await store.save(session, batch(1, { checkpoint: document, orders, fills, audit: [audit('numbers', { awkward: AWKWARD })] }), T0);

    expect((await store.latestCheckpoint(session))?.document).toEqual(document);
    expect(await store.orders(session)).toEqual(orders);
    expect(await store.fills(session)).toEqual(fills);
    expect((await store.audit(session))[0]?.detail).toEqual({ awkward: AWKWARD });
    // toEqual compares numbers with Object.is; say it once more for the famous one.
    expect(Object.is((await store.fills(session))[0]?.price, 0.1 + 0.2)).toBe(true);
  });

  it('reads -0 back as 0, in a commission as in a document (drivers and JSON write it as 0)', async () => {
    const store = openStore();
    const session = newSession();
    await store.save(session, batch(1, { checkpoint: { zero: -0 }, fills: [fill({ commission: -0 })], orders: [order({ filledQty: -0 })] }), T0);
    expect(Object.is((await store.fills(session))[0]?.commission, 0)).toBe(true);
    expect(Object.is((await store.orders(session))[0]?.filledQty, 0)).toBe(true);
    expect(Object.is(((await store.latestCheckpoint(session))?.document as { zero: number }).zero, 0)).toBe(true);
  });

  it('numbers each save with a higher seq, and latestCheckpoint is the newest', async () => {
    const store = openStore();
    const session = newSession();
    const seqs: number[] = [];
    for (let bar = 1; bar <= 4; bar++) {
      await store.save(session, batch(bar), T0 + bar * MINUTE);
      seqs.push(await latestSeq(store, session));
    }
    expect(seqs.every((seq, i) => i === 0 || seq > (seqs[i - 1] ?? Infinity))).toBe(true);
    expect((await store.latestCheckpoint(session))?.document).toEqual(batch(4).checkpoint);
  });

  it('after setAside, latestCheckpoint returns the checkpoint before it, and undefined when none is left', async () => {
    const store = openStore();
    const session = newSession();
    await store.save(session, batch(1), T0 + MINUTE);
    const first = await latestSeq(store, session);
    await store.save(session, batch(2), T0 + 2 * MINUTE);
    const second = await latestSeq(store, session);

    await store.setAside(session, second, 'document fails to parse', T0 + 3 * MINUTE);
    expect(await store.latestCheckpoint(session)).toEqual({ seq: first, savedAt: T0 + MINUTE, lastBarTime: T0 + MINUTE, document: batch(1).checkpoint, integrity: 'verified' });

    await store.setAside(session, first, 'positions disagree with the broker', T0 + 4 * MINUTE);
    expect(await store.latestCheckpoint(session)).toBeUndefined();

    await store.save(session, batch(3), T0 + 5 * MINUTE);
    expect((await store.latestCheckpoint(session))?.document).toEqual(batch(3).checkpoint);
  });

  it('keeps a set-aside checkpoint whole, with its reason and time, newest first', async () => {
    const store = openStore();
    const session = newSession();
    await store.save(session, batch(1), T0 + MINUTE);
    const first = await latestSeq(store, session);
    await store.save(session, batch(2), T0 + 2 * MINUTE);
    const second = await latestSeq(store, session);
    await store.setAside(session, first, 'older one', T0 + 10 * MINUTE);
    await store.setAside(session, second, 'newer one', T0 + 9 * MINUTE);

    const setAside = await store.setAsideCheckpoints(session);
    expect(setAside).toEqual([
      { seq: second, savedAt: T0 + 2 * MINUTE, lastBarTime: T0 + 2 * MINUTE, document: batch(2).checkpoint, integrity: 'verified', reason: 'newer one', setAsideAt: T0 + 9 * MINUTE },
      { seq: first, savedAt: T0 + MINUTE, lastBarTime: T0 + MINUTE, document: batch(1).checkpoint, integrity: 'verified', reason: 'older one', setAsideAt: T0 + 10 * MINUTE },
    ]);
  });

  it('setting aside a checkpoint twice keeps the first reason and time', async () => {
    const store = openStore();
    const session = newSession();
    await store.save(session, batch(1), T0);
    const seq = await latestSeq(store, session);
    await store.setAside(session, seq, 'first reason', T0 + MINUTE);
    await store.setAside(session, seq, 'second reason', T0 + 2 * MINUTE);
    expect(await store.setAsideCheckpoints(session)).toEqual([expect.objectContaining({ seq, reason: 'first reason', setAsideAt: T0 + MINUTE })]);
  });

  it("refuses to set aside a checkpoint the session does not have, another session's included", async () => {
    const store = openStore();
    const session = newSession();
    const other = newSession('other');
    await store.save(other, batch(1), T0);
    const othersSeq = await latestSeq(store, other);

    for (const seq of [othersSeq, othersSeq + 1_000_000]) {
      const error = await refusal(store.setAside(session, seq, 'corrupt', T0));
      expect(error.code).toBe('LIVE_STATE_NOT_FOUND');
      expect(error.message).toBe(`live state setAside (session "${session}"): the session has no checkpoint ${seq}`);
    }
    expect(await store.latestCheckpoint(other)).toEqual(expect.objectContaining({ seq: othersSeq }));
  });

  it('saves a fill once per fill key: the first version stays, across saves and within a batch', async () => {
    const store = openStore();
    const session = newSession();
    const streamed = fill({ fillKey: 'qb-1:1', price: 187.12 });
    await store.save(session, batch(1, { fills: [streamed] }), T0 + MINUTE);
    const second = fill({ fillKey: 'qb-1:2', qty: 50, price: 187.2 });
    await store.save(
      session,
      batch(2, { fills: [fill({ fillKey: 'qb-1:1', price: 999, recovered: true }), second, fill({ fillKey: 'qb-1:2', price: 1 })] }),
      T0 + 2 * MINUTE,
    );
    expect(await store.fills(session)).toEqual([streamed, second]);
    // The save went through whole all the same.
    expect((await store.latestCheckpoint(session))?.document).toEqual(batch(2).checkpoint);
  });

  it('keeps the latest version of each order, in the order each was first saved', async () => {
    const store = openStore();
    const session = newSession();
    await store.save(session, batch(1, { orders: [order({ clientOrderId: 'qb-1' }), order({ clientOrderId: 'qb-2', side: 'sell', qty: 10 })] }), T0 + MINUTE);
    const filled = order({ clientOrderId: 'qb-1', filledQty: 100, status: 'filled', updatedAt: T0 + MINUTE + 1_500, reason: null });
    const canceled = order({ clientOrderId: 'qb-2', side: 'sell', qty: 10, status: 'canceled', updatedAt: T0 + 2 * MINUTE });
    const third = order({ clientOrderId: 'qb-3', type: 'limit', decidedAt: T0 + 2 * MINUTE, updatedAt: T0 + 2 * MINUTE });
    await store.save(
      session,
      batch(2, { orders: [third, order({ clientOrderId: 'qb-1', filledQty: 40, status: 'partially_filled' }), filled, canceled] }),
      T0 + 2 * MINUTE,
    );
    expect(await store.orders(session)).toEqual([filled, canceled, third]);
  });

  it('keeps the terms a shadow needs to place an order again: decision, limit and stop prices, time in force, or null', async () => {
    const store = openStore();
    const session = newSession();
    const stopLimit = order({ clientOrderId: 'qb-1', type: 'stop_limit', decisionPrice: 187.05, limitPrice: 188.5, stopPrice: 188, timeInForce: 'day' });
    const unknown = order({ clientOrderId: 'qb-2', decisionPrice: null, timeInForce: null });
    await store.save(session, batch(1, { orders: [stopLimit, unknown] }), T0);
    expect(await store.orders(session)).toEqual([stopLimit, unknown]);
    // A later version replaces every term (a venue amendment of the limit).
    const amended = { ...stopLimit, limitPrice: 189, status: 'accepted' };
    await store.save(session, batch(2, { orders: [amended] }), T0 + MINUTE);
    expect(await store.orders(session)).toEqual([amended, unknown]);
  });

  it('keeps the audit log in the order saved', async () => {
    const store = openStore();
    const session = newSession();
    const first = [audit('start', { mode: 'paper' }, T0 + 5), audit('reconcile', { divergences: [] }, T0 + 3), audit('reconcile', { divergences: [{ symbol: 'AAPL', broker: 100, ours: 90 }] }, T0 + 4)];
    const second = [audit('kill-switch', { from: 'active', to: 'halted', drawdownPct: 5.000000000000001 }, T0 + MINUTE), audit('start', { mode: 'paper' }, T0)];
    await store.save(session, batch(1, { audit: first }), T0 + MINUTE);
    await store.save(session, batch(2, { audit: second }), T0 + 2 * MINUTE);
    expect(await store.audit(session)).toEqual([...first, ...second]);
  });

  it('reads a window of the journal: orders by decision time, fills and audit entries by their time, from included, to excluded', async () => {
    const store = openStore();
    const session = newSession();
    const orders = [0, 1, 2, 3].map((k) => order({ clientOrderId: `w-${k}`, decidedAt: T0 + k * MINUTE, updatedAt: T0 + 3 * MINUTE }));
    const fills = [0, 1, 2, 3].map((k) => fill({ fillKey: `wf-${k}`, clientOrderId: `w-${k}`, time: T0 + k * MINUTE + 1 }));
    const entries = [0, 1, 2, 3].map((k) => audit(`step-${k}`, { k }, T0 + k * MINUTE));
    await store.save(session, batch(1, { orders, fills, audit: entries }), T0 + 4 * MINUTE);
    const window = { fromMs: T0 + MINUTE, toMs: T0 + 3 * MINUTE };
    expect(await store.orders(session, window)).toEqual([orders[1], orders[2]]);
    expect(await store.fills(session, window)).toEqual([fills[1], fills[2]]);
    expect(await store.audit(session, window)).toEqual([entries[1], entries[2]]);
    // Without a window, everything; an empty window, nothing.
    expect(await store.orders(session)).toHaveLength(4);
    expect(await store.audit(session, { fromMs: T0 + 10 * MINUTE, toMs: T0 + 20 * MINUTE })).toEqual([]);
  });

  it('keeps sessions apart', async () => {
    const store = openStore();
    const a = newSession('a');
    const b = newSession('b');
    await store.save(a, batch(1, { orders: [order()], fills: [fill()], audit: [audit('start')] }), T0);
    await store.save(b, batch(2, { orders: [order({ status: 'accepted' })], fills: [fill({ price: 190 })], audit: [audit('other')] }), T0);
    await store.save(b, batch(3), T0 + MINUTE);
    const aSeq = await latestSeq(store, a);
    // Setting aside b's checkpoints does not touch a's.
    await store.setAside(b, await latestSeq(store, b), 'bad', T0 + 2 * MINUTE);

    expect(await stateOf(store, a)).toEqual({
      latest: { seq: aSeq, savedAt: T0, lastBarTime: batch(1).lastBarTime, document: batch(1).checkpoint, integrity: 'verified' },
      setAside: [],
      orders: [order()],
      fills: [fill()],
      audit: [audit('start')],
    });
    expect((await store.latestCheckpoint(b))?.document).toEqual(batch(2).checkpoint);
    expect(await store.orders(b)).toEqual([order({ status: 'accepted' })]);
    expect(await store.fills(b)).toEqual([fill({ price: 190 })]);
  });

  it('stores no part of a save whose batch holds an invalid row: a fill with a NaN price', async () => {
    const store = openStore();
    const session = newSession();
    await store.save(session, batch(1, { orders: [order()], audit: [audit('start')] }), T0 + MINUTE);
    const before = await stateOf(store, session);

    const invalid = batch(2, {
      orders: [order({ status: 'filled', filledQty: 100 }), order({ clientOrderId: 'qb-2' })],
      fills: [fill(), fill({ fillKey: 'qb-1:2', price: Number.NaN })],
      audit: [audit('filled')],
    });
    const error = await refusal(store.save(session, invalid, T0 + 2 * MINUTE));
    expect(error.code).toBe('LIVE_STATE_INVALID');
    expect(error.message).toBe(`live state save (session "${session}"): fills[1].price: NaN is not a finite number above 0`);
    expect(error).toMatchObject({ sessionId: session, operation: 'save' });
    expect(await stateOf(store, session)).toEqual(before);
  });

  it.each<[string, (b: LiveSaveBatch) => LiveSaveBatch, string]>([
    ['an infinite fill quantity', (b) => ({ ...b, fills: [fill({ qty: Infinity })] }), 'fills[0].qty: Infinity is not a finite number above 0'],
    ['a zero price', (b) => ({ ...b, fills: [fill({ price: 0 })] }), 'fills[0].price: 0 is not above 0'],
    ['a NaN commission', (b) => ({ ...b, fills: [fill({ commission: Number.NaN })] }), 'fills[0].commission: NaN is not a finite number'],
    ['a NaN decision price', (b) => ({ ...b, orders: [order({ decisionPrice: Number.NaN })] }), 'orders[0].decisionPrice: NaN is not a finite number above 0'],
    ['a zero decision price (unknown is null)', (b) => ({ ...b, orders: [order({ decisionPrice: 0 })] }), 'orders[0].decisionPrice: 0 is not above 0'],
    ['a missing decision price', (b) => ({ ...b, orders: [order({ decisionPrice: undefined as unknown as null })] }), 'orders[0].decisionPrice: undefined is not a finite number above 0'],
    ['a negative limit price', (b) => ({ ...b, orders: [order({ limitPrice: -1 })] }), 'orders[0].limitPrice: -1 is not above 0'],
    ['an infinite stop price', (b) => ({ ...b, orders: [order({ stopPrice: Infinity })] }), 'orders[0].stopPrice: Infinity is not a finite number above 0'],
    ['an unknown time in force', (b) => ({ ...b, orders: [order({ timeInForce: 'ioc' as 'day' })] }), `orders[0].timeInForce: "ioc" is not 'day', 'gtc' or null`],
    ['a negative filled quantity', (b) => ({ ...b, orders: [order({ filledQty: -1 })] }), 'orders[0].filledQty: -1 is not at least 0'],
    ['a side that is neither buy nor sell', (b) => ({ ...b, orders: [order({ side: 'short' as 'buy' })] }), `orders[0].side: "short" is not 'buy' or 'sell'`],
    ['a fractional millisecond', (b) => ({ ...b, fills: [fill({ time: T0 + 0.5 })] }), `fills[0].time: ${T0 + 0.5} is not a whole number of epoch milliseconds`],
    ['a time past the year 9999', (b) => ({ ...b, lastBarTime: 8.64e15 }), 'lastBarTime: 8640000000000000 is outside the years 1 to 9999'],
    ['a NUL character in a symbol', (b) => ({ ...b, orders: [order({ symbol: 'AA\u0000PL' })] }), 'orders[0].symbol: holds a NUL character at index 2, which the database cannot keep'],
    ['an empty fill key', (b) => ({ ...b, fills: [fill({ fillKey: ' ' })] }), 'fills[0].fillKey: is empty'],
    ['a recovered flag that is not a boolean', (b) => ({ ...b, fills: [fill({ recovered: 'yes' as unknown as boolean })] }), 'fills[0].recovered: "yes" is not a boolean'],
    ['NaN in the document', (b) => ({ ...b, checkpoint: { ledger: { cash: Number.NaN } } }), 'checkpoint.ledger.cash is NaN, which JSON cannot hold'],
    ['undefined in the document', (b) => ({ ...b, checkpoint: { a: [1, { b: undefined as unknown as JsonValue }] } }), 'checkpoint.a[1].b is undefined; leave the key out or use null'],
    ['a Date in the document', (b) => ({ ...b, checkpoint: { at: new Date(T0) as unknown as JsonValue } }), 'checkpoint.at is not a plain JSON object'],
    ['an unpaired surrogate in an audit detail', (b) => ({ ...b, audit: [audit('x', { text: 'a\uD800b' })] }), 'audit[0].detail.text: holds an unpaired surrogate at index 1, which the database cannot keep'],
    ['an audit detail that is an array', (b) => ({ ...b, audit: [{ time: T0, kind: 'x', detail: [] as unknown as LiveAuditRecord['detail'] }] }), 'audit[0].detail: is not a JSON object'],
  ])('refuses %s, naming the field, and stores nothing', async (_name, change, detail) => {
    const store = openStore();
    const session = newSession();
    await store.save(session, batch(1, { orders: [order()] }), T0);
    const before = await stateOf(store, session);
    const error = await refusal(store.save(session, change(batch(2, { orders: [order({ status: 'filled' })], audit: [audit('filled')] })), T0 + MINUTE));
    expect(error.code).toBe('LIVE_STATE_INVALID');
    expect(error.message).toBe(`live state save (session "${session}"): ${detail}`);
    expect(await stateOf(store, session)).toEqual(before);
  });

  it('refuses a document nested past the limit, or holding a cycle, instead of overflowing the stack', async () => {
    const store = openStore();
    const session = newSession();
    const cyclic: { self?: unknown } = {};
    cyclic.self = cyclic;
    let deep: JsonValue = 1;
    for (let i = 0; i < 300; i++) deep = [deep];
    for (const checkpoint of [cyclic as JsonValue, deep]) {
      const error = await refusal(store.save(session, batch(1, { checkpoint }), T0));
      expect(error.message).toMatch(/nests deeper than 256 levels at checkpoint(\.self|\[0\])+ \(or holds a cycle\)$/);
    }
    expect(await store.latestCheckpoint(session)).toBeUndefined();
  });

  it.each<[string, (store: LiveStateStore) => Promise<unknown>, string]>([
    ['an empty session id on save', (store) => store.save('', batch(1), T0), 'live state save (session ""): session id is empty'],
    ['an empty session id on read', (store) => store.orders(''), 'live state orders (session ""): session id is empty'],
    ['a session id too long', (store) => store.fills('s'.repeat(201)), 'session id is 201 characters long, more than 200'],
    ['a seq that is not a positive whole number', (store) => store.setAside('paper', 1.5, 'bad', T0), 'live state setAside (session "paper"): seq: 1.5 is not a positive whole number'],
    ['an empty reason', (store) => store.setAside('paper', 1, '', T0), 'live state setAside (session "paper"): reason: is empty'],
    ['a set-aside time that is not a number', (store) => store.setAside('paper', 1, 'bad', Number.NaN), 'live state setAside (session "paper"): at: NaN is not a whole number of epoch milliseconds'],
  ])('refuses %s', async (_name, call, message) => {
    const error = await refusal(call(openStore()));
    expect(error.code).toBe('LIVE_STATE_INVALID');
    expect(error.message).toContain(message);
  });

  it('gives copies: changing what was saved, or what was read, changes nothing stored', async () => {
    const store = openStore();
    const session = newSession();
    const document = { version: 1, positions: { AAPL: 100 }, list: [1, 2] };
    const detail = { divergences: [{ symbol: 'AAPL' }] };
    await store.save(session, batch(1, { checkpoint: document, audit: [audit('reconcile', detail)] }), T0);
    document.positions.AAPL = -1;
    document.list.push(3);
    detail.divergences.push({ symbol: 'MSFT' });

    const read = (await store.latestCheckpoint(session))?.document as { positions: { AAPL: number } };
    read.positions.AAPL = 42;
    expect((await store.latestCheckpoint(session))?.document).toEqual({ version: 1, positions: { AAPL: 100 }, list: [1, 2] });
    expect((await store.audit(session))[0]?.detail).toEqual({ divergences: [{ symbol: 'AAPL' }] });
    expect(Object.isFrozen(await store.orders(session))).toBe(true);
  });

  it('keeps only the fields of a record, not extra properties a caller passed along', async () => {
    const store = openStore();
    const session = newSession();
    const withExtra = { ...fill(), parentId: 'qb-0', note: 'not a column' };
    await store.save(session, batch(1, { fills: [withExtra], orders: [{ ...order(), takeProfitPrice: 1 } as LiveOrderRecord] }), T0);
    expect(await store.fills(session)).toStrictEqual([fill()]);
    expect(await store.orders(session)).toStrictEqual([order()]);
  });

  it('refuse records a standing refusal with an audit entry; a second refuse keeps the first', async () => {
    const store = openStore();
    const session = newSession();
    await store.save(session, batch(1), T0);
    const seq = await latestSeq(store, session);
    expect(await store.refusal(session)).toBeUndefined();
    const first = await store.refuse(session, { checkpointSeq: seq, reason: 'checkpoint 1 is unreadable', setAside: true }, T0 + MINUTE);
    expect(first).toEqual({ checkpointSeq: seq, reason: 'checkpoint 1 is unreadable', at: T0 + MINUTE });
    expect(await store.refuse(session, { checkpointSeq: seq, reason: 'another', setAside: false }, T0 + 2 * MINUTE)).toEqual(first);
    expect(await store.refusal(session)).toEqual(first);
    expect(await store.latestCheckpoint(session)).toBeUndefined();
    expect((await store.audit(session)).map((entry) => entry.kind)).toEqual(['state-refused']);
    expect((await store.verifyAudit(session)).ok).toBe(true);
  });

  it('accept trades on the named checkpoint: newer ones set aside, the refusal lifted, who and why audited', async () => {
    const store = openStore();
    const session = newSession();
    const good = (bar: number): LiveSaveBatch => batch(bar, { checkpoint: liveDocument(session, bar) });
    await store.save(session, good(1), T0);
    const first = await latestSeq(store, session);
    await store.save(session, good(2), T0 + MINUTE);
    const second = await latestSeq(store, session);
    await store.refuse(session, { checkpointSeq: second, reason: 'edited', setAside: false }, T0 + 2 * MINUTE);
    const blank = await refusal(store.accept(session, first, { by: ' ', reason: 'checked' }, T0 + 3 * MINUTE));
    expect(blank.message).toMatch(/by: is empty/);
    await store.accept(session, first, { by: 'alice', reason: 'checked against the broker' }, T0 + 3 * MINUTE);
    expect(await store.refusal(session)).toBeUndefined();
    expect((await store.latestCheckpoint(session))?.seq).toBe(first);
    const listed = await store.checkpoints(session);
    expect(listed.map((c) => [c.seq, c.setAside?.reason ?? null])).toEqual([
      [second, `superseded: alice accepted checkpoint ${first}: checked against the broker`],
      [first, null],
    ]);
    const accepted = (await store.audit(session)).at(-1);
    expect(accepted).toMatchObject({ kind: 'operator-accept', detail: { checkpointSeq: first, by: 'alice', reason: 'checked against the broker', supersededSeqs: [second] } });
    expect((await store.verifyAudit(session)).ok).toBe(true);
  });

  it('accept refuses a set-aside or unreadable checkpoint, or one the session does not have, and changes nothing', async () => {
    const store = openStore();
    const session = newSession();
    await store.save(session, batch(1), T0);
    const torn = await latestSeq(store, session);
    const error = await refusal(store.accept(session, torn, { by: 'alice', reason: 'r' }, T0));
    expect(error.code).toBe('LIVE_STATE_INVALID');
    expect(error.message).toMatch(new RegExp(`checkpoint ${torn} cannot be accepted: it is unreadable`));
    expect((await refusal(store.accept(session, torn + 1_000, { by: 'alice', reason: 'r' }, T0))).code).toBe('LIVE_STATE_NOT_FOUND');
    await store.setAside(session, torn, 'bad', T0);
    expect((await refusal(store.accept(session, torn, { by: 'alice', reason: 'r' }, T0))).message).toMatch(/it is set aside \(bad\)/);
    expect(await store.audit(session)).toEqual([]);
  });

  it('reset sets every checkpoint aside and lifts the refusal, audited; a session without checkpoints has nothing to reset', async () => {
    const store = openStore();
    const session = newSession();
    expect((await refusal(store.reset(session, { by: 'bob', reason: 'r' }, T0))).code).toBe('LIVE_STATE_NOT_FOUND');
    await store.save(session, batch(1), T0);
    await store.save(session, batch(2), T0 + MINUTE);
    await store.refuse(session, { checkpointSeq: await latestSeq(store, session), reason: 'edited', setAside: true }, T0 + 2 * MINUTE);
    await store.reset(session, { by: 'bob', reason: 'start from the broker' }, T0 + 3 * MINUTE);
    expect(await store.refusal(session)).toBeUndefined();
    expect(await store.latestCheckpoint(session)).toBeUndefined();
    expect((await store.checkpoints(session)).every((c) => c.setAside !== null)).toBe(true);
    expect((await store.audit(session)).at(-1)).toMatchObject({ kind: 'operator-reset', detail: { by: 'bob', reason: 'start from the broker', refusal: { reason: 'edited' } } });
    expect(await decideLiveStart(store, session, T0 + 4 * MINUTE)).toEqual({ kind: 'fresh' });
  });

  it('a standing refusal refuses every later start, whatever the checkpoints hold, until an operator acts', async () => {
    const store = openStore();
    const session = newSession();
    await store.save(session, batch(1, { checkpoint: liveDocument(session, 1) }), T0);
    await store.save(session, batch(2), T0 + MINUTE);
    const first = await decideLiveStart(store, session, T0 + 2 * MINUTE);
    expect(first).toMatchObject({ kind: 'refused', isNew: true, refusal: { reason: expect.stringMatching(/is unreadable/) } });
    // The torn checkpoint is set aside and a good one is the latest again: still refused.
    expect((await store.latestCheckpoint(session))?.document).toEqual(liveDocument(session, 1));
    expect(await decideLiveStart(store, session, T0 + 3 * MINUTE)).toMatchObject({ kind: 'refused', isNew: false });
    await store.accept(session, await latestSeq(store, session), { by: 'carol', reason: 'bar 1 matches the broker' }, T0 + 4 * MINUTE);
    expect(await decideLiveStart(store, session, T0 + 5 * MINUTE)).toMatchObject({ kind: 'resume', checkpoint: { lastBarTime: T0 + MINUTE } });
  });

  it('chains the audit rows of every save and operator action: verifyAudit is ok and counts them', async () => {
    const store = openStore();
    const session = newSession();
    expect(await store.verifyAudit(session)).toMatchObject({ ok: true, rows: 0 });
    await store.save(session, batch(1, { audit: [audit('start', { n: -0 }), audit('reconcile', { awkward: AWKWARD })] }), T0);
    await store.save(session, batch(2, { audit: [audit('bar', { bar: 2 })] }), T0 + MINUTE);
    await store.reset(session, { by: 'dan', reason: 'drill' }, T0 + 2 * MINUTE);
    expect(await store.verifyAudit(session)).toMatchObject({ ok: true, rows: 4, anchor: { count: 4 } });
  });

  it('saves a batch of thousands of rows whole', async () => {
    const store = openStore();
    const session = newSession();
    const fills = Array.from({ length: 2_345 }, (_, i) => fill({ fillKey: `f-${i}`, qty: 1 + i, price: 100 + i / 100 }));
    const orders = Array.from({ length: 1_234 }, (_, i) => order({ clientOrderId: `o-${i}` }));
    await store.save(session, batch(1, { fills, orders }), T0);
    const read = await store.fills(session);
    expect(read).toHaveLength(2_345);
    expect(read[2_344]).toEqual(fills[2_344]);
    expect((await store.orders(session)).map((o) => o.clientOrderId)).toEqual(orders.map((o) => o.clientOrderId));
  });
}

describe('MemoryLiveStateStore', () => {
  describeLiveStateStoreBehaviour(() => new MemoryLiveStateStore());
});

/** Replaces a marker number with NaN on its way to the database: a row that slipped past validation. */
const POISON = 271_828.182_845;

class PoisonTransformer extends OperationNodeTransformer {
  protected override transformPrimitiveValueList(node: PrimitiveValueListNode): PrimitiveValueListNode {
    return PrimitiveValueListNode.create(node.values.map(poisoned));
  }

  protected override transformValue(node: ValueNode): ValueNode {
    return ValueNode.create(poisoned(node.value));
  }
}

function poisoned(value: unknown): unknown {
  return value === POISON ? Number.NaN : value;
}

/** A plugin that transforms each query, or throws instead for inserts into `table`. */
function plugin(transform: (args: PluginTransformQueryArgs) => RootOperationNode): KyselyPlugin {
  return {
    transformQuery: transform,
    transformResult: async (args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> => args.result,
  };
}

const poisonPlugin = plugin((args) => new PoisonTransformer().transformNode(args.node));

function failingInsertPlugin(table: string, message: string): KyselyPlugin {
  return plugin((args) => {
    const node = args.node;
    if (node.kind === 'InsertQueryNode' && node.into?.table.identifier.name === table) throw new Error(message);
    return node;
  });
}

describeStorageBackends<LiveStateTables>('KyselyLiveStateStore', { migrations: MIGRATIONS }, ({ kind, database }) => {
  describeLiveStateStoreBehaviour(() => new KyselyLiveStateStore(database().handle.db));

  it('refuses a checkpoint whose cash was changed in the database, on this start and every later one', async () => {
    const store = new KyselyLiveStateStore(database().handle.db);
    const session = newSession();
    await store.save(session, batch(1, { checkpoint: liveDocument(session, 1) }), T0);
    await store.save(session, batch(2, { checkpoint: liveDocument(session, 2) }), T0 + MINUTE);
    const seq = await latestSeq(store, session);
    await sql`update live_checkpoints set document = jsonb_set(document, '{ledger,cash}', '1000000') where session_id = ${session} and seq = ${seq}`.execute(database().handle.db);
    expect((await store.latestCheckpoint(session))?.integrity).toBe('mismatch');
    const decided = await decideLiveStart(store, session, T0 + 2 * MINUTE);
    expect(decided).toMatchObject({ kind: 'refused', isNew: true, refusal: { checkpointSeq: seq, reason: `checkpoint ${seq} does not match its integrity hash: it was changed after it was saved` } });
    // Set aside; the checkpoint before it is intact and is now the latest, yet the refusal stands.
    expect((await store.latestCheckpoint(session))?.integrity).toBe('verified');
    expect(await decideLiveStart(store, session, T0 + 3 * MINUTE)).toMatchObject({ kind: 'refused', isNew: false });
    expect((await refusal(store.accept(session, seq, { by: 'eve', reason: 'r' }, T0))).message).toMatch(/set aside/);
    // An edit of the hash column alone, or of the anchor, is caught the same way.
    await sql`update live_checkpoints set audit_count = 5 where session_id = ${session} and seq < ${seq}`.execute(database().handle.db);
    expect((await store.latestCheckpoint(session))?.integrity).toBe('mismatch');
  });

  it('refuses a checkpoint saved before integrity hashes until an operator accepts it, which stamps it', async () => {
    const store = new KyselyLiveStateStore(database().handle.db);
    const session = newSession();
    await store.save(session, batch(1, { checkpoint: liveDocument(session, 1) }), T0);
    await sql`update live_checkpoints set integrity_hash = null, audit_count = null, audit_head = null where session_id = ${session}`.execute(database().handle.db);
    const seq = await latestSeq(store, session);
    expect(await decideLiveStart(store, session, T0 + MINUTE)).toMatchObject({ kind: 'refused', refusal: { reason: `checkpoint ${seq} carries no integrity hash (saved before checkpoints were hashed)` } });
    expect(await decideLiveStart(store, session, T0 + MINUTE)).toMatchObject({ kind: 'refused', isNew: false });
    await store.accept(session, seq, { by: 'frank', reason: 'compared with the broker' }, T0 + 2 * MINUTE);
    expect((await store.latestCheckpoint(session))?.integrity).toBe('verified');
    expect(await decideLiveStart(store, session, T0 + 3 * MINUTE)).toMatchObject({ kind: 'resume', seq });
    expect((await store.verifyAudit(session)).ok).toBe(true);
  });

  describe('the audit chain', () => {
    const tampered = async (tamper: (session: string) => Promise<void>): Promise<ReturnType<KyselyLiveStateStore['verifyAudit']>> => {
      const store = new KyselyLiveStateStore(database().handle.db);
      const session = newSession('audit');
      for (let bar = 1; bar <= 4; bar++) await store.save(session, batch(bar, { audit: [audit('bar', { bar, cash: 100 - bar }, T0 + bar * MINUTE)] }), T0 + bar * MINUTE);
      expect(await store.verifyAudit(session)).toMatchObject({ ok: true, rows: 4 });
      await tamper(session);
      return store.verifyAudit(session);
    };
    const db = (): Kysely<LiveStateTables> => database().handle.db;

    it('detects an edited detail, naming the row', async () => {
      const verdict = await tampered(async (session) => {
        await sql`update live_audit set detail = jsonb_set(detail, '{cash}', '1') where session_id = ${session} and chain_seq = 2`.execute(db());
      });
      expect(verdict).toMatchObject({ ok: false, problem: { kind: 'hash-mismatch', row: 2 } });
      expect(verdict.problem?.message).toMatch(/audit row 2 \(seq \d+, bar\) hashes to .* its content was changed/);
    });

    it('detects the last rows deleted', async () => {
      const verdict = await tampered(async (session) => {
        await sql`delete from live_audit where session_id = ${session} and chain_seq >= 3`.execute(db());
      });
      expect(verdict).toMatchObject({ ok: false, problem: { kind: 'anchor-mismatch', row: 3 } });
      expect(verdict.problem?.message).toMatch(/the anchor says 4 audit rows, the table holds 2: rows from 3 on were deleted/);
    });

    it('detects every row deleted, and the session anchor deleted with them', async () => {
      const verdict = await tampered(async (session) => {
        await sql`delete from live_audit where session_id = ${session}`.execute(db());
        await sql`delete from live_sessions where session_id = ${session}`.execute(db());
      });
      expect(verdict).toMatchObject({ ok: false, rows: 0, problem: { kind: 'anchor-mismatch', row: 1 } });
      expect(verdict.problem?.message).toMatch(/checkpoint \d+ anchors 4 audit rows, the table holds 0/);
    });

    it('detects a chain re-hashed after an edit, through the anchors', async () => {
      const verdict = await tampered(async (session) => {
        const rows = await db().selectFrom('live_audit').select(['seq', 'time', 'kind', 'detail']).where('session_id', '=', session).orderBy('seq').execute();
        const edited = rows.map((row, i) => ({ time: row.time.getTime(), kind: row.kind, detail: (i === 1 ? { ...row.detail, cash: 1 } : row.detail) as LiveAuditRecord['detail'] }));
        const { links } = chainLiveAudit(edited, EMPTY_AUDIT_ANCHOR);
        for (let i = 0; i < rows.length; i++) {
          const link = links[i];
          if (link === undefined) continue;
          await db().updateTable('live_audit').set({ detail: sql`${JSON.stringify(link.detail)}::jsonb`, prev_hash: link.prev, hash: link.hash } as never).where('seq', '=', rows[i]?.seq ?? '').execute();
        }
      });
      expect(verdict).toMatchObject({ ok: false, problem: { kind: 'anchor-mismatch' } });
      expect(verdict.problem?.message).toMatch(/the chain was rewritten/);
    });

    it('chains rows written before the integrity migration when it runs, and anchors them', async () => {
      const store = new KyselyLiveStateStore(database().handle.db);
      const session = newSession('legacy');
      await store.save(session, batch(1, { audit: [audit('a', { x: 1 }), audit('b', { y: [2] })] }), T0);
      await sql`update live_audit set chain_seq = null, prev_hash = null, hash = null where session_id = ${session}`.execute(db());
      await sql`delete from live_sessions where session_id = ${session}`.execute(db());
      expect((await store.verifyAudit(session)).problem?.kind).toBe('unchained');
      const migration = LIVE_STATE_MIGRATIONS.find((m) => m.id === 'live_0002_integrity');
      // Only the chaining step: the columns exist already.
      await withTransaction(db(), async (trx) => {
        await sql`alter table live_checkpoints drop column integrity_hash, drop column audit_count, drop column audit_head`.execute(trx);
        await sql`alter table live_audit drop column chain_seq, drop column prev_hash, drop column hash`.execute(trx);
        await sql`drop table live_sessions`.execute(trx);
        await migration?.up(trx as unknown as Kysely<unknown>);
      });
      expect(await store.verifyAudit(session)).toMatchObject({ ok: true, rows: 2 });
      // Every checkpoint lost its hash with the column: refused until accepted.
      expect((await store.latestCheckpoint(session))?.integrity).toBe('missing');
    });
  });

  it('reads orders saved before the order-terms migration back with null terms', async () => {
    const store = new KyselyLiveStateStore(database().handle.db);
    const session = newSession('legacy');
    await store.save(session, batch(1, { orders: [order({ limitPrice: 190 })] }), T0);
    const migration = LIVE_STATE_MIGRATIONS.find((m) => m.id === 'live_0003_order_terms');
    expect(migration).toBeDefined();
    // The table as it was before the migration, then the migration: the old row gains null terms.
    await withTransaction(database().handle.db, async (trx) => {
      await sql`alter table live_orders drop column decision_price, drop column limit_price, drop column stop_price, drop column time_in_force`.execute(trx);
      await migration?.up(trx as unknown as Kysely<unknown>);
    });
    expect(await store.orders(session)).toEqual([order({ decisionPrice: null, limitPrice: null, stopPrice: null, timeInForce: null })]);
  });

  it.each<[string, string]>([
    ['decision_price', "'NaN'::float8"],
    ['decision_price', '0'],
    ['limit_price', "'Infinity'::float8"],
    ['stop_price', '-1'],
    ['time_in_force', "'ioc'"],
  ])('the schema itself refuses an order whose %s is %s', async (column, value) => {
    const session = newSession();
    const store = new KyselyLiveStateStore(database().handle.db);
    await store.save(session, batch(1), T0);
    const seq = String(await latestSeq(store, session));
    await expect(
      sql`insert into live_orders (session_id, client_order_id, checkpoint_seq, symbol, side, type, qty, filled_qty, status, decided_at, updated_at, ${sql.raw(column)})
          values (${session}, 'qb-1', ${seq}, 'AAPL', 'buy', 'market', 1, 0, 'new', now(), now(), ${sql.raw(value)})`.execute(database().handle.db),
    ).rejects.toMatchObject({ code: '23514' });
  });

  it('rolls back the whole save when the schema refuses a row that slipped past validation', async () => {
    const session = newSession();
    const plain = new KyselyLiveStateStore(database().handle.db);
    await plain.save(session, batch(1, { orders: [order()], fills: [fill()], audit: [audit('start')] }), T0);
    const before = await stateOf(plain, session);

    // The checkpoint and the orders are written before the fills: the CHECK on price fails last.
    const store = new KyselyLiveStateStore(database().handle.db.withPlugin(poisonPlugin));
    const invalid = batch(2, {
      orders: [order({ status: 'filled', filledQty: 100 }), order({ clientOrderId: 'qb-2' })],
      fills: [fill({ fillKey: 'qb-1:2', price: POISON })],
      audit: [audit('filled')],
    });
    const error = await refusal(store.save(session, invalid, T0 + MINUTE));
    expect(error.code).toBe('LIVE_STATE_FAILED');
    expect(error.message).toMatch(new RegExp(`^live state save \\(session "${session}"\\): the database failed: .*live_fills_price_check.*\\(SQLSTATE 23514\\)$`));
    expect(await stateOf(plain, session)).toEqual(before);
  });

  it.each<[string, string, string]>([
    ['a NaN price', "'NaN'::float8", 'price'],
    ['an infinite price', "'Infinity'::float8", 'price'],
    ['a negative price', '-1', 'price'],
    ['a NaN quantity', "'NaN'::float8", 'qty'],
    ['an infinite commission', "'-Infinity'::float8", 'commission'],
  ])('the schema itself refuses a fill with %s', async (_name, value, column) => {
    const session = newSession();
    const store = new KyselyLiveStateStore(database().handle.db);
    await store.save(session, batch(1), T0);
    const seq = String(await latestSeq(store, session));
    const values = { price: '10', qty: '1', commission: '0', [column]: value };
    await expect(
      sql`insert into live_fills (session_id, fill_key, checkpoint_seq, client_order_id, symbol, side, qty, price, commission, time, recovered)
          values (${session}, 'k', ${seq}, 'qb-1', 'AAPL', 'buy', ${sql.raw(values['qty'] ?? '')}, ${sql.raw(values['price'] ?? '')},
                  ${sql.raw(values['commission'] ?? '')}, now(), false)`.execute(database().handle.db),
    ).rejects.toMatchObject({ code: '23514' });
  });

  it('reads doubles exactly even where the server is set to print 15 digits (extra_float_digits = 0)', async () => {
    const session = newSession();
    const awkward = fill({ price: 0.1 + 0.2, qty: 1 / 3 });
    await new KyselyLiveStateStore(database().handle.db).save(session, batch(1, { fills: [awkward], orders: [order({ qty: 1 / 3 })] }), T0);
    await withTransaction(database().handle.db, async (trx) => {
      await sql`set local extra_float_digits = 0`.execute(trx);
      // Plain reads in this setting round: what the store's reads must not do.
      const plain = await trx.selectFrom('live_fills').select('price').where('session_id', '=', session).executeTakeFirstOrThrow();
      expect(plain.price).toBe(0.3);
      const store = new KyselyLiveStateStore(trx);
      expect(await store.fills(session)).toEqual([awkward]);
      expect((await store.orders(session))[0]?.qty).toBe(1 / 3);
    });
  });

  it('names the session and operation of a database failure, and never a password in it', async () => {
    const session = newSession();
    const store = new KyselyLiveStateStore(database().handle.db.withPlugin(failingInsertPlugin('live_audit', 'lost postgres://bot:hunter2@db.internal:5432/quant')));
    const error = await refusal(store.save(session, batch(1, { orders: [order()], audit: [audit('start')] }), T0));
    expect(error.code).toBe('LIVE_STATE_FAILED');
    expect(error.message).toBe(`live state save (session "${session}"): the database failed: lost postgres://bot:***@db.internal:5432/quant`);
    expect(error.cause).toBeUndefined();
    // The audit insert is the last statement of the save: everything before it rolled back.
    expect(await stateOf(new KyselyLiveStateStore(database().handle.db), session)).toEqual({ latest: undefined, setAside: [], orders: [], fills: [], audit: [] });
  });

  it('keeps what was saved across closing and reopening the database', async () => {
    const session = newSession();
    await new KyselyLiveStateStore(database().handle.db).save(session, batch(1, { orders: [order()], fills: [fill({ price: 0.1 + 0.2 })], audit: [audit('start')] }), T0);
    const before = await stateOf(new KyselyLiveStateStore(database().handle.db), session);
    await database().reopen();
    expect(await stateOf(new KyselyLiveStateStore(database().handle.db), session)).toEqual(before);
  }, 60_000);

  it('two stores on one handle save concurrently to different sessions', async () => {
    const sessions = [newSession('left'), newSession('right')];
    const stores = sessions.map(() => new KyselyLiveStateStore(database().handle.db));
    await Promise.all(sessions.map((session, s) => saveBars(required(stores[s]), session, 10)));
    for (const [s, session] of sessions.entries()) await expectBars(required(stores[s]), session, 10);
  }, 60_000);

  if (kind === 'server') {
    it('two handles on the server save concurrently to different sessions', async () => {
      const { url, schema } = database();
      const second = await openLiveStateStore({ url, schema, env: {} });
      try {
        const stores = [new KyselyLiveStateStore(database().handle.db), second.store];
        const sessions = [newSession('first-handle'), newSession('second-handle')];
        await Promise.all(sessions.map((session, s) => saveBars(required(stores[s]), session, 20)));
        // Each handle sees both sessions complete.
        for (const store of stores) for (const session of sessions) await expectBars(store, session, 20);
        expect(second.describe()).toContain(`schema ${schema ?? ''}`);
      } finally {
        await second.close();
      }
    }, 60_000);
  } else {
    it('openLiveStateStore opens the embedded database with the live migrations and reads what was saved', async () => {
      const session = newSession();
      await new KyselyLiveStateStore(database().handle.db).save(session, batch(1, { fills: [fill()] }), T0);
      await database().handle.close(); // one handle per data directory
      try {
        const live = await openLiveStateStore({ dataDir: database().dataDir, env: {} });
        try {
          expect(live.kind).toBe('embedded');
          expect(await live.store.fills(session)).toEqual([fill()]);
        } finally {
          await live.close();
        }
      } finally {
        await database().reopen();
      }
    }, 60_000);
  }
});

describe('openLiveStateStore', () => {
  it('refuses a migration list without the live state migrations, before opening anything', async () => {
    const opening = openLiveStateStore({ url: 'postgres://bot:hunter2@127.0.0.1:1/none', migrations: STORAGE_MIGRATIONS });
    await expect(opening).rejects.toThrow(ConfigError);
    await expect(opening).rejects.toThrow('migrations: must include LIVE_STATE_MIGRATIONS (missing live_0001_schema, live_0002_integrity, live_0003_order_terms)');
  });
});

/** Saves bars 1..count of a session one after another, each with an order update, a fill and an audit entry. */
async function saveBars(store: LiveStateStore, session: string, count: number): Promise<void> {
  for (let bar = 1; bar <= count; bar++) {
    await store.save(
      session,
      batch(bar, {
        orders: [order({ clientOrderId: `${session}-o`, filledQty: bar, updatedAt: T0 + bar * MINUTE })],
        fills: [fill({ fillKey: `${session}-f-${bar}`, clientOrderId: `${session}-o`, qty: 1, time: T0 + bar * MINUTE })],
        audit: [audit('bar', { bar }, T0 + bar * MINUTE)],
      }),
      T0 + bar * MINUTE,
    );
  }
}

async function expectBars(store: LiveStateStore, session: string, count: number): Promise<void> {
  expect((await store.latestCheckpoint(session))?.document).toEqual(batch(count).checkpoint);
  expect(await store.orders(session)).toEqual([order({ clientOrderId: `${session}-o`, filledQty: count, updatedAt: T0 + count * MINUTE })]);
  expect(await store.fills(session)).toHaveLength(count);
  expect((await store.audit(session)).map((entry) => entry.detail['bar'])).toEqual(Array.from({ length: count }, (_, i) => i + 1));
}

function required<T>(value: T | undefined): T {
  if (value === undefined) throw new Error('missing test fixture');
  return value;
}
