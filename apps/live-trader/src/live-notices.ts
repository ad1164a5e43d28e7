import type { CliIo } from '@quantbot/cli';
import { describeChannelsDown } from '@quantbot/live';
import type { DriveOutcome, LiveNotice, LiveNotify } from '@quantbot/live';
import type { Logger } from '@quantbot/observability';
import type { RunOutput } from './trader-output';

/** The exit code of a trader stopped by (or during) a broker outage. */
export const BROKER_OUTAGE_EXIT_CODE = 5;

const iso = (ms: number): string => new Date(ms).toISOString();
const message = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/**
 * What the trader says about a running session: operator news on stdout; warnings and failures on
 * stderr as they happen, each line starting with `warning: ` or `error: `; every notice in the
 * log. `onStep` is called after every bar step.
 */
export function liveNotifier(
  io: CliIo,
  log: Logger,
  options: { readonly broker: string; readonly onStep?: ((report: Extract<LiveNotice, { kind: 'step' }>['report']) => void) | undefined },
): LiveNotify {
  return (notice) => {
    switch (notice.kind) {
      case 'kill-switch':
        io.err(`warning: kill switch: ${notice.from} -> ${notice.to}: ${notice.reason}`);
        log.warn('kill switch', { from: notice.from, to: notice.to, reason: notice.reason });
        return;
      case 're-arm': {
        const who = notice.by === null ? 'an unreadable request' : `${notice.by} (${notice.reason ?? ''})`;
        if (notice.applied) {
          io.out(`kill switch: re-armed by ${who}: ${notice.state}`);
          log.warn('re-armed', { by: notice.by, reason: notice.reason, state: notice.state });
        } else {
          io.err(`warning: kill switch: re-arm by ${who} refused: ${notice.refusal ?? ''}; the session stays ${notice.state}`);
          log.warn('re-arm refused', { by: notice.by, refusal: notice.refusal, state: notice.state });
        }
        return;
      }
      case 'sleeve-request': {
        const who = notice.by === null ? 'an unreadable request' : `${notice.by} (${notice.reason ?? ''})`;
        if (notice.applied) {
          io.out(`sleeve ${notice.sleeve ?? '?'}: ${notice.action ?? '?'} by ${who}: ${notice.state}`);
          log.warn('sleeve request applied', { sleeve: notice.sleeve, action: notice.action, by: notice.by, reason: notice.reason, state: notice.state });
        } else {
          io.err(`warning: sleeve ${notice.sleeve ?? '?'}: ${notice.action ?? 'request'} by ${who} refused: ${notice.refusal ?? ''}`);
          log.warn('sleeve request refused', { sleeve: notice.sleeve, action: notice.action, by: notice.by, refusal: notice.refusal, state: notice.state });
        }
        return;
      }
      case 'strategy-notice': {
        const n = notice.notice;
        io.err(`warning: ${n.strategy}: ${n.code}: ${n.message}`);
        log.warn('strategy notice', { time: iso(n.time), strategy: n.strategy, code: n.code, message: n.message });
        return;
      }
      case 'reconciliation': {
        const d = notice.divergence;
        io.out(`reconciliation: ${d.kind}${d.symbol === null ? '' : ` ${d.symbol}`}: local ${JSON.stringify(d.local)}, broker ${JSON.stringify(d.broker)}: ${d.action}`);
        log.info('reconciliation', { kind: d.kind, symbol: d.symbol, local: d.local, broker: d.broker, action: d.action });
        return;
      }
      case 'broker-unhealthy':
        io.err(
          `warning: broker: unhealthy since ${iso(notice.since)}: ${notice.channel} ${notice.detail}; the trader stops with exit ${BROKER_OUTAGE_EXIT_CODE} after ${notice.maxOutageMs} ms of it in market hours`,
        );
        log.warn('broker unhealthy', { channel: notice.channel, healthy: false, detail: notice.detail });
        return;
      case 'broker-healthy':
        io.err(`warning: broker: healthy again (${notice.channel} ${notice.detail})`);
        log.info('broker healthy again', { channel: notice.channel, healthy: true, detail: notice.detail });
        return;
      case 'market-clock':
        log.info('market clock', { open: notice.clock.isOpen, nextOpen: iso(notice.clock.nextOpen), nextClose: iso(notice.clock.nextClose) });
        return;
      case 'market-closed':
        if (notice.first) io.out(`market closed: sleeping until the open at ${iso(notice.nextOpen)}`);
        log.info('market closed', { nextOpen: iso(notice.nextOpen) });
        return;
      case 'trading':
        io.out(`session ${notice.sessionId}: trading ${notice.symbols.join(',')} after ${iso(notice.after)} (${options.broker}); Ctrl-C stops cleanly`);
        log.info('trading', { session: notice.sessionId, symbols: [...notice.symbols], after: iso(notice.after) });
        return;
      case 'step':
        if (notice.report.ordersSubmitted > 0) log.info('step', { ...notice.report });
        options.onStep?.(notice.report);
        return;
      case 'late-bar':
        io.err(`warning: late bar dropped: ${notice.symbol} ${iso(notice.time)} came after the step of ${iso(notice.lastStep)}`);
        log.warn('late bar dropped', { symbol: notice.symbol, time: iso(notice.time), lastStep: iso(notice.lastStep) });
        return;
      case 'step-failed':
        io.err(`error: step failed: ${message(notice.error)}`);
        log.error('step failed', { error: notice.error });
        return;
      case 'save-failed':
        io.err(`error: saving after an operator control failed: ${message(notice.error)}`);
        log.error('save after an operator control failed', { error: notice.error });
        return;
      case 'stop-requested':
        log.info('stop requested', {});
        return;
      case 'outage': {
        const o = notice.outage;
        io.err(
          `error: broker outage: ${describeChannelsDown(o.channels)}; unhealthy for ${o.countedMs} ms of market hours (limit ${notice.maxOutageMs} ms): stopping with exit ${BROKER_OUTAGE_EXIT_CODE}`,
        );
        log.error('broker outage', { since: iso(o.since), countedMs: o.countedMs, channels: o.channels.map((c) => ({ ...c })) });
        return;
      }
      case 'outage-during-step':
        io.err(`error: broker outage during a step: ${message(notice.error)}; stopping with exit ${BROKER_OUTAGE_EXIT_CODE}`);
        log.error('broker outage during a step', { error: notice.error });
        return;
      case 'outage-cancels':
        io.err(`error: broker outage: cancelled ${notice.cancelled} open order(s) of the session${notice.failed.length > 0 ? `; could not cancel: ${notice.failed.join('; ')}` : ''}`);
        log.error('outage cancels', { cancelled: notice.cancelled, failed: [...notice.failed] });
        return;
      case 'outage-cancels-failed':
        io.err(`error: broker outage: could not list the session's open orders to cancel them (${message(notice.error)}); they may still be working at the broker`);
        log.error('outage cancels', { error: notice.error });
        return;
    }
  };
}

/** Says how a session ended and returns the trader's exit code. */
export function reportOutcome(outcome: DriveOutcome, io: RunOutput, log: Logger): number {
  if (outcome.kind === 'outage') {
    const positions = outcome.positions.map((p) => `${p.symbol} ${p.qty}`);
    io.err(`error: broker outage: stopped (exit ${BROKER_OUTAGE_EXIT_CODE}); positions held by the books of the last whole bar: ${positions.length === 0 ? 'none' : positions.join(', ')}`);
    return BROKER_OUTAGE_EXIT_CODE;
  }
  if (outcome.kind === 'failed') {
    io.err(`error: ${message(outcome.error)}; the last saved state is that of the last whole bar`);
    return 1;
  }
  log.info('stopped', { ...outcome.summary });
  io.summary(JSON.stringify(outcome.summary));
  if (outcome.stoppedWhileDown !== undefined) {
    io.err(`error: stopped during a broker outage (${outcome.stoppedWhileDown}): exit ${BROKER_OUTAGE_EXIT_CODE}, not a clean stop; positions may be open`);
    log.error('stopped during a broker outage', { down: outcome.stoppedWhileDown });
    return BROKER_OUTAGE_EXIT_CODE;
  }
  return 0;
}
