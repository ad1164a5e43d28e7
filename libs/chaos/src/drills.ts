import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { AlpacaClient, AlpacaTradeStream } from '@quantbot/alpaca';
import { SeededRng, epochMs } from '@quantbot/core';
import { SessionOperations } from '@quantbot/live';
import type { LiveNotice } from '@quantbot/live';
import { DEFAULT_SLO_CONFIG, SloMonitor, WebhookPager, parseSloConfig } from '@quantbot/observability';
import type { Drill, DrillContext, DrillObservation } from './drill';
import { DRILL_SESSION, DrillBroker } from './drill-broker';
import { DrillError } from './drill-error';
import type { DrillAttempt, DrillBrokerOptions } from './drill-broker';

/** Runs `body` on a fresh broker and always closes it. */
async function withBroker(context: DrillContext, options: Omit<DrillBrokerOptions, 'clock' | 'storage'>, body: (broker: DrillBroker) => Promise<DrillObservation>): Promise<DrillObservation> {
  const broker = await DrillBroker.start({ clock: context.clock, ...(context.storage !== undefined ? { storage: context.storage } : {}), ...options });
  try {
    return await body(broker);
  } finally {
    await broker.close();
  }
}

/** Steps `n` bars (stopping early if the attempt ends). */
async function steps(broker: DrillBroker, attempt: DrillAttempt, n: number): Promise<void> {
  for (let k = 0; k < n; k++) if (!(await broker.step(attempt))) return;
}

/**
 * Arms a request fault before each bar until the first request after arming is an order
 * submission (the fake's faults hit whichever request comes next); true when it hit one.
 */
async function faultTheNextSubmission(broker: DrillBroker, attempt: DrillAttempt, arm: () => void, maxSteps = 120): Promise<boolean> {
  const requests = broker.fake.state.requests;
  for (let k = 0; k < maxSteps; k++) {
    const from = requests.length;
    arm();
    // Bars until some request consumed the fault.
    for (let j = 0; requests.length === from && j < maxSteps; j++) {
      if (!(await broker.step(attempt))) return false;
      await broker.settle(150);
    }
    broker.fake.faults.reset();
    if (requests[from]?.startsWith('POST /v2/orders') === true) return true;
  }
  return false;
}

const submissionsOf = (broker: DrillBroker): number => broker.fake.state.requests.filter((r) => r.startsWith('POST /v2/orders')).length;

export const reconciliationUnreachable: Drill = {
  name: 'reconciliation-unreachable',
  fault: "every REST call answers 503 while the session starts (the broker's positions and orders cannot be fetched)",
  proves: 'a session that cannot read the broker\'s state does not trade: it fails closed (VenueUnavailableError, exit 4) before any order; once the broker answers, a restart reconciles and trades',
  expected: { outcome: ['venue-unavailable'], halted: false, maxRecoveryMs: 15_000 },
  run: (context) =>
    withBroker(context, { seed: 101 }, async (broker) => {
      broker.fake.faults.failNext(1_000, 503);
      const refused = broker.attempt();
      const end = await refused.ended;
      const ordersWhileDown = broker.fake.state.orders().length;
      broker.fake.faults.reset();
      const faultEnded = context.clock();
      const restart = broker.attempt();
      await broker.trading(restart);
      const recoveryMs = context.clock() - faultEnded;
      await steps(broker, restart, 40);
      await broker.settle();
      await broker.finish(restart);
      return broker.observe(end, recoveryMs, [
        { name: 'no-order-while-unreconciled', ok: ordersWhileDown === 0 && refused.ordersSubmitted === 0, detail: `${ordersWhileDown} order(s) reached the broker before reconciliation` },
        { name: 'traded-after-recovery', ok: restart.steps >= 40, detail: `${restart.steps} bar(s) traded after the restart` },
      ]);
    }),
};

