import { ConfigError } from '@quantbot/core';
import { resolveStorageTarget } from './storage-target';

describe('resolveStorageTarget', () => {
  const cwd = '/work/project';

  it.each([
    ['nothing set: <cwd>/.quantbot/db', {}, {}, { kind: 'embedded', dataDir: '/work/project/.quantbot/db' }],
    ['QUANTBOT_DATA_DIR: its db folder', {}, { QUANTBOT_DATA_DIR: '/data/qb' }, { kind: 'embedded', dataDir: '/data/qb/db' }],
    ['a relative QUANTBOT_DATA_DIR, from cwd', {}, { QUANTBOT_DATA_DIR: 'var' }, { kind: 'embedded', dataDir: '/work/project/var/db' }],
    ['DATABASE_URL over QUANTBOT_DATA_DIR', {}, { DATABASE_URL: 'postgres://db/q', QUANTBOT_DATA_DIR: '/data/qb' }, { kind: 'server', url: 'postgres://db/q' }],
    ['an empty DATABASE_URL counts as unset', {}, { DATABASE_URL: ' ', QUANTBOT_DATA_DIR: '/data/qb' }, { kind: 'embedded', dataDir: '/data/qb/db' }],
    ['the dataDir option over DATABASE_URL', { dataDir: 'mine' }, { DATABASE_URL: 'postgres://db/q' }, { kind: 'embedded', dataDir: '/work/project/mine' }],
    ['the url option over everything', { url: 'postgres://other/q' }, { DATABASE_URL: 'postgres://db/q' }, { kind: 'server', url: 'postgres://other/q' }],
  ])('%s', (_title, options, env, expected) => {
    expect(resolveStorageTarget({ ...options, env, cwd })).toMatchObject(expected);
  });

  it('says where the choice came from', () => {
    expect(resolveStorageTarget({ env: { DATABASE_URL: 'postgres://db/q' }, cwd }).source).toBe('DATABASE_URL');
    expect(resolveStorageTarget({ url: 'postgres://db/q', env: {}, cwd }).source).toBe('the url option');
  });

  it('refuses both url and dataDir', () => {
    expect(() => resolveStorageTarget({ url: 'postgres://db/q', dataDir: 'x', env: {}, cwd })).toThrow(ConfigError);
  });

  it('refuses an empty url or dataDir option', () => {
    expect(() => resolveStorageTarget({ url: '', env: {}, cwd })).toThrow('url: is empty');
    expect(() => resolveStorageTarget({ dataDir: ' ', env: {}, cwd })).toThrow('dataDir: is empty');
  });

  it('reads process.env and process.cwd() when not given', () => {
    const saved = { url: process.env['DATABASE_URL'], dir: process.env['QUANTBOT_DATA_DIR'] };
    try {
      delete process.env['DATABASE_URL'];
      process.env['QUANTBOT_DATA_DIR'] = '/from/env';
      expect(resolveStorageTarget()).toMatchObject({ kind: 'embedded', dataDir: '/from/env/db' });
    } finally {
      if (saved.url === undefined) delete process.env['DATABASE_URL'];
      else process.env['DATABASE_URL'] = saved.url;
      if (saved.dir === undefined) delete process.env['QUANTBOT_DATA_DIR'];
      else process.env['QUANTBOT_DATA_DIR'] = saved.dir;
    }
  });
});
