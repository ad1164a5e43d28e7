import { createHash } from 'node:crypto';
import type { BarUniverse } from '@quantbot/core';
import { DataError } from '@quantbot/core';
import type { ClosedTrade, PerformanceMetrics } from '@quantbot/engine';
import type { TrialOutcome, TrialRun } from './sweep-worker';

// What crosses the database between a distributed sweep's submitter and its workers, encoded so
// that every number comes back bit for bit: JSON keeps a finite double exactly (shortest
// round-trip form) but not NaN, ±Infinity or −0, which are tagged; return series travel as the
// raw bytes of their Float64Array.

const NUMBER_TAG = '$qbNumber';

/** JSON text of `value` in which NaN, ±Infinity and −0 survive a round trip through {@link decodeExactJson}. */
export function encodeExactJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v !== 'number') return v;
    if (Number.isNaN(v)) return { [NUMBER_TAG]: 'NaN' };
    if (v === Infinity) return { [NUMBER_TAG]: 'Infinity' };
    if (v === -Infinity) return { [NUMBER_TAG]: '-Infinity' };
    if (Object.is(v, -0)) return { [NUMBER_TAG]: '-0' };
    return v;
  });
}

/** The value {@link encodeExactJson} encoded. */
export function decodeExactJson<T>(text: string): T {
  return JSON.parse(text, (_key, v: unknown) => {
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      const keys = Object.keys(v);
      if (keys.length === 1 && keys[0] === NUMBER_TAG) {
        const tag = (v as Record<string, unknown>)[NUMBER_TAG];
        if (tag === 'NaN') return NaN;
        if (tag === 'Infinity') return Infinity;
        if (tag === '-Infinity') return -Infinity;
        if (tag === '-0') return -0;
      }
    }
    return v;
  }) as T;
}

/** The bytes of a return series (a Node Buffer, which pg stores as bytea; the platform's byte order: workers and submitter share it on x86-64 and arm64). */
export function encodeReturns(returns: Float64Array): Uint8Array {
  return Buffer.from(returns.buffer, returns.byteOffset, returns.byteLength);
}

/** The series {@link encodeReturns} encoded (copied onto its own aligned buffer). */
export function decodeReturns(bytes: Uint8Array): Float64Array {
  if (bytes.byteLength % 8 !== 0) throw new DataError(`a stored return series has ${bytes.byteLength} bytes, not a whole number of doubles`);
  const out = new Float64Array(bytes.byteLength / 8);
  new Uint8Array(out.buffer).set(bytes);
  return out;
}

/** A trial outcome as a results row stores it. */
export interface EncodedOutcome {
  readonly metrics: string;
  readonly returns: Uint8Array;
}

export function encodeOutcome(outcome: TrialOutcome): EncodedOutcome {
  return { metrics: encodeExactJson(outcome.metrics), returns: encodeReturns(outcome.returns) };
}

export function decodeOutcome(row: { readonly metrics: string; readonly returns: Uint8Array }): TrialOutcome {
  return { metrics: decodeExactJson<PerformanceMetrics>(row.metrics), returns: decodeReturns(row.returns) };
}

/** What a stored whole run keeps besides its returns (in the row's `metrics` text). */
interface RunDetail {
  readonly metrics: PerformanceMetrics;
  readonly trades: readonly ClosedTrade[];
  readonly tradedNotional: number;
  readonly warmupBars: number;
}

/** A whole run (a walk-forward's out-of-sample run) as a results row stores it: its metrics, trades and traded notional exactly, its returns as bytes. */
export function encodeRun(run: TrialRun): EncodedOutcome {
  const detail: RunDetail = { metrics: run.metrics, trades: run.trades, tradedNotional: run.tradedNotional, warmupBars: run.warmupBars };
  return { metrics: encodeExactJson({ run: detail }), returns: encodeReturns(run.returns) };
}

/** The run {@link encodeRun} encoded; a `DataError` for a row that holds no whole run (a trial's, or one an earlier version's worker stored). */
export function decodeRun(row: { readonly metrics: string; readonly returns: Uint8Array }): TrialRun {
  const decoded = decodeExactJson<{ readonly run?: RunDetail }>(row.metrics);
  const detail = decoded.run;
  if (detail === undefined || !Array.isArray(detail.trades) || typeof detail.tradedNotional !== 'number') throw new DataError('a stored result holds no whole run (metrics, trades, traded notional)');
  return { metrics: detail.metrics, returns: decodeReturns(row.returns), trades: detail.trades, tradedNotional: detail.tradedNotional, warmupBars: detail.warmupBars };
}

/**
 * SHA-256 of a universe as trials see it: its symbols, length and every array (times, prices,
 * volumes, which bars exist), byte for byte. Two universes with the same hash give every trial
 * the same numbers; a distributed worker refuses a job whose universe hash differs from its own.
 */
export function universeHash(universe: BarUniverse): string {
  const hash = createHash('sha256');
  hash.update(JSON.stringify({ symbols: universe.symbols, length: universe.length }));
  for (const array of [universe.time, universe.open, universe.high, universe.low, universe.close, universe.volume, universe.hasBar]) {
    hash.update(new Uint8Array(array.buffer, array.byteOffset, array.byteLength));
  }
  return hash.digest('hex');
}