export const streamDropMidOrder: Drill = {
  name: 'stream-drop-mid-order',
  fault: 'every WebSocket (trade updates and bars) terminated while an order is working; it fills while the streams are down',
  proves: 'the fill that happened while the streams were down is recovered over REST and booked once; the session trades on',
  expected: { outcome: ['stopped'], halted: false, maxRecoveryMs: 10_000 },
  run: (context) =>
    withBroker(context, { seed: 102 }, async (broker) => {
      const attempt = broker.attempt();
      await broker.trading(attempt);
      if (!(await broker.stepUntilOrder(attempt))) throw new DrillError('the session never sent an order');
      await broker.settle(150);
      const working = broker.fake.state.orders().filter((o) => o.status === 'new' || o.status === 'accepted').length;
      const dropped = context.clock();
      broker.fake.faults.dropStreams();
      // The bar that fills the working order, pushed while nothing listens.
      broker.replay.step();
      const target = attempt.steps + 1;
      await broker.until(() => attempt.steps >= target || attempt.end !== undefined, 'the session to catch up after the drop', 15_000);
      await broker.until(() => attempt.notices.some((n) => n.kind === 'broker-healthy') || attempt.end !== undefined, 'the streams to be ready again', 15_000);
      const recoveryMs = context.clock() - dropped;
      await steps(broker, attempt, 20);
      await broker.settle();
      const end = await broker.finish(attempt);
      return broker.observe(end, recoveryMs, [{ name: 'order-working-at-drop', ok: working > 0, detail: `${working} order(s) working when the streams dropped` }]);
    }),
};

export const reconnectStorm: Drill = {
  name: 'reconnect-storm',
  fault: 'every WebSocket dropped, then the next 100 connections refused as soon as they authenticate',
  proves:
    "a storm longer than the outage limit stops the session with exit 5 (its orders cancelled) instead of trading blind; after the storm a restart reconciles with the broker's books and trades",
  expected: { outcome: ['outage'], halted: false, maxRecoveryMs: 20_000 },
  run: (context) =>
    withBroker(context, { seed: 103 }, async (broker) => {
      const attempt = broker.attempt({ maxOutageMs: 1_500 });
      await broker.trading(attempt);
      await broker.stepUntilOrder(attempt);
      const stormAt = context.clock();
      broker.fake.faults.refuseStreams(100);
      broker.fake.faults.dropStreams();
      const connectionsBefore = broker.fake.state.streamConnections;
      const end = await Promise.race([
        attempt.ended,
        broker.until(() => false, 'the outage to stop the session', 20_000).then(() => attempt.ended),
      ]);
      const refusedConnections = broker.fake.state.streamConnections - connectionsBefore;
      broker.fake.faults.reset();
      const restart = broker.attempt();
      await broker.trading(restart);
      const recoveryMs = context.clock() - stormAt;
      await steps(broker, restart, 20);
      await broker.settle();
      await broker.finish(restart);
      return broker.observe(end, recoveryMs, [
        { name: 'reconnects-bounded', ok: refusedConnections > 0 && refusedConnections < 100, detail: `${refusedConnections} connection attempt(s) during the storm (backoff, not a hot loop)` },
        { name: 'traded-after-recovery', ok: restart.steps >= 20, detail: `${restart.steps} bar(s) traded after the restart` },
      ]);
    }),
};

export const reconnectStormRidesThrough: Drill = {
  name: 'reconnect-storm-rides-through',
  fault: 'every WebSocket dropped while an order is working, then the next 100 connections refused as soon as they authenticate (reconnect backoff 5 ms doubling to 40 ms)',
  proves:
    'with a backoff that fits inside the outage limit, the session reconnects through 100 refusals on its own, recovers the bars and fills it missed, and trades on in the same run (exit 0); nothing is sent or booked twice',
  expected: { outcome: ['stopped'], halted: false, maxRecoveryMs: 20_000 },
  run: (context) =>
    withBroker(context, { seed: 111 }, async (broker) => {
      const attempt = broker.attempt({ streamTiming: { reconnectBaseMs: 5, reconnectMaxMs: 40 } });
      await broker.trading(attempt);
      if (!(await broker.stepUntilOrder(attempt))) throw new DrillError('the session never sent an order');
      const stormAt = context.clock();
      const connectionsBefore = broker.fake.state.streamConnections;
      broker.fake.faults.refuseStreams(100);
      broker.fake.faults.dropStreams();
      // Both streams through the 100 refusals and connected again (100 refused + 2 kept).
      await broker.until(() => broker.fake.state.streamConnections - connectionsBefore >= 102 || attempt.end !== undefined, 'the streams to reconnect through the storm', 20_000);
      const stepsBefore = attempt.steps;
      await steps(broker, attempt, 1);
      const recoveryMs = context.clock() - stormAt;
      await steps(broker, attempt, 30);
      await broker.settle();
      const end = await broker.finish(attempt);
      return broker.observe(end, recoveryMs, [
        {
          name: 'reconnected-in-session',
          ok: broker.fake.state.streamConnections - connectionsBefore >= 102 && attempt.steps >= stepsBefore + 31,
          detail: `${broker.fake.state.streamConnections - connectionsBefore} connection(s) after the drop; ${attempt.steps - stepsBefore} bar(s) traded after the storm in the same session`,
        },
      ]);
    }),
};

