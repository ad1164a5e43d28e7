import { ConfigError } from '@quantbot/core';
import type { FakeAlpacaFaults } from './fake-alpaca-server';
import type { FakeReply } from './fake-http';
import { parseFakeRoute } from './fake-http';
import { FAKE_STREAM_KINDS } from './fake-stream-kind';
import type { FakeStreamKind } from './fake-stream-kind';

/** A fault by name with its arguments, as the admin endpoint and `live-trader fake-alpaca --faults` take it. */
export interface FakeFaultRequest {
  /** `fail-next`, `delay-next`, `rate-limit-next`, `drop-response-after-processing`, `drop-streams`, `silence-streams`, `refuse-streams`, `duplicate-next-updates`, `reorder-next-updates`, `late-next-bars`, `duplicate-next-bars`, `reorder-next-bars`, `stall-partial-fills`, `reject-next-orders`, `order-latency` or `reset`. */
  readonly fault: string;
  readonly [argument: string]: unknown;
}

/** The fault names `applyFakeFault` knows, in the order of `FakeAlpacaFaults`. */
export const FAKE_FAULT_NAMES: readonly string[] = Object.freeze([
  'fail-next',
  'delay-next',
  'rate-limit-next',
  'drop-response-after-processing',
  'drop-streams',
  'silence-streams',
  'refuse-streams',
  'duplicate-next-updates',
  'reorder-next-updates',
  'late-next-bars',
  'duplicate-next-bars',
  'reorder-next-bars',
  'stall-partial-fills',
  'reject-next-orders',
  'order-latency',
  'reset',
]);

/**
 * Applies one fault to `faults` by name: `{ fault: 'fail-next', n: 3, status: 503, route: 'POST
 * /v2/orders' }`. `route` (any request when absent) targets the HTTP faults at one route;
 * `stream` (`trading` or `market-data`, both when absent) targets `drop-streams`,
 * `silence-streams` and `refuse-streams` at one stream. `order-latency` takes `acceptMs`,
 * `cancelMs` and `replaceMs` (see `FakeOrderLatency`; 0 when left out). A `ConfigError` names the
 * argument that is missing or wrong.
 */
export function applyFakeFault(faults: FakeAlpacaFaults, request: FakeFaultRequest): void {
  const count = (): number => {
    const n = request['n'];
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 1) throw new ConfigError('n', `must be a whole number ≥ 1, got ${JSON.stringify(n)}`);
    return n;
  };
  const number = (name: string, min: number): number => {
    const v = request[name];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min) throw new ConfigError(name, `must be a number ≥ ${min}, got ${JSON.stringify(v)}`);
    return v;
  };
  const flag = (name: string): boolean => {
    const v = request[name];
    if (typeof v !== 'boolean') throw new ConfigError(name, `must be true or false, got ${JSON.stringify(v)}`);
    return v;
  };
  const text = (name: string): string => {
    const v = request[name];
    if (typeof v !== 'string' || v === '') throw new ConfigError(name, `must be a non-empty string, got ${JSON.stringify(v)}`);
    return v;
  };
  const route = (): string | undefined => {
    const v = request['route'];
    if (v === undefined) return undefined;
    if (typeof v !== 'string') throw new ConfigError('route', `must be a string, got ${JSON.stringify(v)}`);
    return parseFakeRoute(v).text;
  };
  const stream = (): FakeStreamKind | undefined => {
    const v = request['stream'];
    if (v === undefined) return undefined;
    if (!FAKE_STREAM_KINDS.includes(v as FakeStreamKind)) throw new ConfigError('stream', `must be one of ${FAKE_STREAM_KINDS.join(', ')}, got ${JSON.stringify(v)}`);
    return v as FakeStreamKind;
  };
  switch (request.fault) {
    case 'fail-next': {
      const status = number('status', 100);
      if (!Number.isInteger(status) || status > 599) throw new ConfigError('status', `must be an HTTP status 100..599, got ${status}`);
      return faults.failNext(count(), status, route());
    }
    case 'delay-next':
      return faults.delayNext(count(), number('ms', 0), route());
    case 'rate-limit-next':
      return faults.rateLimitNext(count(), number('retryAfterSeconds', 0), route());
    case 'drop-response-after-processing':
      return faults.dropResponseAfterProcessing(count(), route());
    case 'drop-streams':
      return faults.dropStreams(stream());
    case 'silence-streams':
      return faults.silenceStreams(flag('on'), stream());
    case 'refuse-streams':
      return faults.refuseStreams(count(), stream());
    case 'duplicate-next-updates':
      return faults.duplicateNextUpdates(count());
    case 'reorder-next-updates':
      return faults.reorderNextUpdates(count());
    case 'late-next-bars':
      return faults.lateNextBars(count());
    case 'duplicate-next-bars':
      return faults.duplicateNextBars(count());
    case 'reorder-next-bars':
      return faults.reorderNextBars(count());
    case 'stall-partial-fills':
      return faults.stallPartialFills(flag('on'));
    case 'reject-next-orders':
      return faults.rejectNextOrders(count(), text('reason'));
    case 'order-latency': {
      // `{ acceptMs?, cancelMs?, replaceMs? }`, ms of the fake's clock; each one left out is 0.
      const names = ['acceptMs', 'cancelMs', 'replaceMs'] as const;
      for (const key of Object.keys(request)) {
        if (key !== 'fault' && !(names as readonly string[]).includes(key)) throw new ConfigError(key, `is not an argument of order-latency (${names.join(', ')})`);
      }
      const ms = (key: (typeof names)[number]): number => (request[key] === undefined ? 0 : number(key, 0));
      return faults.orderLatency({ acceptMs: ms('acceptMs'), cancelMs: ms('cancelMs'), replaceMs: ms('replaceMs') });
    }
    case 'reset':
      return faults.reset();
    default:
      throw new ConfigError('fault', `'${String(request.fault)}' is not one of ${FAKE_FAULT_NAMES.join(', ')}`);
  }
}

/**
 * The admin endpoint: `POST /__admin/faults/{name}` with the fault's arguments as a JSON object
 * (`{}` or no body when it takes none) applies it and answers 200 `{"fault": name}`; bad
 * arguments are 400 `{"code":40010000,"message":"<argument>: ..."}`, an unknown fault or path 404.
 * The HTTP side serves it only to loopback clients, without API keys, outside the rate limit and
 * the request log.
 */
export function routeFakeAdmin(method: string, path: string, body: string, faults: FakeAlpacaFaults): FakeReply {
  const match = /^\/__admin\/faults\/([a-z-]+)$/.exec(path);
  const name = match?.[1];
  if (method !== 'POST' || name === undefined || !FAKE_FAULT_NAMES.includes(name)) return { status: 404, body: { code: 40400000, message: 'endpoint not found' } };
  let args: unknown = {};
  if (body.trim() !== '') {
    try {
      args = JSON.parse(body) as unknown;
    } catch {
      return { status: 400, body: { code: 40010000, message: 'request body format is invalid' } };
    }
  }
  if (typeof args !== 'object' || args === null || Array.isArray(args)) return { status: 400, body: { code: 40010000, message: 'request body must be a JSON object' } };
  try {
    applyFakeFault(faults, { ...(args as Record<string, unknown>), fault: name });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return { status: 400, body: { code: 40010000, message: error.message } };
  }
  return { status: 200, body: { fault: name } };
}
