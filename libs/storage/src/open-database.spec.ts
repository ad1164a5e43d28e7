import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '@quantbot/core';
import { DATA_DIR_LOCK_FILE } from './data-dir-lock';
import type { Migration } from './migration';
import { STORAGE_MIGRATIONS } from './migration';
import { openDatabase } from './open-database';
import { StorageError } from './storage-error';

/** What opening these fails with; none of them opens a database successfully. */
describe('openDatabase refuses', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'qb-open-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  describe('a server it cannot use', () => {
    it('names host:port and never the password when nothing listens there', async () => {
      const error: unknown = await openDatabase({ url: 'postgres://bot:hunter2@127.0.0.1:1/quant', env: {} }).then(
        () => undefined,
        (caught: unknown) => caught,
      );
      expect(error).toBeInstanceOf(StorageError);
      const { code, message } = error as StorageError;
      expect(code).toBe('STORAGE_UNAVAILABLE');
      expect(message).toMatch(/^cannot connect to the Postgres server at 127\.0\.0\.1:1 \(database quant, user bot\), from the url option: .*ECONNREFUSED/);
      expect(message).not.toContain('hunter2');
    });

    it('takes the server from DATABASE_URL and says so', async () => {
      await expect(openDatabase({ env: { DATABASE_URL: 'postgres://bot:hunter2@127.0.0.1:1/quant' } })).rejects.toMatchObject({
        code: 'STORAGE_UNAVAILABLE',
        message: expect.stringContaining('127.0.0.1:1 (database quant, user bot), from DATABASE_URL'),
      });
    });

    it.each([
      ['text that is not a URL', 'bot:hunter2@db', 'DATABASE_URL is not a valid URL'],
      ['another database', 'mysql://bot:hunter2@db/quant', 'DATABASE_URL (mysql://bot:***@db/quant) is not a Postgres URL'],
    ])('with a URL that is %s', async (_title, url, message) => {
      const opening = openDatabase({ env: { DATABASE_URL: url } });
      await expect(opening).rejects.toMatchObject({ code: 'STORAGE_URL_INVALID', message: expect.stringContaining(message) });
      await expect(opening).rejects.not.toThrow(/hunter2/);
    });
  });

  describe('an embedded data directory it cannot use', () => {
    it('when the path is a file', async () => {
      const file = join(root, 'db');
      writeFileSync(file, 'not a directory');
      await expect(openDatabase({ dataDir: file, env: {} })).rejects.toMatchObject({
        code: 'STORAGE_DATA_DIR_INVALID',
        message: `${file}: is not a directory`,
      });
    });

    it('when the directory holds other files and no database', async () => {
      writeFileSync(join(root, 'notes.txt'), 'mine');
      await expect(openDatabase({ dataDir: root, env: {} })).rejects.toMatchObject({
        code: 'STORAGE_DATA_DIR_INVALID',
        message: expect.stringContaining(`${root}: is not empty (notes.txt) and holds no embedded database`),
      });
      expect(existsSync(join(root, DATA_DIR_LOCK_FILE))).toBe(false);
    });

    it('when the database in it is damaged, naming the directory and releasing the lock', async () => {
      const dataDir = join(root, 'db');
      mkdirSync(dataDir);
      writeFileSync(join(dataDir, 'PG_VERSION'), 'garbage\n');
      await expect(openDatabase({ dataDir, env: {} })).rejects.toMatchObject({
        code: 'STORAGE_DATA_DIR_INVALID',
        message: expect.stringContaining(`${dataDir}: cannot open the embedded database: `),
      });
      expect(existsSync(join(dataDir, DATA_DIR_LOCK_FILE))).toBe(false);
    }, 30_000);

    it('while another running process holds it, without starting the database', async () => {
      const dataDir = join(root, 'db');
      mkdirSync(dataDir);
      const other = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
      try {
        writeFileSync(join(dataDir, DATA_DIR_LOCK_FILE), `${other.pid}\n`);
        await expect(openDatabase({ dataDir, env: {} })).rejects.toMatchObject({
          code: 'STORAGE_LOCKED',
          message: expect.stringContaining(`${dataDir} is in use by process ${other.pid}`),
        });
        expect(readdirSync(dataDir)).toEqual([DATA_DIR_LOCK_FILE]);
      } finally {
        const exited = new Promise((resolve) => other.once('exit', resolve));
        other.kill();
        await exited;
      }
    });
  });

  describe('options that make no sense, before touching anything', () => {
    const dataDir = (): string => join(root, 'never-created');

    it.each<[string, Parameters<typeof openDatabase>[0], RegExp]>([
      ['both url and dataDir', { url: 'postgres://db/q', dataDir: 'x' }, /^dataDir: give either url/],
      ['a schema that is not a plain lower-case name', { schema: 'Robert"; drop table x' }, /^schema: /],
      ['a migration list without the storage migrations', { migrations: [{ id: 'registry_0001', version: '1', up: async () => undefined }] }, /^migrations: must include STORAGE_MIGRATIONS \(missing 0001_schema_meta\)/],
      ['a pool of no connections', { poolSize: 0 }, /^poolSize: 0 is not a positive integer/],
    ])('%s', async (_title, options, message) => {
      const opening = openDatabase({ dataDir: options?.url === undefined ? dataDir() : undefined, env: {}, ...options });
      await expect(opening).rejects.toThrow(ConfigError);
      await expect(opening).rejects.toThrow(message);
      expect(existsSync(dataDir())).toBe(false);
    });

    it('a migration list with a duplicate id', async () => {
      const twice: Migration = { id: 'registry_0001', version: '1', up: async () => undefined };
      await expect(openDatabase({ dataDir: dataDir(), env: {}, migrations: [...STORAGE_MIGRATIONS, twice, twice] })).rejects.toMatchObject({
        code: 'STORAGE_MIGRATIONS_INVALID',
      });
      expect(existsSync(dataDir())).toBe(false);
    });
  });
});

describe('@quantbot/storage at import', () => {
  it('loads neither pg nor PGlite', async () => {
    await jest.isolateModulesAsync(async () => {
      jest.doMock('pg', () => {
        throw new Error('pg was loaded at import');
      });
      jest.doMock('@electric-sql/pglite', () => {
        throw new Error('PGlite was loaded at import');
      });
      const storage = await import('./index');
      expect(typeof storage.openDatabase).toBe('function');
    });
  });
});