export const silentStream: Drill = {
  name: 'silent-stream',
  fault: 'every WebSocket stays connected but sends and answers nothing',
  proves: "the streams' heartbeat finds the silent connection dead, the watchdog declares an outage (exit 5) rather than waiting forever for bars; a restart after the silence reconciles",
  expected: { outcome: ['outage'], halted: false, maxRecoveryMs: 45_000 },
  run: (context) =>
    withBroker(context, { seed: 104 }, async (broker) => {
      const attempt = broker.attempt({ maxOutageMs: 1_000 });
      await broker.trading(attempt);
      await steps(broker, attempt, 5);
      const silencedAt = context.clock();
      broker.fake.faults.silenceStreams(true);
      const end = await Promise.race([attempt.ended, broker.until(() => false, 'the watchdog to see the silence', 40_000).then(() => attempt.ended)]);
      const detectedMs = context.clock() - silencedAt;
      broker.fake.faults.silenceStreams(false);
      const restart = broker.attempt();
      await broker.trading(restart);
      const recoveryMs = context.clock() - silencedAt;
      await steps(broker, restart, 10);
      await broker.settle();
      await broker.finish(restart);
      return broker.observe(end, recoveryMs, [{ name: 'silence-detected', ok: end.outcome === 'outage', detail: `outage declared ${Math.round(detectedMs)} ms after the streams fell silent` }]);
    }),
};

export const stalledPartialFill: Drill = {
  name: 'stalled-partial-fill',
  fault: 'an order fills partly, then gets no further fill for 10 bars and across the end of the day, then resumes',
  proves:
    "the partial quantity is booked once while the order stays working (the session's orders are GTC, so the day's end does not expire them), the rest is booked once when fills resume, and the books equal the broker's",
  expected: { outcome: ['stopped'], halted: false, maxRecoveryMs: 10_000 },
  run: (context) =>
    withBroker(context, { seed: 105, barParticipation: 0.0001 }, async (broker) => {
      const attempt = broker.attempt();
      await broker.trading(attempt);
      if (!(await broker.stepUntilOrder(attempt))) throw new DrillError('the session never sent an order');
      await broker.settle(150);
      // The next bar fills 5 of 10 shares (a 0.01% participation of 50 000); then fills stall.
      broker.fake.faults.stallPartialFills(true);
      await broker.step(attempt);
      await broker.settle(150);
      const partial = broker.fake.state.orders().filter((o) => o.status === 'partially_filled').map((o) => o.client_order_id);
      await steps(broker, attempt, 10);
      broker.fake.state.endSession();
      await broker.settle(150);
      const stillPartial = broker.fake.state.orders().filter((o) => partial.includes(o.client_order_id) && o.status === 'partially_filled').length;
      const bookedWhileStalled = (await broker.store.fills(DRILL_SESSION)).filter((f) => partial.includes(f.clientOrderId)).reduce((q, f) => q + f.qty, 0);
      const resumedAt = context.clock();
      broker.fake.faults.stallPartialFills(false);
      await broker.step(attempt);
      await broker.until(() => broker.fake.state.orders().every((o) => !partial.includes(o.client_order_id) || o.status === 'filled'), 'the stalled orders to fill', 5_000);
      await broker.settle();
      const recoveryMs = context.clock() - resumedAt;
      await steps(broker, attempt, 5);
      await broker.settle();
      const end = await broker.finish(attempt);
      return broker.observe(end, recoveryMs, [
        {
          name: 'partial-fill-stalled',
          ok: partial.length > 0 && stillPartial === partial.length && bookedWhileStalled > 0,
          detail: `${partial.length} order(s) partially filled, ${stillPartial} still so after 10 bars and the day's end, ${bookedWhileStalled} share(s) of them booked meanwhile`,
        },
      ]);
    }),
};

