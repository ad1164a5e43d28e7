import { Client } from 'pg';
import { describeWithPrerequisite } from '@quantbot/core/testing';
import { StorageTestKitError, TEST_DATABASE_URL_ENV, dropTestSchema, openTestDatabase, serverPostgresPrerequisite, testSchemaName } from './testing';

const url = process.env[TEST_DATABASE_URL_ENV];

/** Whether `schema` exists on the server. */
async function schemaExists(schema: string): Promise<boolean> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query('select 1 from information_schema.schemata where schema_name = $1', [schema]);
    return rows.length === 1;
  } finally {
    await client.end();
  }
}

describe('testSchemaName', () => {
  it('names a plain SQL identifier qb_test_<12 hex digits>, another each call', () => {
    const names = Array.from({ length: 50 }, () => testSchemaName());
    for (const name of names) expect(name).toMatch(/^qb_test_[0-9a-f]{12}$/);
    expect(new Set(names).size).toBe(names.length);
  });
});

describe('serverPostgresPrerequisite', () => {
  it('is missing, naming TEST_DATABASE_URL, when it is unset or blank, and present when set', () => {
    expect(serverPostgresPrerequisite({}).missing).toBe('TEST_DATABASE_URL is not set');
    expect(serverPostgresPrerequisite({ TEST_DATABASE_URL: ' ' }).missing).toBe('TEST_DATABASE_URL is not set');
    expect(serverPostgresPrerequisite({ TEST_DATABASE_URL: 'postgres://u@h/db' }).missing).toBeUndefined();
    expect(serverPostgresPrerequisite({}).howToProvide).toMatch(/^set TEST_DATABASE_URL=postgres:\/\//);
  });
});

describe('dropTestSchema', () => {
  it('refuses a name that is not a plain lower-case SQL identifier, before connecting', async () => {
    for (const schema of ['Qb_Test', 'a;drop schema public', 'x"y', '1abc', '']) {
      await expect(dropTestSchema('postgres://nobody@127.0.0.1:1/none', schema)).rejects.toThrow(StorageTestKitError);
    }
  });
});

describeWithPrerequisite(
  serverPostgresPrerequisite(),
  'test schemas on the server',
  () => {
    it('dropTestSchema drops a schema with its tables, and does nothing for one that does not exist', async () => {
      const schema = testSchemaName();
      const client = new Client({ connectionString: url });
      await client.connect();
      try {
        await client.query(`create schema ${schema}`);
        await client.query(`create table ${schema}.t (n integer)`);
      } finally {
        await client.end();
      }
      expect(await schemaExists(schema)).toBe(true);
      await dropTestSchema(url as string, schema);
      expect(await schemaExists(schema)).toBe(false);
      await expect(dropTestSchema(url as string, schema)).resolves.toBeUndefined();
    });

    it("openTestDatabase('server') opens its own schema, and cleanup drops it", async () => {
      const database = await openTestDatabase('server');
      const schema = database.schema as string;
      expect(schema).toMatch(/^qb_test_[0-9a-f]{12}$/);
      expect(await schemaExists(schema)).toBe(true);
      await database.cleanup();
      expect(await schemaExists(schema)).toBe(false);
    }, 60_000);
  },
);
