import fc from 'fast-check';
import { JsonBytes } from './json-bytes';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** What `JSON.stringify` makes of the value, as UTF-8 bytes. */
function expected(value: unknown): Uint8Array {
  return encoder.encode(JSON.stringify(value) ?? 'null');
}

function numberBytes(value: number | null | undefined, capacity?: number): Uint8Array {
  const out = new JsonBytes(capacity);
  out.number(value);
  return out.view().slice();
}

function stringBytes(value: string, capacity?: number): Uint8Array {
  const out = new JsonBytes(capacity);
  out.string(value);
  return out.view().slice();
}

/** Numbers of the kinds a journal holds: whole cents, few decimals, integers, and any double. */
const journalNumbers = fc.oneof(
  fc.integer({ min: -1e9, max: 1e9 }).map((c) => c / 100),
  fc.integer({ min: -1e12, max: 1e12 }).map((c) => c / 1000),
  fc.integer({ min: -999_999_999_999_999, max: 999_999_999_999_999 }).map((c) => c / 1e6),
  fc.integer({ min: -1e15, max: 1e15 }),
  fc.integer({ min: 1, max: 40 }).chain((n) => fc.array(fc.integer({ min: 1, max: 99_999 }), { minLength: n, maxLength: n }).map((xs) => xs.reduce((a, b) => a + b / 100, 0) / n)),
  fc.double({ noNaN: false }),
  fc.double({ min: -1e16, max: 1e16 }),
  fc.double({ min: -1e-5, max: 1e-5 }),
  fc.constantFrom(0, -0, 1e-6, -1e-6, 5e-7, 1e-7, 999_999_999.999_999, 1e9, 1e9 - 1e-6, 1e15, 1e15 - 1, 2 ** 53, 1e21, 1e-300, Number.MAX_VALUE, Number.MIN_VALUE, NaN, Infinity, -Infinity, 0.1 + 0.2, 126.61, -67.00000000000017),
);

describe('JsonBytes', () => {
  it('writes every number as the UTF-8 of JSON.stringify (shortest form, null when not finite)', () => {
    fc.assert(
      fc.property(journalNumbers, (value) => {
        expect(decoder.decode(numberBytes(value))).toBe(JSON.stringify(value));
      }),
      { numRuns: 20_000 },
    );
  });

  it('writes null for null, undefined and non-finite numbers', () => {
    for (const value of [null, undefined, NaN, Infinity, -Infinity]) expect(decoder.decode(numberBytes(value))).toBe('null');
    expect(decoder.decode(numberBytes(-0))).toBe('0');
  });

  it('writes every string as the UTF-8 of JSON.stringify (escapes, non-ASCII, lone surrogates)', () => {
    const strings = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 40 }),
      fc.string({ unit: 'grapheme', maxLength: 20 }),
      fc.string({ maxLength: 40 }),
      fc.array(fc.constantFrom('a', '"', '\\', '\n', '\u0000', '\u001f', '\u007f', '\u00e9', '\ud83d', '\ude00', '\ud83d\ude00', '\u2028'), { maxLength: 12 }).map((xs) => xs.join('')),
    );
    fc.assert(
      fc.property(strings, (value) => {
        expect(stringBytes(value)).toEqual(expected(value));
      }),
      { numRuns: 5_000 },
    );
  });

  it('writes a member as JSON.stringify writes it in an object, and leaves out what it leaves out', () => {
    const values: unknown[] = [1.5, -0, NaN, 'a"b', null, true, false, [1, 'x', undefined], { b: 2, c: undefined }, Object(3), Object('s'), { toJSON: () => 'j' }, undefined, () => 1, Symbol('s'), new Date(0)];
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.constantFrom(...values), fc.double(), fc.string()), { maxLength: 8 }), (members) => {
        const out = new JsonBytes(64);
        out.fragment(JsonBytes.ascii('{"first":0'));
        const object: Record<string, unknown> = { first: 0 };
        members.forEach((value, i) => {
          out.member(JsonBytes.ascii(`,"k${i}":`), value);
          object[`k${i}`] = value;
        });
        out.byte(0x7d);
        expect(decoder.decode(out.view())).toBe(JSON.stringify(object));
      }),
      { numRuns: 2_000 },
    );
    expect(() => new JsonBytes().member(JsonBytes.ascii('"n":'), 1n)).toThrow(TypeError);
  });

  it('drops what follows a length it is truncated to, and nothing else', () => {
    const out = new JsonBytes();
    out.string('abc');
    const mark = out.length;
    out.number(12.5);
    out.truncate(mark);
    out.truncate(mark + 10);
    out.truncate(-1);
    expect(decoder.decode(out.view())).toBe('"abc"');
  });

  it('grows past its capacity without losing what was written', () => {
    const out = new JsonBytes(64);
    const parts: string[] = [];
    for (let i = 0; i < 500; i++) {
      const text = `k${i}-${'\u00e9'.repeat(i % 7)}-"${'x'.repeat(i % 50)}`;
      out.string(text);
      out.byte(44);
      out.number(i / 7);
      out.byte(44);
      out.fragment(JsonBytes.ascii('{"a":'));
      out.number(-i * 1e10);
      parts.push(`${JSON.stringify(text)},${JSON.stringify(i / 7)},{"a":${JSON.stringify(-i * 1e10)}`);
    }
    expect(decoder.decode(out.view())).toBe(parts.join(''));
    expect(out.length).toBe(encoder.encode(parts.join('')).length);
    out.reset();
    expect(out.length).toBe(0);
    out.member(JsonBytes.ascii('"a":'), null);
    out.string('x');
    expect(decoder.decode(out.view())).toBe('"a":null"x"');
  });

  it('refuses a fragment of text beyond ASCII', () => {
    expect(() => JsonBytes.ascii('caf\u00e9')).toThrow(/not ASCII \(character 3\)/);
    expect(JsonBytes.ascii('{"seq":')).toEqual(encoder.encode('{"seq":'));
  });
});
