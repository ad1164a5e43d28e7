import { AbortedTransactionError, Kysely, sql } from 'kysely';
import type { PGliteClient, PGliteQueryResult } from './pglite-dialect';
import { PGliteDialect } from './pglite-dialect';

interface Tables {
  notes: { id: number; body: string };
}

/** A stand-in for PGlite that records what it is sent and answers from a script. */
class ScriptedClient implements PGliteClient {
  readonly log: string[] = [];
  closed = false;
  answer: (sql: string) => PGliteQueryResult = (text) => ({ rows: [], command: text.split(' ')[0]?.toUpperCase() });

  async query(text: string, params: unknown[] = []): Promise<PGliteQueryResult> {
    this.log.push(`query ${text} ${JSON.stringify(params)}`);
    return this.answer(text);
  }

  async exec(text: string): Promise<readonly PGliteQueryResult[]> {
    this.log.push(`exec ${text}`);
    return [this.answer(text)];
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

describe('PGliteDialect', () => {
  let client: ScriptedClient;
  let db: Kysely<Tables>;
  beforeEach(() => {
    client = new ScriptedClient();
    db = new Kysely<Tables>({ dialect: new PGliteDialect({ database: client }) });
  });

  it('sends parameterised statements with query and parameterless ones with exec', async () => {
    await db.selectFrom('notes').selectAll().where('id', '=', 7).execute();
    await sql`select 1`.execute(db);
    expect(client.log).toEqual(['query select * from "notes" where "id" = $1 [7]', 'exec select 1']);
  });

  it('counts affected rows of INSERT, UPDATE and DELETE only', async () => {
    client.answer = (text) => ({ rows: [], command: text.startsWith('insert') ? 'INSERT' : 'SELECT', affectedRows: 3 });
    const inserted = await db.insertInto('notes').values({ id: 1, body: 'a' }).executeTakeFirst();
    expect(inserted.numInsertedOrUpdatedRows).toBe(3n);
    const { numAffectedRows } = await sql`select 1 where ${1} = 1`.execute(db);
    expect(numAffectedRows).toBeUndefined();
  });

  it('reports no rows when one parameterless call ran several statements, as pg does', async () => {
    client.exec = async (text) => {
      client.log.push(`exec ${text}`);
      return [{ rows: [{ a: 1 }] }, { rows: [{ b: 2 }] }];
    };
    expect((await sql`select 1 as a; select 2 as b`.execute(db)).rows).toEqual([]);
  });

  it('keeps the connection for a transaction: a query from outside waits until it ends', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const transaction = db.transaction().execute(async (trx) => {
      await sql`select ${'in 1'}`.execute(trx);
      await gate;
      await sql`select ${'in 2'}`.execute(trx);
    });
    await new Promise((resolve) => setImmediate(resolve));
    const outside = sql`select ${'outside'}`.execute(db);
    await new Promise((resolve) => setImmediate(resolve));
    release();
    await Promise.all([transaction, outside]);
    expect(client.log).toEqual(['exec begin', 'query select $1 ["in 1"]', 'query select $1 ["in 2"]', 'exec commit', 'query select $1 ["outside"]']);
  });

  it('rolls back when the callback throws', async () => {
    await expect(
      db.transaction().execute(async (trx) => {
        await sql`select ${1}`.execute(trx);
        throw new Error('no');
      }),
    ).rejects.toThrow('no');
    expect(client.log).toEqual(['exec begin', 'query select $1 [1]', 'exec rollback']);
  });

  it('starts transactions with the isolation level and access mode asked for', async () => {
    await db.transaction().setIsolationLevel('serializable').setAccessMode('read only').execute(async () => undefined);
    expect(client.log[0]).toBe('exec start transaction isolation level serializable read only');
  });

  it('throws AbortedTransactionError when Postgres answers COMMIT with ROLLBACK', async () => {
    client.answer = (text) => ({ rows: [], command: text === 'commit' ? 'ROLLBACK' : 'SELECT' });
    await expect(db.transaction().execute(async () => undefined)).rejects.toThrow(AbortedTransactionError);
  });

  it('quotes savepoint names', async () => {
    await db.connection().execute(async (connection) => {
      const trx = await connection.startTransaction().execute();
      const point = await trx.savepoint('before "risky"').execute();
      await point.rollbackToSavepoint('before "risky"').execute();
      await trx.commit().execute();
    });
    expect(client.log).toEqual(['exec begin', 'exec savepoint "before ""risky"""', 'exec rollback to savepoint "before ""risky"""', 'exec commit']);
  });

  it('streams a read result in chunks', async () => {
    client.answer = () => ({ rows: [{ id: 1 }, { id: 2 }, { id: 3 }], command: 'SELECT' });
    const chunks: unknown[] = [];
    for await (const row of db.selectFrom('notes').select('id').stream(2)) chunks.push(row);
    expect(chunks).toEqual([{ id: 1 }, { id: 2 }, { id: 3 }]);
  });

  it('closes the client when kysely is destroyed, and refuses queries afterwards', async () => {
    await sql`select 1`.execute(db);
    await db.destroy();
    expect(client.closed).toBe(true);
    await expect(sql`select 1`.execute(db)).rejects.toThrow();
    expect(client.log).toEqual(['exec select 1']);
  });
});
