import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { DataError, canonicalJson, epochMs } from '@quantbot/core';
import { verifyAuditLines, verifyAuditLog, verifyAuditLogAgainstHead } from './audit-verifier';
import { AUDIT_GENESIS_HASH, JsonlAuditSink, hashAuditRecord } from './jsonl-audit-sink';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'quantbot-audit-verify-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

let fileCount = 0;
/** Writes `count` records through a real sink and returns the file and its lines. */
function writeLog(count: number): { path: string; lines: string[] } {
  const path = join(dir, `audit-${++fileCount}.jsonl`);
  const sink = new JsonlAuditSink(path);
  for (let n = 1; n <= count; n++) {
    sink.append({
      time: epochMs(1_700_000_000_000 + n * 1000),
      kind: n % 2 === 0 ? 'order-accepted' : 'order-rejected',
      detail: { n, symbol: 'ORCL', qty: n * 10, price: 10.25 + n, reason: `rule ${n}`, tags: ['a', n, true, null] },
    });
  }
  const text = readFileSync(path, 'utf8');
  return { path, lines: text.split('\n').slice(0, -1) };
}

function rewrite(path: string, lines: readonly string[]): void {
  writeFileSync(path, lines.map((line) => `${line}\n`).join(''));
}

describe('verifyAuditLog', () => {
  it('accepts a log written by JsonlAuditSink', () => {
    const { path } = writeLog(5);
    expect(verifyAuditLog(path)).toMatchObject({ ok: true, records: 5 });
  });

  it('accepts an empty file with 0 records', () => {
    const path = join(dir, 'empty.jsonl');
    writeFileSync(path, '');
    expect(verifyAuditLog(path)).toMatchObject({ ok: true, records: 0 });
  });

  it('throws a DataError for a missing file', () => {
    expect(() => verifyAuditLog(join(dir, 'absent.jsonl'))).toThrow(DataError);
  });

  it('finds an edited detail value as a hash mismatch at that line', () => {
    const { path, lines } = writeLog(5);
    lines[2] = (lines[2] as string).replace('"qty":30', '"qty":3000');
    rewrite(path, lines);
    const verdict = verifyAuditLog(path);
    expect(verdict).toMatchObject({ ok: false, records: 2, problem: { line: 3, kind: 'hash-mismatch' } });
    expect(verdict.problem?.message).toContain(`${path}:3`);
  });

  it('finds a removed middle line at the line that follows it', () => {
    const { path, lines } = writeLog(5);
    lines.splice(2, 1);
    rewrite(path, lines);
    expect(verifyAuditLog(path)).toMatchObject({ ok: false, records: 2, problem: { line: 3, kind: 'broken-chain' } });
  });

  it('finds a removed first line', () => {
    const { path, lines } = writeLog(3);
    rewrite(path, lines.slice(1));
    expect(verifyAuditLog(path)).toMatchObject({ ok: false, problem: { line: 1, kind: 'broken-chain' } });
  });

  it('finds two swapped lines', () => {
    const { path, lines } = writeLog(5);
    const [a, b] = [lines[1] as string, lines[2] as string];
    lines[1] = b;
    lines[2] = a;
    rewrite(path, lines);
    expect(verifyAuditLog(path)).toMatchObject({ ok: false, problem: { line: 2, kind: 'broken-chain' } });
  });

  it('finds a record cut short in the middle', () => {
    const { path, lines } = writeLog(5);
    lines[1] = (lines[1] as string).slice(0, 40);
    rewrite(path, lines);
    expect(verifyAuditLog(path)).toMatchObject({ ok: false, problem: { line: 2, kind: 'malformed' } });
  });

  it('finds a last record without its final newline', () => {
    const { path, lines } = writeLog(3);
    writeFileSync(path, lines.join('\n'));
    expect(verifyAuditLog(path)).toMatchObject({ ok: false, records: 2, problem: { line: 3, kind: 'malformed' } });
  });

  it('finds a duplicated line', () => {
    const { path, lines } = writeLog(3);
    lines.splice(1, 0, lines[1] as string);
    rewrite(path, lines);
    expect(verifyAuditLog(path)).toMatchObject({ ok: false, problem: { line: 3, kind: 'broken-chain' } });
  });

  it('accepts appends from a reopened sink', () => {
    const { path } = writeLog(3);
    new JsonlAuditSink(path).append({ time: epochMs(1), kind: 'resumed', detail: {} });
    expect(verifyAuditLog(path)).toMatchObject({ ok: true, records: 4 });
  });
});

describe('verifyAuditLines', () => {
  it('accepts no lines', () => {
    expect(verifyAuditLines([])).toMatchObject({ ok: true, records: 0 });
  });

  it('finds a blank line', () => {
    const { lines } = writeLog(2);
    expect(verifyAuditLines([lines[0] as string, '', lines[1] as string])).toMatchObject({
      ok: false,
      problem: { line: 2, kind: 'malformed' },
    });
  });

  it('finds a re-hashed but out-of-sequence record as a sequence gap', () => {
    // A forger who rewrites seq and the hash still cannot fake the chain; this checks that a
    // record whose chain holds but whose seq is wrong is caught on its own.
    const { lines } = writeLog(2);
    const second = JSON.parse(lines[1] as string) as { seq: number; time: number; kind: string; detail: { [key: string]: never }; prev: string };
    const fields = { seq: 7, time: second.time, kind: second.kind, detail: second.detail, prev: second.prev };
    const hash = createHash('sha256').update(canonicalJson(fields)).digest('hex');
    const forged = JSON.stringify({ ...fields, hash });
    expect(verifyAuditLines([lines[0] as string, forged])).toMatchObject({ ok: false, problem: { line: 2, kind: 'sequence-gap' } });
  });

  it('detects every single-character change, unless the line keeps identical content', () => {
    const { lines } = writeLog(6);
    const mutation = fc.record({
      line: fc.nat({ max: lines.length - 1 }),
      at: fc.nat(),
      char: fc.oneof(
        fc.integer({ min: 0x20, max: 0x7e }).map((code) => String.fromCharCode(code)),
        fc.constantFrom('0', '1', '9', 'a', 'f', '"', '\\', ' ', ',', '}', 'E', 'e', '\n', 'é'),
      ),
    });
    fc.assert(
      fc.property(mutation, ({ line, at, char }) => {
        const original = lines[line] as string;
        const position = at % original.length;
        fc.pre(original[position] !== char);
        const mutated = original.slice(0, position) + char + original.slice(position + 1);
        const changed = lines.slice();
        changed[line] = mutated;
        const verdict = verifyAuditLines(changed);
        if (verdict.ok) {
          // Not detected: then the change must not have changed what the line says.
          expect(JSON.parse(mutated)).toEqual(JSON.parse(original));
        } else {
          expect(verdict.problem?.line).toBe(line + 1);
        }
      }),
      { seed: 20_240_611, numRuns: 2_000 },
    );
  });
});

