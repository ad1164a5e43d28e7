import type { AuditEntry, AuditSink } from '@quantbot/core';

/**
 * An audit sink that keeps records in memory, in arrival order: for tests and backtests, where a
 * file would only slow the run down. It stores entries as given (no redaction: nothing leaves the
 * process) and never drops or reorders them.
 *
 * @example
 * const audit = new MemoryAuditSink();
 * gateway = new OrderGateway({ ..., audit });
 * expect(audit.ofKind('order-rejected')).toHaveLength(1);
 */
export class MemoryAuditSink implements AuditSink {
  readonly #records: AuditEntry[] = [];

  /** Records one entry. */
  append(entry: AuditEntry): void {
    this.#records.push(entry);
  }

  /** Every entry appended so far, oldest first (a copy: appending later does not change it). */
  get records(): readonly AuditEntry[] {
    return this.#records.slice();
  }

  /** How many entries were appended. */
  get length(): number {
    return this.#records.length;
  }

  /** The entries of one `kind`, oldest first. */
  ofKind(kind: string): readonly AuditEntry[] {
    return this.#records.filter((entry) => entry.kind === kind);
  }
}
