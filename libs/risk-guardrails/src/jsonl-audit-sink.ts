import { createHash } from 'node:crypto';
import { appendFileSync, closeSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import type { AuditEntry, AuditSink, JsonValue } from '@quantbot/core';
import { ConfigError, DataError, QuantbotError, canonicalJson } from '@quantbot/core';

/** The `prev` of the first record of a log: 64 zeros (no record came before it). */
export const AUDIT_GENESIS_HASH = '0'.repeat(64);

/** What a redacted value is replaced with. */
export const AUDIT_REDACTED = '[REDACTED]';

/**
 * Detail keys whose values are secrets. Matched anywhere in the key, case-insensitively, so
 * `apiKey`, `X-Api-Key`, `dbPassword`, `refresh_token`, `clientSecret` and `privateKeyPem` all
 * match (and so do harmless keys such as `tokenizer`: the rule errs on the side of hiding).
 */
export const AUDIT_SECRET_KEY_PATTERN = /(secret|password|passwd|token|api[-_]?key|authorization|credential|private[-_]?key)/i;

/** String values that are bearer credentials (`Bearer eyJ…`), whatever key holds them. */
const BEARER_VALUE_PATTERN = /^\s*bearer\s/i;

const HEX_SHA256 = /^[0-9a-f]{64}$/;
const RECORD_KEYS = ['detail', 'hash', 'kind', 'prev', 'seq', 'time'] as const;
const TAIL_CHUNK_BYTES = 64 * 1024;
const NEWLINE = 0x0a;

/**
 * One line of a JSONL audit log. `seq` counts from 1; `prev` is the `hash` of the record before
 * (or {@link AUDIT_GENESIS_HASH}); `hash` is the hex SHA-256 of the canonical JSON of
 * `{ seq, time, kind, detail, prev }`. Since each hash covers the previous one, editing,
 * removing or reordering any record breaks the chain from that record on.
 */
export interface AuditRecord {
  readonly seq: number;
  readonly time: number;
  readonly kind: string;
  readonly detail: { readonly [key: string]: JsonValue };
  readonly prev: string;
  readonly hash: string;
}

/**
 * The head of a chain: how many records it holds and the `hash` of the last one
 * ({@link AUDIT_GENESIS_HASH} for none). Kept outside the log (a run manifest, a database row),
 * it is the anchor that shows a cut tail, an emptied or deleted file, or a chain re-hashed after
 * an edit: none of them can end at the same head.
 */
export interface AuditHead {
  readonly records: number;
  readonly hash: string;
}

/** Options of {@link JsonlAuditSink}. */
export interface JsonlAuditSinkOptions {
  /**
   * Continue this head instead of the file's: the first record gets `seq` `records + 1` and
   * `prev` `hash`. Only for a new or empty file (a `ConfigError` naming `startAfter` otherwise).
   * Used to re-derive a recorded segment of a log into a scratch file, so that the head it ends
   * at can be compared with the recorded one without touching the original log.
   */
  readonly startAfter?: AuditHead;
}

/** The outcome of reading one log line on its own (the chain is the verifier's business). */
export type AuditLineCheck =
  | { readonly ok: true; readonly record: AuditRecord }
  | { readonly ok: false; readonly kind: 'malformed' | 'hash-mismatch'; readonly message: string };

/**
 * The `hash` of a record: hex SHA-256 of the canonical JSON (core's `canonicalJson`: keys sorted
 * at every depth, no whitespace) of its other five fields. Throws a `DataError` naming the field
 * of what JSON cannot carry unchanged.
 */
export function hashAuditRecord(fields: Omit<AuditRecord, 'hash'>): string {
  const { seq, time, kind, detail, prev } = fields;
  return createHash('sha256').update(canonicalJson({ seq, time, kind, detail, prev }), 'utf8').digest('hex');
}

/**
 * Returns a copy of `detail` with secrets replaced by {@link AUDIT_REDACTED}, at every depth
 * (inside nested objects and arrays):
 * - the whole value of any key matching {@link AUDIT_SECRET_KEY_PATTERN}, whatever its type
 *   (a nested object under `credentials` is replaced as one);
 * - any string value that starts with `Bearer ` (case-insensitive, after leading spaces).
 * Nothing else is redacted: a secret stored under an innocent key, not prefixed with `Bearer `,
 * is written as it is, so keep secrets out of audit details in the first place.
 */
export function redactAuditDetail(detail: { readonly [key: string]: JsonValue }): { readonly [key: string]: JsonValue } {
  return redactObject(detail);
}

/**
 * Parses one line of a JSONL audit log and checks its shape (exactly the six fields, with their
 * types) and its own hash. Does not check `prev` or `seq` against the line before.
 */
export function parseAuditRecordLine(text: string): AuditLineCheck {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    return malformed(`not valid JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  if (!isPlainObject(parsed)) return malformed('not a JSON object');
  const keys = Object.keys(parsed).sort();
  if (keys.length !== RECORD_KEYS.length || keys.some((key, i) => key !== RECORD_KEYS[i])) {
    return malformed(`fields are [${keys.join(', ')}], expected [${RECORD_KEYS.join(', ')}]`);
  }
  const { seq, time, kind, detail, prev, hash } = parsed as { [key: string]: unknown };
  if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 1) return malformed(`seq ${JSON.stringify(seq)} is not an integer ≥ 1`);
  if (typeof time !== 'number' || !Number.isFinite(time)) return malformed(`time ${JSON.stringify(time)} is not a finite number`);
  if (typeof kind !== 'string') return malformed('kind is not a string');
  if (!isPlainObject(detail)) return malformed('detail is not a JSON object');
  if (typeof prev !== 'string' || !HEX_SHA256.test(prev)) return malformed('prev is not 64 lower-case hex digits');
  if (typeof hash !== 'string' || !HEX_SHA256.test(hash)) return malformed('hash is not 64 lower-case hex digits');
  const fields = { seq, time, kind, detail: detail as { readonly [key: string]: JsonValue }, prev };
  const expected = hashAuditRecord(fields);
  if (expected !== hash) {
    return {
      ok: false,
      kind: 'hash-mismatch',
      message: `record ${seq} hashes to ${expected.slice(0, 12)}… but says ${hash.slice(0, 12)}…: its content was changed`,
    };
  }
  return { ok: true, record: { ...fields, hash } };
}

/**
 * An append-only, hash-chained JSON Lines audit log: one {@link AuditRecord} per line, secrets
 * redacted (see {@link redactAuditDetail}). Verify a log with `verifyAuditLog`.
 *
 * The file is touched only by `append`: the first call reads the last line of an existing file
 * and continues its chain (`seq` and `prev`); a last line that is incomplete or fails its own
 * hash is a `DataError`, never a silent restart. Each record is written with one synchronous
 * append, so a record is on its way to disk before `append` returns. One sink per file: two
 * writers on the same file would fork the chain.
 *
 * @example
 * const audit = new JsonlAuditSink('results/run-42/audit.jsonl');
 * audit.append({ time: clock.now(), kind: 'order-rejected', detail: { symbol: 'ORCL', code: 'halted' } });
 */
export class JsonlAuditSink implements AuditSink {
  readonly #path: string;
  #tail: { readonly seq: number; readonly hash: string } | undefined;

  /** Remembers `path`; nothing is opened or created until the first `append`. */
  constructor(path: string, options: JsonlAuditSinkOptions = {}) {
    this.#path = path;
    const { startAfter } = options;
    if (startAfter !== undefined) {
      if (!Number.isSafeInteger(startAfter.records) || startAfter.records < 0) {
        throw new ConfigError('startAfter.records', `${startAfter.records} is not a record count`);
      }
      if (!HEX_SHA256.test(startAfter.hash)) throw new ConfigError('startAfter.hash', 'is not 64 lower-case hex digits');
      if (readChainTail(path).seq !== 0) throw new ConfigError('startAfter', `${path} already holds records; startAfter only applies to a new or empty log`);
      this.#tail = { seq: startAfter.records, hash: startAfter.hash };
    }
  }

  /** The file this sink appends to. */
  get path(): string {
    return this.#path;
  }

  /**
   * The head the next record chains onto: the records written so far (with the ones the file
   * held before) and the last hash. Reads the file's last line when nothing was appended yet;
   * throws like `append` when that line is corrupt.
   */
  head(): AuditHead {
    const tail = this.#tail ?? readChainTail(this.#path);
    this.#tail = tail;
    return Object.freeze({ records: tail.seq, hash: tail.hash });
  }

  /**
   * Redacts, chains and appends one entry as a line. Throws a `DataError` when the entry holds
   * a value JSON cannot carry (such as `NaN`) or the existing file's last line is corrupt, and a
   * `QuantbotError` with code `AUDIT_WRITE_FAILED` when the file cannot be written.
   */
  append(entry: AuditEntry): void {
    const tail = this.#tail ?? readChainTail(this.#path);
    const seq = tail.seq + 1;
    const detail = redactAuditDetail(entry.detail);
    const fields = { seq, time: entry.time, kind: entry.kind, detail, prev: tail.hash };
    let hash: string;
    try {
      hash = hashAuditRecord(fields);
    } catch (error) {
      if (error instanceof DataError) {
        throw new DataError(`audit record ${seq} (${entry.kind}): ${error.message}`, { file: this.#path });
      }
      throw error;
    }
    const line =
      `{"seq":${seq},"time":${canonicalJson(fields.time)},"kind":${JSON.stringify(fields.kind)},` +
      `"detail":${canonicalJson(detail)},"prev":"${fields.prev}","hash":"${hash}"}\n`;
    try {
      appendFileSync(this.#path, line, 'utf8');
    } catch (error) {
      // The file may now end in a partial line; re-reading the tail on the next append finds out.
      this.#tail = undefined;
      const reason = error instanceof Error ? error.message : String(error);
      throw new QuantbotError('AUDIT_WRITE_FAILED', `${this.#path}: cannot append audit record ${seq}: ${reason}`, { cause: error });
    }
    this.#tail = { seq, hash };
  }
}

function malformed(message: string): AuditLineCheck {
  return { ok: false, kind: 'malformed', message };
}

function isPlainObject(value: unknown): value is { [key: string]: unknown } {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

function redactValue(value: JsonValue): JsonValue {
  if (typeof value === 'string') return BEARER_VALUE_PATTERN.test(value) ? AUDIT_REDACTED : value;
  if (value === null || typeof value !== 'object') return value;
  if (isJsonArray(value)) return value.map(redactValue);
  return redactObject(value);
}

function isJsonArray(value: JsonValue): value is readonly JsonValue[] {
  return Array.isArray(value);
}

function redactObject(value: { readonly [key: string]: JsonValue }): { readonly [key: string]: JsonValue } {
  // Object.fromEntries defines own properties, so a `__proto__` key stays a plain key.
  return Object.fromEntries(
    Object.entries(value).map(([key, inner]): [string, JsonValue] => [
      key,
      AUDIT_SECRET_KEY_PATTERN.test(key) ? AUDIT_REDACTED : redactValue(inner),
    ]),
  );
}

/** The `seq` and `hash` the next record chains onto: genesis for a missing or empty file. */
function readChainTail(path: string): { readonly seq: number; readonly hash: string } {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { seq: 0, hash: AUDIT_GENESIS_HASH };
    const reason = error instanceof Error ? error.message : String(error);
    throw new QuantbotError('AUDIT_WRITE_FAILED', `${path}: cannot read the audit log to continue it: ${reason}`, { cause: error });
  }
  let lastLine: string;
  try {
    const size = fstatSync(fd).size;
    if (size === 0) return { seq: 0, hash: AUDIT_GENESIS_HASH };
    if (readBytes(fd, size - 1, 1)[0] !== NEWLINE) {
      throw new DataError('the last line has no final newline: a write was cut short; the log needs repair before appending', {
        file: path,
        line: countLines(path),
      });
    }
    lastLine = readLastLine(fd, size - 1);
  } finally {
    closeSync(fd);
  }
  const check = parseAuditRecordLine(lastLine);
  if (!check.ok) {
    throw new DataError(`the last record is ${check.kind}: ${check.message}; refusing to continue the chain`, {
      file: path,
      line: countLines(path),
    });
  }
  return { seq: check.record.seq, hash: check.record.hash };
}

/** The text between the newline before `end` (a byte offset) and `end`, read backwards in chunks. */
function readLastLine(fd: number, end: number): string {
  const chunks: Buffer[] = [];
  let position = end;
  while (position > 0) {
    const length = Math.min(TAIL_CHUNK_BYTES, position);
    const chunk = readBytes(fd, position - length, length);
    const newline = chunk.lastIndexOf(NEWLINE);
    if (newline >= 0) {
      chunks.unshift(chunk.subarray(newline + 1));
      break;
    }
    chunks.unshift(chunk);
    position -= length;
  }
  // A newline byte never occurs inside a multi-byte UTF-8 character, so the cut is clean.
  return Buffer.concat(chunks).toString('utf8');
}

function readBytes(fd: number, position: number, length: number): Buffer {
  const buffer = Buffer.alloc(length);
  let filled = 0;
  while (filled < length) {
    const read = readSync(fd, buffer, filled, length - filled, position + filled);
    if (read === 0) break;
    filled += read;
  }
  return buffer.subarray(0, filled);
}

/** The number of the last line (for error messages only, so reading the whole file is fine). */
function countLines(path: string): number {
  const text = readFileSync(path, 'utf8');
  const lines = text.split('\n');
  return text.endsWith('\n') ? lines.length - 1 : lines.length;
}
