import { readFileSync } from 'node:fs';
import { DataError } from '@quantbot/core';
import { AUDIT_GENESIS_HASH, parseAuditRecordLine } from './jsonl-audit-sink';

/**
 * What is wrong with a log, at the first line where it shows:
 * - `malformed`: not a JSON record of the expected shape (cut short, hand-edited into invalid
 *   JSON, a blank line, an extra field);
 * - `hash-mismatch`: the record's content no longer matches its own hash (it was edited);
 * - `broken-chain`: `prev` is not the hash of the line before (a record was removed, inserted or
 *   moved, or the log does not start at the beginning of its chain);
 * - `sequence-gap`: the chain holds but `seq` skips or repeats.
 */
export type AuditProblemKind = 'malformed' | 'hash-mismatch' | 'broken-chain' | 'sequence-gap';

/** The first problem found in a log. `line` counts from 1; `message` names the place. */
export interface AuditProblem {
  readonly line: number;
  readonly kind: AuditProblemKind;
  readonly message: string;
}

/**
 * The verdict on a log. `records` is the number of records verified: all of them when `ok`, the
 * ones before `problem.line` otherwise.
 */
export interface AuditVerification {
  readonly ok: boolean;
  readonly records: number;
  readonly problem?: AuditProblem;
}

/**
 * Verifies the lines of a JSONL audit log held in memory (without line terminators): every line
 * is a well-formed record, its hash matches its content, its `prev` is the previous record's hash
 * (64 zeros for the first) and `seq` runs 1, 2, 3, … Stops at the first problem. No lines is ok.
 */
export function verifyAuditLines(lines: readonly string[]): AuditVerification {
  return verifyLines(lines, (line) => `line ${line}`);
}

/**
 * Verifies a JSONL audit log file written by `JsonlAuditSink` (see {@link verifyAuditLines}).
 * Detects an edited record (`hash-mismatch`), a removed, inserted or reordered one
 * (`broken-chain` or `sequence-gap`) and a record cut short anywhere (`malformed`), including a
 * last line without its final newline. An empty file is ok with 0 records; a missing or
 * unreadable file is a `DataError` (absent is not the same as empty).
 *
 * Only truncation at the end, after a complete line, cannot be seen from the file alone: keep
 * the last `seq` and `hash` elsewhere (a run report) to pin down the end of the log as well.
 */
export function verifyAuditLog(path: string): AuditVerification {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new DataError(`cannot read audit log: ${reason}`, { file: path }, { cause: error });
  }
  if (text.length === 0) return Object.freeze({ ok: true, records: 0 });
  const lines = text.split('\n');
  const hasFinalNewline = lines[lines.length - 1] === '';
  if (hasFinalNewline) lines.pop();
  const verdict = verifyLines(lines, (line) => `${path}:${line}`);
  if (!verdict.ok || hasFinalNewline) return verdict;
  return failure(
    lines.length,
    'malformed',
    `${path}:${lines.length}: the last record has no final newline: its write was cut short`,
    lines.length - 1,
  );
}

function verifyLines(lines: readonly string[], place: (line: number) => string): AuditVerification {
  let expectedPrev = AUDIT_GENESIS_HASH;
  for (let i = 0; i < lines.length; i++) {
    const line = i + 1;
    const check = parseAuditRecordLine(lines[i] as string);
    if (!check.ok) return failure(line, check.kind, `${place(line)}: ${check.message}`, i);
    const { record } = check;
    if (record.prev !== expectedPrev) {
      const message =
        i === 0
          ? `${place(line)}: the first record's prev is ${short(record.prev)}, not the genesis hash: the log does not start at the beginning of its chain`
          : `${place(line)}: prev ${short(record.prev)} is not the hash of line ${i} (${short(expectedPrev)}): a record was removed, inserted or reordered`;
      return failure(line, 'broken-chain', message, i);
    }
    if (record.seq !== line) {
      return failure(line, 'sequence-gap', `${place(line)}: seq ${record.seq} where ${line} was expected`, i);
    }
    expectedPrev = record.hash;
  }
  return Object.freeze({ ok: true, records: lines.length });
}

function failure(line: number, kind: AuditProblemKind, message: string, records: number): AuditVerification {
  return Object.freeze({ ok: false, records, problem: Object.freeze({ line, kind, message }) });
}

function short(hash: string): string {
  return `${hash.slice(0, 12)}…`;
}