export const dataQualityHalt: Drill = {
  name: 'data-quality-halt',
  fault: 'the next bar of a held symbol closes 40% above the previous close (a bad print)',
  proves:
    'the session halts before the strategy decides on that bar (kill switch halted, source data-quality, audited as data-quality-halt) and sends no order after it; the books still equal the broker',
  expected: { outcome: ['stopped'], halted: true, maxRecoveryMs: 10_000 },
  run: (context) =>
    withBroker(context, { seed: 109 }, async (broker) => {
      const attempt = broker.attempt();
      await broker.trading(attempt);
      if (!(await broker.stepUntilOrder(attempt))) throw new DrillError('the session never sent an order');
      await broker.step(attempt);
      await broker.settle(150);
      const held = broker.fake.state.orders().find((o) => o.side === 'buy' && o.status === 'filled')?.symbol;
      if (held === undefined) throw new DrillError('no position was opened to hold through the bad bar');
      // The bad print: the held symbol's next replayed bar, rewritten before it is pushed.
      const u = broker.universe;
      const s = u.symbols.indexOf(held as (typeof u.symbols)[number]);
      const k = broker.replay.position;
      const previous = u.close[s * u.length + k - 1] as number;
      const bad = previous * 1.4;
      for (const column of [u.open, u.high, u.low, u.close]) column[s * u.length + k] = bad;
      const armedAt = context.clock();
      await broker.step(attempt);
      await broker.until(() => attempt.notices.some((n) => n.kind === 'step' && n.report.tradingState === 'halted'), 'the data-quality halt', 5_000);
      const recoveryMs = context.clock() - armedAt;
      const ordersAtHalt = attempt.ordersSubmitted;
      await steps(broker, attempt, 10);
      await broker.settle();
      const end = await broker.finish(attempt);
      const audit = await broker.store.audit(DRILL_SESSION);
      const halts = audit.filter((a) => a.kind === 'data-quality-halt');
      return broker.observe(end, recoveryMs, [
        { name: 'halt-audited', ok: halts.length === 1 && JSON.stringify(halts[0]?.detail).includes(held), detail: `${halts.length} data-quality-halt audit entr(ies), naming ${held}` },
        { name: 'no-order-after-halt', ok: attempt.ordersSubmitted === ordersAtHalt, detail: `${attempt.ordersSubmitted - ordersAtHalt} order(s) sent after the halt` },
      ]);
    }),
};

export const streamHeldOnRestart: Drill = {
  name: 'stream-held-on-restart',
  fault: "a restart while the old process's trade-updates connection is still open (Alpaca allows one per key: the new one is refused with HTTP 429)",
  proves:
    'the restarted session retries the refused stream with backoff instead of giving up or trading without order updates, becomes ready once the old connection goes, and trades; the books equal the broker',
  expected: { outcome: ['stopped'], halted: false, maxRecoveryMs: 15_000 },
  run: (context) =>
    withBroker(context, { seed: 111 }, async (broker) => {
      // The old process: a trade-updates connection with the session's key that has not gone away.
      const ghostClient = new AlpacaClient({ credentials: broker.credentials, now: () => broker.replay.now(), rng: new SeededRng(7) });
      const ghost = new AlpacaTradeStream({ credentials: broker.credentials, client: ghostClient, now: context.clock, rng: new SeededRng(8), onChange: () => undefined });
      await ghost.start();
      const attempt = broker.attempt();
      // While the old connection holds the stream, the new session cannot get its order updates.
      await broker.settle(1_000);
      const tradingWhileHeld = attempt.notices.some((n) => n.kind === 'trading');
      const releasedAt = context.clock();
      await ghost.close();
      await ghostClient.close();
      await broker.trading(attempt);
      const recoveryMs = context.clock() - releasedAt;
      await steps(broker, attempt, 20);
      await broker.settle();
      const end = await broker.finish(attempt);
      return broker.observe(end, recoveryMs, [
        { name: 'waited-for-the-stream', ok: !tradingWhileHeld, detail: tradingWhileHeld ? 'traded while another connection held the stream' : 'did not trade until the old connection went' },
        { name: 'traded-after-release', ok: attempt.steps >= 20, detail: `${attempt.steps} bar(s) traded after the old connection went` },
      ]);
    }),
};

