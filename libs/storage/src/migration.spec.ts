import type { Migration } from './migration';
import { STORAGE_MIGRATIONS, migrationChecksum, validateMigrations } from './migration';
import { StorageError } from './storage-error';

const step = (id: string, version = '1'): Migration => ({ id, version, up: async () => undefined });

describe('migrationChecksum', () => {
  it('is 64 hex digits and changes with the id or the version', () => {
    const base = migrationChecksum({ id: 'registry_0001_runs', version: '1' });
    expect(base).toMatch(/^[0-9a-f]{64}$/);
    expect(migrationChecksum({ id: 'registry_0001_runs', version: '1' })).toBe(base);
    expect(migrationChecksum({ id: 'registry_0001_runs', version: '2' })).not.toBe(base);
    expect(migrationChecksum({ id: 'registry_0002_runs', version: '1' })).not.toBe(base);
  });

  it('keeps id and version apart', () => {
    expect(migrationChecksum({ id: 'a', version: 'b1' })).not.toBe(migrationChecksum({ id: 'ab', version: '1' }));
  });
});

describe('validateMigrations', () => {
  it('accepts the storage list and a list extending it', () => {
    expect(() => validateMigrations(STORAGE_MIGRATIONS)).not.toThrow();
    expect(() => validateMigrations([...STORAGE_MIGRATIONS, step('registry_0001_runs'), step('registry_0002.runs-index')])).not.toThrow();
  });

  it.each([
    ['a duplicate id', [step('a_1'), step('a_1')], 'migration #2: id a_1 appears twice'],
    ['an empty id', [step('')], 'migration #1: id "" must be'],
    ['an id with a space', [step('create runs')], 'id "create runs" must be'],
    ['an empty version', [step('a_1', ' ')], 'migration #1 (a_1): version must be a non-empty string'],
  ])('refuses %s', (_title, list, message) => {
    expect(() => validateMigrations(list)).toThrow(StorageError);
    expect(() => validateMigrations(list)).toThrow(expect.objectContaining({ code: 'STORAGE_MIGRATIONS_INVALID', message: expect.stringContaining(message) }));
  });
});

describe('STORAGE_MIGRATIONS', () => {
  it('starts with 0001_schema_meta and cannot be changed', () => {
    expect(STORAGE_MIGRATIONS.map((m) => m.id)).toEqual(['0001_schema_meta']);
    expect(Object.isFrozen(STORAGE_MIGRATIONS)).toBe(true);
    expect(Object.isFrozen(STORAGE_MIGRATIONS[0])).toBe(true);
  });
});
