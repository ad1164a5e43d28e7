import { types } from 'pg';
import { pgTypeParsers } from './type-parsers';

describe('pgTypeParsers', () => {
  const parser = (oid: number) => pgTypeParsers(types).getTypeParser(oid, 'text') as (text: string) => unknown;

  it.each([
    ['int8', 20, '9007199254740993', '9007199254740993'],
    ['date', 1082, '2024-03-05', '2024-03-05'],
    ['timestamp', 1114, '2024-03-05 14:30:00', '2024-03-05 14:30:00'],
    ['interval', 1186, '1 day 02:00:00', '1 day 02:00:00'],
    ['date[]', 1182, '{2024-03-05,2024-03-06}', ['2024-03-05', '2024-03-06']],
    ['timestamp[]', 1115, '{"2024-03-05 14:30:00"}', ['2024-03-05 14:30:00']],
  ])('keeps %s as text', (_name, oid, text, expected) => {
    expect(parser(oid)(text)).toEqual(expected);
  });

  it('reads bytea as a plain Uint8Array, not a Buffer', () => {
    const value = parser(17)('\\x00ff');
    expect(value).toStrictEqual(new Uint8Array([0, 255]));
    expect(Buffer.isBuffer(value)).toBe(false);
  });

  it("leaves other types to pg's parsers", () => {
    expect(parser(1184)('2024-03-05 14:30:00+00')).toEqual(new Date(Date.UTC(2024, 2, 5, 14, 30)));
    expect(parser(3802)('{"a":1}')).toEqual({ a: 1 });
    expect(parser(23)('42')).toBe(42);
  });
});