/** A burst of `status` answers on the next order submission. */
function submissionBurst(name: string, seed: number, status: 429 | 503, fault: string): Drill {
  return {
    name,
    fault,
    proves: 'the client retries the submission after checking whether the order landed: the order exists at the broker once, the session trades on',
    expected: { outcome: ['stopped'], halted: false, maxRecoveryMs: 15_000 },
    run: (context) =>
      withBroker(context, { seed }, async (broker) => {
        const attempt = broker.attempt();
        await broker.trading(attempt);
        const before = submissionsOf(broker);
        const armedAt = context.clock();
        const hit = await faultTheNextSubmission(broker, attempt, () => (status === 429 ? broker.fake.faults.rateLimitNext(3, 1) : broker.fake.faults.failNext(3, status)));
        if (!hit) throw new DrillError('no order submission met the fault');
        const recoveryMs = context.clock() - armedAt;
        await steps(broker, attempt, 10);
        await broker.settle();
        const end = await broker.finish(attempt);
        const posts = submissionsOf(broker) - before;
        return broker.observe(end, recoveryMs, [{ name: 'submission-retried', ok: posts >= 2, detail: `${posts} order submission request(s) after the burst began` }]);
      }),
  };
}

export const rateLimitBurst = submissionBurst('rate-limit-burst', 106, 429, '3 answers 429 (Retry-After 1 s) starting with an order submission');
export const serverErrorBurst = submissionBurst('server-error-burst', 107, 503, '3 answers 503 starting with an order submission');

export const ambiguousSubmission: Drill = {
  name: 'ambiguous-submission',
  fault: 'an order submission is processed by the broker but its answer is lost (the connection drops)',
  proves: 'the client looks the order up by its client order id before sending it again: the order exists once, its fills are booked once',
  expected: { outcome: ['stopped'], halted: false, maxRecoveryMs: 15_000 },
  run: (context) =>
    withBroker(context, { seed: 108 }, async (broker) => {
      const attempt = broker.attempt();
      await broker.trading(attempt);
      const armedAt = context.clock();
      const hit = await faultTheNextSubmission(broker, attempt, () => broker.fake.faults.dropResponseAfterProcessing(1));
      if (!hit) throw new DrillError('no order submission met the fault');
      const recoveryMs = context.clock() - armedAt;
      await steps(broker, attempt, 10);
      await broker.settle();
      const end = await broker.finish(attempt);
      return broker.observe(end, recoveryMs);
    }),
};

export const alertPathFailing: Drill = {
  name: 'alert-path-failing',
  fault: 'the alert path throws on every notice, and a slow webhook never answers',
  proves: 'a failing or hanging alert path never stops trading, and its failures are counted and reported',
  expected: { outcome: ['stopped'], halted: false, maxRecoveryMs: 10_000 },
  run: (context) =>
    withBroker(context, { seed: 109 }, async (broker) => {
      let failures = 0;
      let hanging = 0;
      const alert = (notice: LiveNotice): void => {
        hanging++;
        void new Promise<void>(() => undefined); // a webhook that never answers
        failures++;
        throw new Error(`alert webhook down (${notice.kind})`);
      };
      const start = context.clock();
      const attempt = broker.attempt({ alert });
      await broker.trading(attempt);
      await steps(broker, attempt, 40);
      await broker.settle();
      const recoveryMs = context.clock() - start;
      const end = await broker.finish(attempt);
      return broker.observe(end, recoveryMs, [
        { name: 'traded-through-failing-alerts', ok: attempt.steps >= 40 && attempt.ordersSubmitted > 0, detail: `${attempt.steps} bar(s), ${attempt.ordersSubmitted} order(s) while ${failures} alert(s) failed and ${hanging} hung` },
        {
          name: 'alert-failures-reported',
          ok: end.alertFailures !== undefined && end.alertFailures > 0 && end.alertFailures <= failures,
          detail: `the session's summary reports ${end.alertFailures ?? 'no count of'} alert failure(s) (the double threw ${failures} time(s))`,
        },
      ]);
    }),
};

