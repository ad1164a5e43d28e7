import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataError, canonicalJson, epochMs } from '@quantbot/core';
import type { AuditEntry } from '@quantbot/core';
import { verifyAuditLog } from './audit-verifier';
import {
  AUDIT_GENESIS_HASH,
  AUDIT_REDACTED,
  JsonlAuditSink,
  hashAuditRecord,
  parseAuditRecordLine,
  redactAuditDetail,
} from './jsonl-audit-sink';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'quantbot-audit-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const entry = (n: number, detail: AuditEntry['detail'] = { n }): AuditEntry => ({ time: epochMs(1_700_000_000_000 + n), kind: 'test', detail });

function readLines(path: string): string[] {
  return readFileSync(path, 'utf8').split('\n').filter((line) => line !== '');
}

describe('canonicalJson (what audit records are hashed by)', () => {
  it('sorts keys at every depth and adds no whitespace', () => {
    expect(canonicalJson({ b: 1, a: [{ d: true, c: null }], 'é': 'x' })).toBe('{"a":[{"c":null,"d":true}],"b":1,"é":"x"}');
  });

  it.each([
    ['NaN', { x: NaN }],
    ['Infinity', { x: [Infinity] }],
    ['a Date', { x: new Date(0) as unknown as string }],
    ['undefined', { x: undefined as unknown as string }],
  ])('refuses %s, naming the field', (_name, value) => {
    expect(() => canonicalJson(value)).toThrow(DataError);
    expect(() => canonicalJson(value)).toThrow(/\$\.x/);
  });
});

describe('JsonlAuditSink', () => {
  it('creates nothing until the first append', () => {
    const path = join(dir, 'audit.jsonl');
    const sink = new JsonlAuditSink(path);
    expect(existsSync(path)).toBe(false);
    sink.append(entry(1));
    expect(existsSync(path)).toBe(true);
  });

  it('writes one chained record per line, starting from the genesis hash', () => {
    const path = join(dir, 'audit.jsonl');
    const sink = new JsonlAuditSink(path);
    sink.append(entry(1, { symbol: 'ORCL', qty: 10 }));
    sink.append(entry(2));
    const [first, second] = readLines(path).map((line) => JSON.parse(line) as { [key: string]: unknown });
    expect(first).toEqual({
      seq: 1,
      time: 1_700_000_000_001,
      kind: 'test',
      detail: { qty: 10, symbol: 'ORCL' },
      prev: AUDIT_GENESIS_HASH,
      hash: hashAuditRecord({ seq: 1, time: 1_700_000_000_001, kind: 'test', detail: { symbol: 'ORCL', qty: 10 }, prev: AUDIT_GENESIS_HASH }),
    });
    expect(second?.['prev']).toBe(first?.['hash']);
    expect(second?.['seq']).toBe(2);
  });

  it('writes fields in the order seq, time, kind, detail, prev, hash', () => {
    const path = join(dir, 'audit.jsonl');
    new JsonlAuditSink(path).append(entry(1));
    expect(readLines(path)[0]).toMatch(/^\{"seq":1,"time":\d+,"kind":"test","detail":\{"n":1\},"prev":"0{64}","hash":"[0-9a-f]{64}"\}$/);
  });

  it('continues the chain of an existing file when a new sink reopens it', () => {
    const path = join(dir, 'audit.jsonl');
    const first = new JsonlAuditSink(path);
    first.append(entry(1));
    first.append(entry(2));
    const reopened = new JsonlAuditSink(path);
    reopened.append(entry(3));
    reopened.append(entry(4));
    const records = readLines(path).map((line) => JSON.parse(line) as { seq: number; prev: string; hash: string });
    expect(records.map((record) => record.seq)).toEqual([1, 2, 3, 4]);
    expect(records[2]?.prev).toBe(records[1]?.hash);
    expect(verifyAuditLog(path)).toMatchObject({ ok: true, records: 4 });
  });

  it('continues a chain whose last line is longer than one read chunk', () => {
    const path = join(dir, 'audit.jsonl');
    new JsonlAuditSink(path).append(entry(1, { note: 'é'.repeat(100_000) }));
    new JsonlAuditSink(path).append(entry(2));
    expect(verifyAuditLog(path)).toMatchObject({ ok: true, records: 2 });
  });

  it('starts a chain in an existing empty file', () => {
    const path = join(dir, 'audit.jsonl');
    writeFileSync(path, '');
    new JsonlAuditSink(path).append(entry(1));
    expect(verifyAuditLog(path)).toMatchObject({ ok: true, records: 1 });
  });

  it.each([
    ['a last line cut short', (text: string) => text.slice(0, -20)],
    ['a last line without its newline', (text: string) => text.slice(0, -1)],
    ['an edited last line', (text: string) => text.replace('"n":2', '"n":3')],
    ['a trailing blank line', (text: string) => `${text}\n`],
  ])('refuses to continue a file with %s, naming file and line', (_name, corrupt) => {
    const path = join(dir, 'audit.jsonl');
    const sink = new JsonlAuditSink(path);
    sink.append(entry(1));
    sink.append(entry(2));
    writeFileSync(path, corrupt(readFileSync(path, 'utf8')));
    const before = readFileSync(path, 'utf8');
    const reopened = new JsonlAuditSink(path);
    expect(() => reopened.append(entry(3))).toThrow(DataError);
    expect(() => reopened.append(entry(3))).toThrow(new RegExp(`${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+`));
    expect(readFileSync(path, 'utf8')).toBe(before);
  });

  it('never writes secrets held under secret-looking keys, at any depth', () => {
    const path = join(dir, 'audit.jsonl');
    const secrets = ['s3cr3t-api-key-value', 'hunter2-password', 'tok_abcdef', 'pk-material', 'nested-cred'];
    new JsonlAuditSink(path).append(
      entry(1, {
        apiKey: secrets[0] as string,
        broker: { login: 'alice', Password: secrets[1] as string, session: { refresh_token: secrets[2] as string } },
        keys: [{ 'private-key': secrets[3] as string }],
        credentials: { user: 'alice', value: secrets[4] as string },
        symbol: 'ORCL',
      }),
    );
    const text = readFileSync(path, 'utf8');
    for (const secret of secrets) expect(text).not.toContain(secret);
    expect(text).toContain('alice');
    expect(text).toContain('ORCL');
    expect(verifyAuditLog(path).ok).toBe(true);
  });

  it('never writes bearer tokens, whatever key holds them', () => {
    const path = join(dir, 'audit.jsonl');
    new JsonlAuditSink(path).append(entry(1, { header: 'Bearer eyJhbGciOi.payload.sig', list: ['bearer abc.def'] }));
    const text = readFileSync(path, 'utf8');
    expect(text).not.toContain('eyJhbGciOi');
    expect(text).not.toContain('abc.def');
  });

  it('refuses an entry that JSON cannot carry, writing nothing', () => {
    const path = join(dir, 'audit.jsonl');
    const sink = new JsonlAuditSink(path);
    expect(() => sink.append(entry(1, { price: NaN }))).toThrow(/detail\.price/);
    expect(existsSync(path)).toBe(false);
    sink.append(entry(2));
    expect(verifyAuditLog(path)).toMatchObject({ ok: true, records: 1 });
  });

  it('reports a write failure with a typed error', () => {
    const sink = new JsonlAuditSink(join(dir, 'missing-dir', 'audit.jsonl'));
    expect(() => sink.append(entry(1))).toThrow(expect.objectContaining({ code: 'AUDIT_WRITE_FAILED' }));
  });
});

