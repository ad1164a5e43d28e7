import type { EpochMs } from '../ids';
import type { JsonValue } from './store';

/** One append-only audit record: who decided what, when, and why. */
export interface AuditEntry {
  readonly time: EpochMs;
  readonly kind: string;
  readonly detail: { readonly [key: string]: JsonValue };
}

/** Receives audit records in order. Implementations must not reorder or drop them. */
export interface AuditSink {
  append(entry: AuditEntry): void;
}
