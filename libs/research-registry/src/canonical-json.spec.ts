import { createHash } from 'node:crypto';
import { ConfigError, canonicalJson as coreCanonicalJson } from '@quantbot/core';
import { asJsonObject, configErrorsAt, parameterHash } from './canonical-json';

/** Core's canonical JSON as the registry calls it: refusals are ConfigErrors naming the `params` path. */
const canonicalJson = (value: unknown): string => coreCanonicalJson(value, configErrorsAt('params'));

describe('canonicalJson (with configErrorsAt)', () => {
  it('sorts keys at every depth, keeps array order, and writes no whitespace', () => {
    expect(canonicalJson({ slow: 30, fast: 10, filters: { z: [3, 1, { b: 1, a: null }], a: 'x' } })).toBe('{"fast":10,"filters":{"a":"x","z":[3,1,{"a":null,"b":1}]},"slow":30}');
  });

  it('gives equal text for equal values written in any key order, and different text otherwise', () => {
    expect(canonicalJson({ a: 1, b: { c: true, d: 'e' } })).toBe(canonicalJson({ b: { d: 'e', c: true }, a: 1 }));
    expect(canonicalJson({ a: [1, 2] })).not.toBe(canonicalJson({ a: [2, 1] }));
    expect(canonicalJson({ a: 1 })).not.toBe(canonicalJson({ a: '1' }));
  });

  it('writes numbers in their shortest round-trip form (-0 as 0, 1e21 as JSON does)', () => {
    expect(canonicalJson([0.1, -0, 1e21, 2.5e-7, 10])).toBe('[0.1,0,1e+21,2.5e-7,10]');
  });

  it.each([
    [{ a: Number.NaN }, 'params.a: NaN cannot be stored as JSON'],
    [{ a: [1, Number.POSITIVE_INFINITY] }, 'params.a[1]: Infinity cannot be stored as JSON'],
    [{ a: undefined }, 'params.a: is undefined'],
    [{ a: new Date(0) }, 'params.a: is not a plain JSON object'],
    [{ a: BigInt(1) }, 'params.a: a bigint is not a JSON value'],
  ])('refuses %p naming the path', (value, message) => {
    expect(() => canonicalJson(value)).toThrow(ConfigError);
    expect(() => canonicalJson(value)).toThrow(message);
  });
});

describe('parameterHash', () => {
  it('is the SHA-256 of the canonical JSON text', () => {
    expect(parameterHash({ slow: 30, fast: 10 })).toBe(createHash('sha256').update('{"fast":10,"slow":30}').digest('hex'));
    expect(parameterHash({ fast: 10, slow: 30 })).toBe(parameterHash({ slow: 30, fast: 10 }));
  });

  it('asJsonObject refuses anything but an object of parameters', () => {
    expect(() => asJsonObject([1, 2])).toThrow('params: must be a JSON object of parameters, got an array');
    expect(() => asJsonObject(null)).toThrow('got null');
    expect(asJsonObject({ a: 1 })).toEqual({ a: 1 });
  });
});