export const databaseOutageDuringCheckpoint: Drill = {
  name: 'database-outage-during-checkpoint',
  fault: 'the database goes away as the step that sent an order saves its checkpoint (a server: its connections are cut; embedded: it is closed under the session)',
  proves:
    'a session that cannot save its state stops (exit 1) rather than trade on books it could not save; once the database is back a restart reconciles with the broker: the order of the unsaved step is not sent again, its fills are booked once, and the books equal the broker\'s',
  expected: { outcome: ['failed'], halted: false, maxRecoveryMs: 20_000 },
  run: (context) =>
    withBroker(context, { seed: 110 }, async (broker) => {
      const attempt = broker.attempt();
      await broker.trading(attempt);
      broker.state.armOutage();
      for (let k = 0; k < 200 && attempt.end === undefined; k++) if (!(await broker.step(attempt))) break;
      if (broker.state.outages === 0) throw new DrillError('no step sent an order, so the outage never began');
      const end = await attempt.ended;
      const outageAt = context.clock();
      const ordersAtOutage = broker.fake.state.orders().length;
      await broker.state.recover();
      const restart = broker.attempt();
      await broker.trading(restart);
      const recoveryMs = context.clock() - outageAt;
      await steps(broker, restart, 40);
      await broker.settle();
      await broker.finish(restart);
      return broker.observe(end, recoveryMs, [
        { name: 'stopped-on-failed-save', ok: end.outcome === 'failed' && ordersAtOutage > 0, detail: `${end.outcome}: ${end.detail} (${ordersAtOutage} order(s) at the broker)` },
        { name: 'traded-after-recovery', ok: restart.steps >= 40, detail: `${restart.steps} bar(s) traded after the restart on ${broker.state.describe()}` },
      ]);
    }),
};

export const messyMarketData: Drill = {
  name: 'messy-market-data',
  fault: "a quarter of the symbol-minutes have no bar (the IEX feed's sparse minutes); 5% of the streamed bars come late, 5% twice, 5% after their symbol's next bar",
  proves:
    "the session trades through odd market data: a minute missing a symbol is decided without it after the step timeout (300 ms here), duplicated and out-of-order bars are dropped by the bar stream, late ones by the step aggregator; no minute is decided twice, nothing is sent or booked twice, the books equal the broker's",
  expected: { outcome: ['stopped'], halted: false, maxRecoveryMs: 5_000 },
  run: (context) =>
    withBroker(context, { seed: 112, sparseMinutes: 0.25, barDelivery: { late: 0.05, duplicate: 0.05, reorder: 0.05 } }, async (broker) => {
      const attempt = broker.attempt({ stepTimeoutMs: 300 });
      await broker.trading(attempt);
      // Lockstep where it can be: a minute whose bars the stream holds back (late, reordered) is
      // decided only after a later push, so a push that brings no step within 1 s moves on.
      // The recovery time here: the longest wait from a push to the decision it brought.
      let slowest = 0;
      let quiet = 0;
      for (let k = 0; k < 80 && attempt.end === undefined; k++) {
        const before = attempt.steps;
        const pushedAt = context.clock();
        if (broker.replay.step() === null) break;
        const stepped = await broker.until(() => attempt.steps > before || attempt.end !== undefined, 'a step', 1_000).then(
          () => attempt.steps > before,
          () => false,
        );
        if (stepped) slowest = Math.max(slowest, context.clock() - pushedAt);
        else quiet++;
      }
      await broker.settle();
      const end = await broker.finish(attempt);
      const times = attempt.notices.flatMap((n) => (n.kind === 'step' ? [n.report.time] : []));
      const increasing = times.every((t, i) => i === 0 || t > (times[i - 1] as number));
      return broker.observe(end, slowest, [
        { name: 'each-minute-decided-once', ok: increasing && times.length >= 50, detail: `${times.length} minute(s) decided, ${increasing ? 'each once, in order' : 'NOT strictly in order'}; ${quiet} push(es) brought no decision` },
        { name: 'traded-through', ok: attempt.ordersSubmitted > 0, detail: `${attempt.ordersSubmitted} order(s) sent; ${broker.fake.state.barsStreamed} bar frame(s) streamed` },
      ]);
    }),
};

