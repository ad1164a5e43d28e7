import { ConfigError, QuantbotError } from '@quantbot/core';
import { createRedactor, REDACTED } from './redaction';

const SECRET = 'sk-live-5f3a9c';

describe('createRedactor', () => {
  describe('redactString', () => {
    it('replaces every occurrence of every configured secret', () => {
      const redactor = createRedactor({ secrets: [SECRET, 'hunter2pw'] });
      expect(redactor.redactString(`a ${SECRET} b ${SECRET}c hunter2pw`)).toBe(`a ${REDACTED} b ${REDACTED}c ${REDACTED}`);
    });

    it('blanks out a secret that contains another one as a whole', () => {
      const redactor = createRedactor({ secrets: ['abcd', 'abcdefgh'] });
      expect(redactor.redactString('x abcdefgh y abcd')).toBe(`x ${REDACTED} y ${REDACTED}`);
    });

    it('treats regular-expression characters in secrets literally', () => {
      const redactor = createRedactor({ secrets: ['a.b*c(d)'] });
      expect(redactor.redactString('a.b*c(d) aXbbbc(d)')).toBe(`${REDACTED} aXbbbc(d)`);
    });

    it.each([
      ['Authorization: Bearer eyJhbGciOi.payload.sig', `Authorization: Bearer ${REDACTED}`],
      ['authorization=Basic dXNlcjpwYXNz', `authorization=Basic ${REDACTED}`],
      ['APCA-API-SECRET-KEY: abcdEFGH1234', `APCA-API-SECRET-KEY: ${REDACTED}`],
      ['APCA-API-KEY-ID: PK12345', `APCA-API-KEY-ID: ${REDACTED}`],
      ['{"APCA-API-SECRET-KEY":"abcdEFGH1234","x":1}', `{"APCA-API-SECRET-KEY":"${REDACTED}","x":1}`],
      ['GET /v2/bars?api_key=zzz999&symbol=ORCL', `GET /v2/bars?api_key=${REDACTED}&symbol=ORCL`],
      ['token is Bearer abcdefgh12345678', `token is Bearer ${REDACTED}`],
      ['postgres://quant:s3cretpw@db:5432/q', `postgres://quant:${REDACTED}@db:5432/q`],
      // No user name (the server's default user): a URL pg accepts as it is.
      ['postgres://:s3cretpw@db:5432/q', `postgres://:${REDACTED}@db:5432/q`],
      // A password with a character it should have percent-encoded: still the password.
      ['postgres://quant:s3cret/pw@db:5432/q', `postgres://quant:${REDACTED}@db:5432/q`],
    ])('redacts credentials in %j', (text, expected) => {
      expect(createRedactor().redactString(text)).toBe(expected);
    });

    it('leaves ordinary text alone', () => {
      const text = 'bearer of bad news: ORCL closed at 101.5, position=10';
      expect(createRedactor({ secrets: [SECRET] }).redactString(text)).toBe(text);
    });
  });

  describe('redactValue', () => {
    it('replaces the values of secret-looking keys at every depth, whatever their type', () => {
      const redacted = createRedactor().redactValue({
        apiKey: 'k-123',
        nested: { 'X-Api-Key': 'k-456', list: [{ dbPassword: 'p' }, { credentials: { user: 'u', pass: 'p' } }] },
        refresh_token: 12345,
        symbol: 'ORCL',
      });
      expect(redacted).toEqual({
        apiKey: REDACTED,
        nested: { 'X-Api-Key': REDACTED, list: [{ dbPassword: REDACTED }, { credentials: REDACTED }] },
        refresh_token: REDACTED,
        symbol: 'ORCL',
      });
    });

    it('keeps null and undefined under secret keys so a missing setting stays visible', () => {
      expect(createRedactor().redactValue({ apiKey: null, secret: undefined })).toEqual({ apiKey: null, secret: undefined });
    });

    it('uses a custom key pattern instead of the default one', () => {
      const redactor = createRedactor({ keyPattern: /^pin$/gi });
      // The global flag must not make matching alternate between calls.
      expect(redactor.redactValue({ pin: '1234', apiKey: 'visible' })).toEqual({ pin: REDACTED, apiKey: 'visible' });
      expect(redactor.redactValue({ pin: '1234' })).toEqual({ pin: REDACTED });
    });

    it('redacts secrets inside strings, array items and object keys', () => {
      const redactor = createRedactor({ secrets: [SECRET] });
      expect(redactor.redactValue({ note: `key=${SECRET}`, list: [SECRET, 1, true], [SECRET]: 'v' })).toEqual({
        note: `key=${REDACTED}`,
        list: [REDACTED, 1, true],
        [REDACTED]: 'v',
      });
    });

    it('turns errors into plain objects with a redacted message, stack, fields and cause', () => {
      const redactor = createRedactor({ secrets: [SECRET] });
      const cause = new Error(`inner ${SECRET}`);
      const error = new QuantbotError('BROKER_DOWN', `request with ${SECRET} failed`, { cause });
      const copy = redactor.redactValue({ error }) as { error: { [key: string]: unknown } };
      expect(copy.error['name']).toBe('QuantbotError');
      expect(copy.error['code']).toBe('BROKER_DOWN');
      expect(copy.error['message']).toBe(`request with ${REDACTED} failed`);
      expect(copy.error['stack']).toEqual(expect.stringContaining(`request with ${REDACTED} failed`));
      expect((copy.error['cause'] as { [key: string]: unknown })['message']).toBe(`inner ${REDACTED}`);
      expect(JSON.stringify(copy)).not.toContain(SECRET);
    });

    it('returns a deep copy and leaves the input unchanged', () => {
      const input = { a: { apiKey: 'k' }, list: [{ token: 't' }], when: new Date(0) };
      const copy = createRedactor().redactValue(input) as typeof input;
      expect(input).toEqual({ a: { apiKey: 'k' }, list: [{ token: 't' }], when: new Date(0) });
      expect(copy.a).not.toBe(input.a);
      expect(copy.when).toEqual(new Date(0));
      expect(copy.when).not.toBe(input.when);
    });

    it('replaces cycles with [Circular] without crashing, but copies shared references', () => {
      const shared = { x: 1 };
      const node: { [key: string]: unknown } = { name: 'root', shared, again: shared };
      node['self'] = node;
      node['list'] = [node];
      expect(createRedactor().redactValue(node)).toEqual({
        name: 'root',
        shared: { x: 1 },
        again: { x: 1 },
        self: '[Circular]',
        list: ['[Circular]'],
      });
    });

    it('copies maps as objects and sets as arrays', () => {
      const redactor = createRedactor({ secrets: [SECRET] });
      expect(redactor.redactValue({ m: new Map([['password', 'p'], ['k', SECRET]]), s: new Set([SECRET]) })).toEqual({
        m: { password: REDACTED, k: REDACTED },
        s: [REDACTED],
      });
    });

    it('passes primitives through', () => {
      const redactor = createRedactor();
      expect([1, true, null, undefined, 10n].map((value) => redactor.redactValue(value))).toEqual([1, true, null, undefined, 10n]);
    });
  });

  it.each([
    [['good-secret', 'abc'], 'secrets[1]'],
    [[''], 'secrets[0]'],
  ])('refuses secrets shorter than 4 characters (%j) with a ConfigError naming %s', (secrets, key) => {
    let caught: unknown;
    try {
      createRedactor({ secrets });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as ConfigError).key).toBe(key);
    expect((caught as ConfigError).message).toContain(key);
    expect((caught as ConfigError).message).not.toContain("'abc'");
  });
});
