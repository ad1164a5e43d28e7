import { readFileSync } from 'node:fs';
import { DataError } from '@quantbot/core';
import type { AuditHead } from './jsonl-audit-sink';
import { AUDIT_GENESIS_HASH, parseAuditRecordLine } from './jsonl-audit-sink';

/**
 * What is wrong with a log, at the first line where it shows:
 * - `malformed`: not a JSON record of the expected shape (cut short, hand-edited into invalid
 *   JSON, a blank line, an extra field);
 * - `hash-mismatch`: the record's content no longer matches its own hash (it was edited);
 * - `broken-chain`: `prev` is not the hash of the line before (a record was removed, inserted or
 *   moved, or the log does not start at the beginning of its chain);
 * - `sequence-gap`: the chain holds but `seq` skips or repeats;
 * - `missing`: the log file does not exist (or cannot be read) although an anchor says it holds records;
 * - `truncated`: the chain holds but has fewer records than its anchor (a cut tail, an emptied file);
 * - `head-mismatch`: the record at the anchor's count does not have the anchor's hash (the chain
 *   was rewritten and re-hashed, or replaced by another log).
 */
export type AuditProblemKind = 'malformed' | 'hash-mismatch' | 'broken-chain' | 'sequence-gap' | 'missing' | 'truncated' | 'head-mismatch';

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
  /**
   * The head of the verified chain (the last verified record's count and hash); present when
   * `ok`. Compare it with an anchor kept elsewhere, or use {@link verifyAuditLogAgainstHead}.
   */
  readonly head?: AuditHead;
}

/**
 * The verdict on a log checked against an anchor: {@link AuditVerification} plus the anchor.
 * `ok` means the whole chain is intact and record number `anchor.records` carries `anchor.hash`
 * (records appended after the anchor are allowed: a log may keep growing).
 */
export interface AnchoredAuditVerification extends AuditVerification {
  readonly anchor: AuditHead;
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
 * A cut tail (after a complete line), an emptied file and a chain re-hashed after an edit
 * cannot be seen from the file alone: check the file against its head recorded elsewhere with
 * {@link verifyAuditLogAgainstHead}.
 */
export function verifyAuditLog(path: string): AuditVerification {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new DataError(`cannot read audit log: ${reason}`, { file: path }, { cause: error });
  }
  if (text.length === 0) return Object.freeze({ ok: true, records: 0, head: Object.freeze({ records: 0, hash: AUDIT_GENESIS_HASH }) });
  const lines = text.split('\n');
  const hasFinalNewline = lines[lines.length - 1] === '';
  if (hasFinalNewline) lines.pop();
  return verifyAuditLogText(lines, hasFinalNewline, path);
}

/**
 * Verifies a JSONL audit log (see {@link verifyAuditLog}) and checks it against `anchor`, a head
 * recorded outside the file when it was written (a run manifest's `audit.head`, a database row).
 * This is what detects what the file alone cannot show:
 * - a deleted or unreadable file (`missing`; not a thrown error here: it is the verdict);
 * - a cut tail or an emptied file (`truncated`: fewer records than the anchor);
 * - a chain rewritten and re-hashed after an edit, or another log put in its place
 *   (`head-mismatch`: record `anchor.records` does not carry `anchor.hash`).
 * An anchor of 0 records and the genesis hash is satisfied by a missing or empty file.
 *
 * @example
 * const check = verifyAuditLogAgainstHead('results/audit.jsonl', manifest.audit.head);
 * if (!check.ok) console.error(check.problem?.message);
 */
export function verifyAuditLogAgainstHead(path: string, anchor: AuditHead): AnchoredAuditVerification {
  let text: string | undefined;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if (anchor.records === 0) return Object.freeze({ ok: true, records: 0, anchor, head: { records: 0, hash: AUDIT_GENESIS_HASH } });
    const reason = error instanceof Error ? error.message : String(error);
    return Object.freeze({
      ok: false,
      records: 0,
      anchor,
      problem: Object.freeze({ line: 0, kind: 'missing' as const, message: `${path}: cannot read the audit log (${reason}); its anchor says it holds ${anchor.records} record(s)` }),
    });
  }
  const lines = text.length === 0 ? [] : text.split('\n');
  const hasFinalNewline = lines.length > 0 && lines[lines.length - 1] === '';
  if (hasFinalNewline) lines.pop();
  // Only the lines up to the anchor must exist; the chain is checked over the whole file.
  const whole = text.length === 0 ? Object.freeze({ ok: true, records: 0, head: { records: 0, hash: AUDIT_GENESIS_HASH } }) : verifyAuditLogText(lines, hasFinalNewline, path);
  if (!whole.ok) return Object.freeze({ ...whole, anchor });
  const records = whole.records;
  if (records < anchor.records) {
    return Object.freeze({
      ok: false,
      records,
      anchor,
      problem: Object.freeze({
        line: records + 1,
        kind: 'truncated' as const,
        message: `${path}: ${records} record(s), but its anchor says ${anchor.records}: the log was cut or emptied`,
      }),
    });
  }
  const hashAt = anchor.records === 0 ? AUDIT_GENESIS_HASH : (JSON.parse(lines[anchor.records - 1] as string) as { hash: string }).hash;
  if (hashAt !== anchor.hash) {
    return Object.freeze({
      ok: false,
      records,
      anchor,
      problem: Object.freeze({
        line: anchor.records,
        kind: 'head-mismatch' as const,
        message: `${path}:${anchor.records}: record ${anchor.records} hashes to ${short(hashAt)}, its anchor says ${short(anchor.hash)}: the chain was rewritten (edited and re-hashed) or replaced`,
      }),
    });
  }
  return Object.freeze({ ...whole, anchor });
}

function verifyAuditLogText(lines: string[], hasFinalNewline: boolean, path: string): AuditVerification {
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
  return Object.freeze({ ok: true, records: lines.length, head: Object.freeze({ records: lines.length, hash: expectedPrev }) });
}

function failure(line: number, kind: AuditProblemKind, message: string, records: number): AuditVerification {
  return Object.freeze({ ok: false, records, problem: Object.freeze({ line, kind, message }) });
}

function short(hash: string): string {
  return `${hash.slice(0, 12)}…`;
}