export const webhookDown: Drill = {
  name: 'webhook-down',
  fault: "the paging webhook refuses every connection while an SLO alert keeps firing (the session's real SLO monitor and webhook pager)",
  proves:
    "a dead paging webhook never blocks or stops trading: every page fails fast (bounded attempts), the failures are counted, the alert path is reported down once, and the session trades on with its books equal to the broker's",
  expected: { outcome: ['stopped'], halted: false, maxRecoveryMs: 10_000 },
  run: (context) =>
    withBroker(context, { seed: 113 }, async (broker) => {
      // A port nothing listens on: bound, then closed.
      const port = await closedPort();
      const downs: string[] = [];
      const pager = new WebhookPager({
        url: `http://127.0.0.1:${port}/hooks/drill-token`,
        clock: { now: () => epochMs(broker.replay.now()) },
        minSeverity: 'info',
        timeoutMs: 500,
        maxAttempts: 2,
        backoffBaseMs: 10,
        backoffMaxMs: 20,
        pathDownAfter: 2,
        rng: new SeededRng(113),
        onPathDown: (down) => downs.push(down.reason),
      });
      // Only the checkpoint-age SLO, held to 30 s while steps come a minute apart: it fires and keeps firing.
      const slos = Object.fromEntries(Object.entries(DEFAULT_SLO_CONFIG.slos).map(([name, settings]) => [name, { ...settings, enabled: false }]));
      const config = parseSloConfig(JSON.stringify({ ...DEFAULT_SLO_CONFIG, slos: { ...slos, checkpointAge: { ...DEFAULT_SLO_CONFIG.slos.checkpointAge, enabled: true, maxAgeSeconds: 30 } } }), 'the webhook-down drill');
      const ops = new SessionOperations({ sessionId: DRILL_SESSION, monitor: new SloMonitor({ config, start: epochMs(broker.replay.now()) }), clock: () => broker.replay.now(), pager });
      const start = context.clock();
      const attempt = broker.attempt({ alert: (notice) => ops.observe(notice) });
      await broker.trading(attempt);
      await steps(broker, attempt, 40);
      await broker.settle();
      await pager.idle();
      const recoveryMs = context.clock() - start;
      const end = await broker.finish(attempt);
      const stats = await pager.close(1_000);
      return broker.observe(end, recoveryMs, [
        { name: 'traded-through-dead-webhook', ok: attempt.steps >= 40 && attempt.ordersSubmitted > 0, detail: `${attempt.steps} bar(s), ${attempt.ordersSubmitted} order(s) while the webhook was down` },
        { name: 'page-failures-counted', ok: pager.failures() > 0, detail: `${pager.failures()} page(s) failed; pager stats ${JSON.stringify(stats)}` },
        { name: 'alert-path-reported-down', ok: downs.length === 1, detail: `the path was reported down ${downs.length} time(s)${downs.length > 0 ? `: ${downs[0] ?? ''}` : ''}` },
      ]);
    }),
};

/** A loopback port that was just free: bound, then closed (connections to it are refused). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Every drill, in the order a full run plays them. */
export const DRILLS: readonly Drill[] = [
  reconciliationUnreachable,
  streamDropMidOrder,
  reconnectStorm,
  reconnectStormRidesThrough,
  silentStream,
  stalledPartialFill,
  rateLimitBurst,
  serverErrorBurst,
  ambiguousSubmission,
  alertPathFailing,
  webhookDown,
  dataQualityHalt,
  messyMarketData,
  streamHeldOnRestart,
  databaseOutageDuringCheckpoint,
];

/** The drill named `name`, or undefined. */
export function findDrill(name: string): Drill | undefined {
  return DRILLS.find((d) => d.name === name);
}
