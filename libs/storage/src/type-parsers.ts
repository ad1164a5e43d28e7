import type { CustomTypesConfig, types as pgTypesModule } from 'pg';

/**
 * Postgres type oids whose JavaScript form Quantbot fixes, so that a row reads the same from the
 * embedded database and from a server:
 *
 * | type | value | why |
 * |---|---|---|
 * | `int8` (`bigint`, `count(*)`) | decimal string | exact beyond 2^53; what `pg` does |
 * | `date` | `'YYYY-MM-DD'` | no time zone to shift it |
 * | `timestamp` (without time zone) | text as Postgres prints it | no time zone to guess; use `timestamptz` for instants |
 * | `interval` | text as Postgres prints it (`'1 day 02:00:00'`) | |
 * | `bytea` | `Uint8Array` | `pg` would give a `Buffer` |
 *
 * Arrays of these follow their element type. `timestamptz` is a `Date`, `numeric` a string,
 * `json`/`jsonb` parsed, `int2`/`int4`/`float4`/`float8` numbers, on both backends alike.
 * The embedded side reads {@link TEXT_TYPE_OIDS} as text inside its worker
 * (`pglite-worker-source.ts`); PGlite already gives `bytea` as `Uint8Array`.
 */
export const TEXT_TYPE_OIDS = Object.freeze({ int8: 20, date: 1082, timestamp: 1114, interval: 1186 });

/** Their array types, whose elements stay text too. */
const TEXT_ARRAY_TYPE_OIDS = Object.freeze({ date: 1182, timestamp: 1115, interval: 1187 });
const BYTEA_OID = 17;
const TEXT_ARRAY_OID = 1009;

type PgTypes = typeof pgTypesModule;
type TypeId = Parameters<PgTypes['getTypeParser']>[0];

/** The `types` option for a `pg` pool that applies the table above. */
export function pgTypeParsers(pgTypes: PgTypes): CustomTypesConfig {
  const keepText = (text: string): string => text;
  const textArray = pgTypes.getTypeParser(TEXT_ARRAY_OID as TypeId, 'text') as (text: string) => string[];
  const defaultBytea = pgTypes.getTypeParser(BYTEA_OID as TypeId, 'text') as (text: string) => Buffer;
  const overrides = new Map<number, (text: string) => unknown>([
    ...Object.values(TEXT_TYPE_OIDS).map((oid): [number, (text: string) => unknown] => [oid, keepText]),
    ...Object.values(TEXT_ARRAY_TYPE_OIDS).map((oid): [number, (text: string) => unknown] => [oid, textArray]),
    [
      BYTEA_OID,
      (text: string): Uint8Array => {
        const buffer = defaultBytea(text);
        return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
      },
    ],
  ]);
  const getTypeParser = ((oid: number, format?: 'text' | 'binary') => {
    const override = format === 'binary' ? undefined : overrides.get(oid);
    return override ?? pgTypes.getTypeParser(oid as TypeId, format);
  }) as CustomTypesConfig['getTypeParser'];
  return { getTypeParser };
}
