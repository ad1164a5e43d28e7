import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import type { EpochMs } from '@quantbot/core';
import { DATA_DIR_LOCK_FILE } from './data-dir-lock';
import { redactDatabaseUrl } from './database-url';
import { migrate } from './migrate';
import type { Migration } from './migration';
import { STORAGE_MIGRATIONS, migrationChecksum } from './migration';
import { openDatabase } from './open-database';
import type { DatabaseHandle } from './open-database';
import { describeStorageBackends, TEST_DATABASE_OPEN_TIMEOUT_MS } from './testing';
import { StorageError } from './storage-error';
import { withTransaction } from './with-transaction';

interface Tables {
  quantbot_migrations: { id: string; applied_at: Date; checksum: string };
  notes: { id: number; body: string };
  test_counter: { n: number };
}

/** Test migrations: ids start with `test_`, tables too; afterEach removes both. */
function createTableMigration(id: string, table: string, version = '1'): Migration {
  return {
    id,
    version,
    async up(db) {
      await db.schema.createTable(table).addColumn('n', 'integer').execute();
    },
  };
}

const failing: Migration = {
  id: 'test_failing',
  version: '1',
  async up(db) {
    await sql`select * from no_such_table`.execute(db);
  },
};

async function tableExists(db: Kysely<Tables>, table: string): Promise<boolean> {
  const { rows } = await sql<{ name: string | null }>`select to_regclass(${table})::text as name`.execute(db);
  return rows[0]?.name !== null && rows[0]?.name !== undefined;
}

async function appliedIds(db: Kysely<Tables>): Promise<string[]> {
  const rows = await db.selectFrom('quantbot_migrations').select('id').orderBy('id').execute();
  return rows.map((row) => row.id);
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((done) => {
    resolve = done;
  });
  return { promise, resolve };
}

