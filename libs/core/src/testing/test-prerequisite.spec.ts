import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ConfigError } from '../errors';
import { CHROMIUM_PATH_ENV, chromiumPath, chromiumPrerequisite, DEFAULT_CHROMIUM_PATH } from './chromium';
import { findWorkspaceRoot, realMarketDataDir, realMarketDataFile, realMarketDataPrerequisite, REQUIRE_TEST_DATA_ENV, TEST_DATA_DIR_ENV } from './real-market-data';
import type { TestEnv, TestPrerequisite } from './test-prerequisite';
import { decideTestPrerequisite, isPrerequisiteRequired } from './test-prerequisite';

const present: TestPrerequisite = { name: 'Chromium', missing: undefined, howToProvide: 'install it with `apt-get install chromium`' };
const absent: TestPrerequisite = { ...present, missing: 'there is no Chromium at /usr/bin/chromium' };
const absentWithFlag: TestPrerequisite = { ...absent, name: 'real market data', requireFlag: 'REQUIRE_IT' };

describe('isPrerequisiteRequired', () => {
  it.each<[string, TestEnv, string | undefined, boolean]>([
    ['not under CI', {}, undefined, false],
    ['under CI=true', { CI: 'true' }, undefined, true],
    ['CI set to anything but true', { CI: '1' }, undefined, false],
    ['the flag unset: CI decides', { CI: 'true' }, 'REQUIRE_IT', true],
    ['an empty flag: CI decides', { CI: 'true', REQUIRE_IT: ' ' }, 'REQUIRE_IT', true],
    ['the flag false under CI', { CI: 'true', REQUIRE_IT: 'false' }, 'REQUIRE_IT', false],
    ['the flag 0 under CI', { CI: 'true', REQUIRE_IT: '0' }, 'REQUIRE_IT', false],
    ['the flag true without CI', { REQUIRE_IT: 'true' }, 'REQUIRE_IT', true],
    ['the flag 1 without CI', { REQUIRE_IT: '1' }, 'REQUIRE_IT', true],
  ])('%s', (_case, env, flag, expected) => {
    expect(isPrerequisiteRequired(env, flag)).toBe(expected);
  });

  it('refuses a flag value that is not a boolean, naming the flag', () => {
    expect(() => isPrerequisiteRequired({ REQUIRE_IT: 'yes' }, 'REQUIRE_IT')).toThrow(ConfigError);
    expect(() => isPrerequisiteRequired({ REQUIRE_IT: 'yes' }, 'REQUIRE_IT')).toThrow('REQUIRE_IT=yes is not a boolean');
  });
});

describe('decideTestPrerequisite', () => {
  it('runs the tests when the prerequisite is present, required or not', () => {
    expect(decideTestPrerequisite(present, {})).toEqual({ kind: 'run' });
    expect(decideTestPrerequisite(present, { CI: 'true' })).toEqual({ kind: 'run' });
  });

  it('skips them on a developer machine, saying what is missing and how to provide it', () => {
    expect(decideTestPrerequisite(absent, {})).toEqual({
      kind: 'skip',
      reason: 'Chromium missing: there is no Chromium at /usr/bin/chromium; to run these tests, install it with `apt-get install chromium`',
    });
  });

  it('fails them under CI=true, with the same explanation', () => {
    expect(decideTestPrerequisite(absent, { CI: 'true' })).toEqual({
      kind: 'fail',
      reason: 'Chromium is required (CI=true) but there is no Chromium at /usr/bin/chromium; install it with `apt-get install chromium`',
    });
  });

  it('follows the prerequisite flag over CI, and names it when it requires', () => {
    expect(decideTestPrerequisite(absentWithFlag, { CI: 'true', REQUIRE_IT: 'false' }).kind).toBe('skip');
    expect(decideTestPrerequisite(absentWithFlag, { REQUIRE_IT: 'true' })).toMatchObject({ kind: 'fail', reason: expect.stringMatching(/^real market data is required \(REQUIRE_IT=true\) but/) });
  });
});

describe('real market data', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'qb-test-data-'));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('is read from QUANTBOT_TEST_DATA_DIR when it is set', () => {
    const env = { [TEST_DATA_DIR_ENV]: dir };
    expect(realMarketDataDir(env)).toBe(dir);
    expect(realMarketDataFile('orcl-2014.txt', env)).toBe(join(dir, 'orcl-2014.txt'));
    expect(realMarketDataPrerequisite(env)).toMatchObject({ missing: undefined, requireFlag: REQUIRE_TEST_DATA_ENV });
  });

  it('is otherwise the shared/data folder beside the workspace', () => {
    const root = findWorkspaceRoot();
    expect(root).toBe(resolve(__dirname, '../../../..'));
    expect(realMarketDataDir({})).toBe(resolve(root as string, '../shared/data'));
  });

  it('is missing when its folder does not exist or is a file', () => {
    const file = join(dir, 'not-a-folder');
    writeFileSync(file, '');
    for (const missing of [join(dir, 'absent'), file]) {
      const prerequisite = realMarketDataPrerequisite({ [TEST_DATA_DIR_ENV]: missing });
      expect(prerequisite.missing).toBe(`there is no folder ${missing}`);
      expect(decideTestPrerequisite(prerequisite, { CI: 'true', [TEST_DATA_DIR_ENV]: missing }).kind).toBe('fail');
      expect(decideTestPrerequisite(prerequisite, { CI: 'true', [REQUIRE_TEST_DATA_ENV]: 'false' }).kind).toBe('skip');
    }
  });
});

describe('Chromium', () => {
  it('is CHROMIUM_PATH when set, else Debian’s /usr/bin/chromium', () => {
    expect(chromiumPath({})).toBe(DEFAULT_CHROMIUM_PATH);
    expect(chromiumPath({ [CHROMIUM_PATH_ENV]: '/opt/chromium/chrome' })).toBe('/opt/chromium/chrome');
  });

  it('is missing when no binary is there, and then says how to install it', () => {
    const prerequisite = chromiumPrerequisite({ [CHROMIUM_PATH_ENV]: '/no/such/chromium' });
    expect(prerequisite.missing).toBe('there is no Chromium at /no/such/chromium');
    expect(prerequisite.howToProvide).toContain('apt-get install chromium');
    expect(prerequisite.requireFlag).toBeUndefined();
  });
});
