import { ConfigError, DataError } from './errors';
import { canonicalJson, finiteOrNull } from './json';

describe('finiteOrNull', () => {
  it('keeps finite numbers and turns everything JSON cannot carry into null', () => {
    expect(finiteOrNull(-0.5)).toBe(-0.5);
    expect(finiteOrNull(0)).toBe(0);
    for (const value of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, null, undefined]) expect(finiteOrNull(value)).toBeNull();
  });
});

describe('canonicalJson', () => {
  it('sorts keys at every depth and writes no whitespace, so key order does not matter', () => {
    expect(canonicalJson({ b: 1, a: [{ d: true, c: null }], é: 'x' })).toBe('{"a":[{"c":null,"d":true}],"b":1,"é":"x"}');
    expect(canonicalJson({ x: { b: 2, a: 1 } })).toBe(canonicalJson({ x: { a: 1, b: 2 } }));
  });

  it('writes numbers in their shortest round-trip form (-0 as 0, 1e21 as JSON does)', () => {
    expect(canonicalJson([0.1, -0, 1e21, 2.5e-7, 10])).toBe('[0.1,0,1e+21,2.5e-7,10]');
  });

  it('names the field of what JSON cannot hold, as a DataError by default or the caller\'s error', () => {
    expect(() => canonicalJson({ a: [1, Number.NaN] })).toThrow(DataError);
    expect(() => canonicalJson({ a: [1, Number.NaN] })).toThrow(/\$\.a\[1\]/);
    const asConfig = (value: unknown): string => canonicalJson(value, { root: 'params', invalid: (field, message) => new ConfigError(field, message) });
    expect(() => asConfig({ when: new Date(0) })).toThrow(new ConfigError('params.when', 'is not a plain JSON object'));
    expect(() => asConfig({ gone: undefined })).toThrow('params.gone: is undefined');
    expect(() => asConfig({ n: BigInt(1) })).toThrow('params.n: a bigint is not a JSON value');
  });
});