describeStorageBackends<Tables>('storage', {}, ({ kind, database }) => {
  const handle = (): DatabaseHandle<Tables> => database().handle;
  const db = (): Kysely<Tables> => handle().db;

  beforeAll(async () => {
    await db().schema.createTable('notes').ifNotExists().addColumn('id', 'integer', (c) => c.primaryKey()).addColumn('body', 'text', (c) => c.notNull()).execute();
  });

  afterEach(async () => {
    await db().deleteFrom('notes').execute();
    await db().deleteFrom('quantbot_migrations').where('id', 'like', 'test\\_%').execute();
    for (const table of ['test_a', 'test_b', 'test_counter', 'test_values']) await db().schema.dropTable(table).ifExists().execute();
  });

  describe('opening', () => {
    it(`is of kind ${kind} and has applied the storage migrations, each recorded with its checksum`, async () => {
      expect(handle().kind).toBe(kind);
      expect(handle().migrations).toEqual({ appliedNow: ['0001_schema_meta'], appliedBefore: [] });
      const rows = await db().selectFrom('quantbot_migrations').selectAll().execute();
      expect(rows.map(({ id, checksum }) => ({ id, checksum }))).toEqual(STORAGE_MIGRATIONS.map((m) => ({ id: m.id, checksum: migrationChecksum(m) })));
      expect(rows[0]?.applied_at).toBeInstanceOf(Date);
    });

    it('describes where the data lives', () => {
      const { dataDir, schema, url } = database();
      expect(handle().describe()).toBe(
        kind === 'embedded' ? `embedded Postgres (PGlite) in ${dataDir}` : `Postgres server ${redactDatabaseUrl(url ?? '')} (schema ${schema})`,
      );
    });
  });

  describe('values', () => {
    it('reads back the same JavaScript values as the other backend', async () => {
      await sql`create table test_values (
        i2 int2, i4 int4, i8 int8, big int8, num numeric, f8 float8, flag boolean, label text,
        day date, stamp timestamp, instant timestamptz, span interval, doc jsonb, raw bytea, ints int4[], days date[]
      )`.execute(db());
      await sql`insert into test_values values (
        ${1}, ${2}, ${3}, ${'9007199254740993'}, ${'12.50'}, ${0.25}, ${true}, ${'ORCL'},
        ${'2024-03-05'}, ${'2024-03-05 14:30:00'}, ${new Date(Date.UTC(2024, 2, 5, 14, 30))}, ${'1 day 02:00:00'},
        ${JSON.stringify({ symbols: ['ORCL'], weight: 0.5 })}, ${new Uint8Array([0, 255])}, ${[1, 2]}, ${['2024-01-02']}
      )`.execute(db());
      const { rows } = await sql<Record<string, unknown>>`select * from test_values`.execute(db());
      expect(rows).toStrictEqual([
        {
          i2: 1,
          i4: 2,
          i8: '3',
          big: '9007199254740993',
          num: '12.50',
          f8: 0.25,
          flag: true,
          label: 'ORCL',
          day: '2024-03-05',
          stamp: '2024-03-05 14:30:00',
          instant: new Date(Date.UTC(2024, 2, 5, 14, 30)),
          span: '1 day 02:00:00',
          doc: { symbols: ['ORCL'], weight: 0.5 },
          raw: new Uint8Array([0, 255]),
          ints: [1, 2],
          days: ['2024-01-02'],
        },
      ]);
      expect(rows[0]?.['instant']).toBeInstanceOf(Date);
      const { rows: counted } = await sql<{ n: unknown }>`select count(*) as n from test_values`.execute(db());
      expect(counted).toEqual([{ n: '1' }]);
    });

    it('reports affected rows and Postgres error codes as pg does', async () => {
      const inserted = await db().insertInto('notes').values([{ id: 1, body: 'a' }, { id: 2, body: 'b' }]).executeTakeFirst();
      expect(inserted.numInsertedOrUpdatedRows).toBe(2n);
      const deleted = await db().deleteFrom('notes').where('id', '=', 1).executeTakeFirst();
      expect(deleted.numDeletedRows).toBe(1n);
      await expect(db().insertInto('notes').values({ id: 2, body: 'again' }).execute()).rejects.toMatchObject({
        code: '23505',
        message: expect.stringContaining('duplicate key'),
      });
    });

    it('runs several statements sent without parameters, as pg does', async () => {
      await sql`insert into notes values (1, 'a'); insert into notes values (2, 'b')`.execute(db());
      expect(await db().selectFrom('notes').select('id').orderBy('id').execute()).toEqual([{ id: 1 }, { id: 2 }]);
    });
  });

  describe('transactions', () => {
    it('commits what a transaction wrote when it resolves', async () => {
      const result = await withTransaction(db(), async (trx) => {
        await trx.insertInto('notes').values({ id: 1, body: 'kept' }).execute();
        return 'done';
      });
      expect(result).toBe('done');
      expect(await db().selectFrom('notes').selectAll().execute()).toEqual([{ id: 1, body: 'kept' }]);
    });

    it('leaves nothing behind when a transaction throws', async () => {
      const problem = new Error('risk check failed half-way');
      await expect(
        withTransaction(db(), async (trx) => {
          await trx.insertInto('notes').values({ id: 1, body: 'first half' }).execute();
          await trx.insertInto('notes').values({ id: 2, body: 'second half' }).execute();
          throw problem;
        }),
      ).rejects.toBe(problem);
      expect(await db().selectFrom('notes').selectAll().execute()).toEqual([]);
    });

    it('rolls back earlier writes when a statement fails', async () => {
      await expect(
        withTransaction(db(), async (trx) => {
          await trx.insertInto('notes').values({ id: 1, body: 'written' }).execute();
          await trx.insertInto('notes').values({ id: 1, body: 'duplicate' }).execute();
        }),
      ).rejects.toMatchObject({ code: '23505' });
      expect(await db().selectFrom('notes').selectAll().execute()).toEqual([]);
    });

    it('joins an enclosing transaction, rolling back with it', async () => {
      await expect(
        withTransaction(db(), async (outer) => {
          await withTransaction(outer, async (inner) => {
            await inner.insertInto('notes').values({ id: 1, body: 'inner' }).execute();
          });
          throw new Error('outer fails');
        }),
      ).rejects.toThrow('outer fails');
      expect(await db().selectFrom('notes').selectAll().execute()).toEqual([]);
    });

    it('runs a query issued while a transaction is open outside of it, so the rollback does not take it along', async () => {
      const entered = deferred();
      const gate = deferred();
      const transaction = withTransaction(db(), async (trx) => {
        await trx.insertInto('notes').values({ id: 1, body: 'inside' }).execute();
        entered.resolve();
        await gate.promise;
        throw new Error('abandoned');
      });
      await entered.promise;
      const outside = db().insertInto('notes').values({ id: 2, body: 'outside' }).execute();
      gate.resolve();
      await expect(transaction).rejects.toThrow('abandoned');
      await outside;
      expect(await db().selectFrom('notes').selectAll().execute()).toEqual([{ id: 2, body: 'outside' }]);
    });
  });

  describe('migrate', () => {
    const storageAnd = (...more: Migration[]): Migration[] => [...STORAGE_MIGRATIONS, ...more];

    it('applies a new migration once; a second run finds nothing to do', async () => {
      const first = await migrate(db(), storageAnd(createTableMigration('test_a', 'test_a')));
      expect(first).toEqual({ appliedNow: ['test_a'], appliedBefore: ['0001_schema_meta'] });
      expect(await tableExists(db(), 'test_a')).toBe(true);
      const second = await migrate(db(), storageAnd(createTableMigration('test_a', 'test_a')));
      expect(second).toEqual({ appliedNow: [], appliedBefore: ['0001_schema_meta', 'test_a'] });
    });

    it('stamps applied_at from the clock when given one', async () => {
      const at = Date.UTC(2024, 2, 5, 14, 30);
      await migrate(db(), storageAnd(createTableMigration('test_a', 'test_a')), { clock: { now: () => at as EpochMs } });
      const row = await db().selectFrom('quantbot_migrations').select('applied_at').where('id', '=', 'test_a').executeTakeFirstOrThrow();
      expect(row.applied_at.getTime()).toBe(at);
    });

    it('refuses an edited migration (new version) and applies nothing else', async () => {
      await migrate(db(), storageAnd(createTableMigration('test_a', 'test_a', '1')));
      const edited = migrate(db(), storageAnd(createTableMigration('test_a', 'test_a', '2'), createTableMigration('test_b', 'test_b')));
      await expect(edited).rejects.toThrow(StorageError);
      await expect(edited).rejects.toMatchObject({ code: 'STORAGE_MIGRATION_CHANGED', message: expect.stringContaining('migration test_a') });
      expect(await tableExists(db(), 'test_b')).toBe(false);
      expect(await appliedIds(db())).toEqual(['0001_schema_meta', 'test_a']);
    });

    it('refuses a database newer than the code, naming the unknown migrations and writing nothing', async () => {
      await migrate(db(), storageAnd(createTableMigration('test_a', 'test_a')));
      const before = await db().selectFrom('quantbot_migrations').selectAll().orderBy('id').execute();
      const older = migrate(db(), storageAnd(createTableMigration('test_b', 'test_b')));
      await expect(older).rejects.toMatchObject({ code: 'STORAGE_SCHEMA_NEWER', message: expect.stringContaining('test_a') });
      expect(await tableExists(db(), 'test_b')).toBe(false);
      expect(await db().selectFrom('quantbot_migrations').selectAll().orderBy('id').execute()).toEqual(before);
    });

    it('applies all pending migrations or none: a failing one rolls back those before it', async () => {
      const run = migrate(db(), storageAnd(createTableMigration('test_a', 'test_a'), failing));
      await expect(run).rejects.toMatchObject({ code: 'STORAGE_MIGRATION_FAILED', message: expect.stringMatching(/migration test_failing failed: .*no_such_table/) });
      expect(await tableExists(db(), 'test_a')).toBe(false);
      expect(await appliedIds(db())).toEqual(['0001_schema_meta']);
    });

    it('applies a pending migration listed before one already applied', async () => {
      await migrate(db(), storageAnd(createTableMigration('test_b', 'test_b')));
      const report = await migrate(db(), storageAnd(createTableMigration('test_a', 'test_a'), createTableMigration('test_b', 'test_b')));
      expect(report).toEqual({ appliedNow: ['test_a'], appliedBefore: ['0001_schema_meta', 'test_b'] });
    });
  });

  if (kind === 'embedded') {
    describe('the data directory lock', () => {
      it('holds the lock file with this pid and refuses a second handle on the same directory', async () => {
        const { dataDir } = database();
        if (dataDir === undefined) throw new Error('embedded test database without a data directory');
        expect(readFileSync(join(dataDir, DATA_DIR_LOCK_FILE), 'utf8')).toBe(`${process.pid}\n`);
        await expect(openDatabase({ dataDir, env: {} })).rejects.toMatchObject({
          code: 'STORAGE_LOCKED',
          message: expect.stringContaining(`${dataDir} is already open in this process (pid ${process.pid}`),
        });
      });
    });
  }

  if (kind === 'server') {
    describe('on a shared server', () => {
      it('applies each migration exactly once when two handles open a fresh schema at once', async () => {
        const { url } = database();
        if (url === undefined) throw new Error('server test database without a URL');
        const schema = `${database().schema ?? 'qb_test'}_race`;
        const counting: Migration = {
          id: 'test_counter',
          version: '1',
          async up(migrationDb) {
            await sql`create table test_counter (n integer not null)`.execute(migrationDb);
            await sql`insert into test_counter values (1)`.execute(migrationDb);
          },
        };
        const migrations = [...STORAGE_MIGRATIONS, counting];
        const handles = await Promise.all([0, 1].map(() => openDatabase<Tables>({ url, schema, migrations, env: {} })));
        const [first] = handles;
        if (first === undefined) throw new Error('no handle');
        try {
          const reports = handles.map((h) => h.migrations).sort((a, b) => b.appliedNow.length - a.appliedNow.length);
          expect(reports).toEqual([
            { appliedNow: ['0001_schema_meta', 'test_counter'], appliedBefore: [] },
            { appliedNow: [], appliedBefore: ['0001_schema_meta', 'test_counter'] },
          ]);
          for (const h of handles) {
            expect(await h.db.selectFrom('test_counter').select('n').execute()).toEqual([{ n: 1 }]);
            expect(await appliedIds(h.db)).toEqual(['0001_schema_meta', 'test_counter']);
          }
        } finally {
          await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(first.db);
          await Promise.all(handles.map((h) => h.close()));
        }
      });

      it('never shows the password', async () => {
        const { url, schema } = database();
        if (url === undefined) throw new Error('server test database without a URL');
        const withPassword = new URL(url);
        // A trust-auth server ignores the password; one with passwords already has it in the URL.
        if (withPassword.password === '') withPassword.password = 'not-a-real-secret-7f3a';
        const secret = decodeURIComponent(withPassword.password);
        const other = await openDatabase({ url: withPassword.toString(), schema, env: {} });
        try {
          expect(other.describe()).toContain(':***@');
          expect(other.describe()).not.toContain(secret);
        } finally {
          await other.close();
        }
      });
    });
  }

  describe('lasting', () => {
    it('keeps committed data across close and reopen, without applying migrations again', async () => {
      await db().insertInto('notes').values({ id: 7, body: 'still here' }).execute();
      const reopened = await database().reopen();
      expect(reopened.migrations).toEqual({ appliedNow: [], appliedBefore: ['0001_schema_meta'] });
      expect(await reopened.db.selectFrom('notes').selectAll().execute()).toEqual([{ id: 7, body: 'still here' }]);
      const { dataDir } = database();
      if (dataDir !== undefined) expect(readFileSync(join(dataDir, DATA_DIR_LOCK_FILE), 'utf8')).toBe(`${process.pid}\n`);
    }, TEST_DATABASE_OPEN_TIMEOUT_MS);

    it('releases the data directory when closed', async () => {
      await handle().close();
      await handle().close();
      const { dataDir } = database();
      if (dataDir !== undefined) expect(existsSync(join(dataDir, DATA_DIR_LOCK_FILE))).toBe(false);
      await expect(handle().db.selectFrom('notes').selectAll().execute()).rejects.toThrow();
      await database().reopen();
    }, TEST_DATABASE_OPEN_TIMEOUT_MS);
  });
});