describe('verifyAuditLogAgainstHead', () => {
  /** A log of `count` records and the head its writer reported: the anchor kept elsewhere. */
  function anchoredLog(count: number): { path: string; lines: string[]; anchor: { records: number; hash: string } } {
    const { path, lines } = writeLog(count);
    const anchor = new JsonlAuditSink(path).head();
    return { path, lines, anchor };
  }

  it('accepts the log its anchor describes, and a log that kept growing after it', () => {
    const { path, anchor } = anchoredLog(4);
    expect(anchor.records).toBe(4);
    expect(verifyAuditLogAgainstHead(path, anchor)).toMatchObject({ ok: true, records: 4, head: anchor });
    new JsonlAuditSink(path).append({ time: epochMs(1), kind: 'later', detail: {} });
    expect(verifyAuditLogAgainstHead(path, anchor)).toMatchObject({ ok: true, records: 5 });
  });

  it('detects a cut tail that the file alone cannot show', () => {
    const { path, lines, anchor } = anchoredLog(5);
    rewrite(path, lines.slice(0, 3));
    expect(verifyAuditLog(path).ok).toBe(true);
    const check = verifyAuditLogAgainstHead(path, anchor);
    expect(check).toMatchObject({ ok: false, records: 3, problem: { kind: 'truncated', line: 4 } });
    expect(check.problem?.message).toContain('3 record(s), but its anchor says 5');
  });

  it('detects an emptied file and a deleted file', () => {
    const emptied = anchoredLog(3);
    writeFileSync(emptied.path, '');
    expect(verifyAuditLog(emptied.path).ok).toBe(true);
    expect(verifyAuditLogAgainstHead(emptied.path, emptied.anchor)).toMatchObject({ ok: false, records: 0, problem: { kind: 'truncated' } });
    const deleted = anchoredLog(2);
    rmSync(deleted.path);
    const check = verifyAuditLogAgainstHead(deleted.path, deleted.anchor);
    expect(check).toMatchObject({ ok: false, problem: { kind: 'missing' } });
    expect(check.problem?.message).toContain('holds 2 record(s)');
    expect(verifyAuditLogAgainstHead(deleted.path, { records: 0, hash: AUDIT_GENESIS_HASH }).ok).toBe(true);
  });

  it('detects a chain edited and then re-hashed from the edit on', () => {
    const { path, lines, anchor } = anchoredLog(4);
    const records = lines.map((line) => JSON.parse(line) as { seq: number; time: number; kind: string; detail: Record<string, never>; prev: string; hash: string });
    (records[1] as { detail: unknown }).detail = { n: 2, symbol: 'ORCL', qty: 1, price: 1, reason: 'forged', tags: [] };
    let prev = AUDIT_GENESIS_HASH;
    for (const record of records) {
      record.prev = prev;
      record.hash = hashAuditRecord({ seq: record.seq, time: record.time, kind: record.kind, detail: record.detail, prev });
      prev = record.hash;
    }
    rewrite(path, records.map((record) => JSON.stringify(record)));
    expect(verifyAuditLog(path).ok).toBe(true);
    const check = verifyAuditLogAgainstHead(path, anchor);
    expect(check).toMatchObject({ ok: false, records: 4, problem: { kind: 'head-mismatch', line: 4 } });
    expect(check.problem?.message).toContain('rewritten');
  });

  it('still names an edit in the middle before looking at the anchor', () => {
    const { path, lines, anchor } = anchoredLog(3);
    rewrite(path, [lines[0] as string, (lines[1] as string).replace('"rule 2"', '"rule 9"'), lines[2] as string]);
    expect(verifyAuditLogAgainstHead(path, anchor)).toMatchObject({ ok: false, problem: { kind: 'hash-mismatch', line: 2 } });
  });
});

describe('JsonlAuditSink startAfter', () => {
  it('continues a given head in a new file, ending at the same head as the original log', () => {
    const { path, anchor } = (() => {
      const log = writeLog(2);
      return { path: log.path, anchor: new JsonlAuditSink(log.path).head() };
    })();
    const entry = { time: epochMs(1_700_000_100_000), kind: 'order-accepted', detail: { symbol: 'ORCL' } };
    new JsonlAuditSink(path).append(entry);
    const scratch = join(dir, `scratch-${++fileCount}.jsonl`);
    const copy = new JsonlAuditSink(scratch, { startAfter: anchor });
    copy.append(entry);
    expect(copy.head()).toEqual(new JsonlAuditSink(path).head());
    expect(() => new JsonlAuditSink(path, { startAfter: anchor })).toThrow(/startAfter/);
  });
});