describe('redactAuditDetail', () => {
  it.each([
    ['secret', { clientSecret: 'x' }, { clientSecret: AUDIT_REDACTED }],
    ['password', { PASSWORD: 'x' }, { PASSWORD: AUDIT_REDACTED }],
    ['passwd', { db_passwd: 'x' }, { db_passwd: AUDIT_REDACTED }],
    ['token', { accessToken: 'x' }, { accessToken: AUDIT_REDACTED }],
    ['api key', { 'X-Api-Key': 'x', api_key: 'y', apikey: 'z' }, { 'X-Api-Key': AUDIT_REDACTED, api_key: AUDIT_REDACTED, apikey: AUDIT_REDACTED }],
    ['authorization', { Authorization: 'Basic abc' }, { Authorization: AUDIT_REDACTED }],
    ['credential as a whole object', { credentials: { user: 'a' } }, { credentials: AUDIT_REDACTED }],
    ['private key', { privateKey: 'x', private_key: 'y' }, { privateKey: AUDIT_REDACTED, private_key: AUDIT_REDACTED }],
    ['bearer values', { note: 'Bearer abc' }, { note: AUDIT_REDACTED }],
    ['nothing else', { symbol: 'ORCL', qty: 5, ok: true, none: null, key: 'k' }, { symbol: 'ORCL', qty: 5, ok: true, none: null, key: 'k' }],
  ])('redacts %s', (_name, detail, expected) => {
    expect(redactAuditDetail(detail)).toEqual(expected);
  });

  it('leaves its input unchanged', () => {
    const detail = { token: 'x' };
    redactAuditDetail(detail);
    expect(detail).toEqual({ token: 'x' });
  });
});

describe('parseAuditRecordLine', () => {
  it('refuses an extra field, which the hash would not cover', () => {
    const path = join(dir, 'audit.jsonl');
    new JsonlAuditSink(path).append(entry(1));
    const line = (readLines(path)[0] as string).replace('{"seq"', '{"extra":1,"seq"');
    expect(parseAuditRecordLine(line)).toMatchObject({ ok: false, kind: 'malformed' });
  });
});
