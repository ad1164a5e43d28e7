import { existsSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { TestEnv, TestPrerequisite } from './test-prerequisite';

/** The variable naming the folder of real daily bars the real-data tests read. */
export const TEST_DATA_DIR_ENV = 'QUANTBOT_TEST_DATA_DIR';

/**
 * The variable that overrides whether the real data is required: `true`/`1` requires it,
 * `false`/`0` lets its tests be skipped even under `CI=true` (a CI without the data says so).
 */
export const REQUIRE_TEST_DATA_ENV = 'QUANTBOT_REQUIRE_TEST_DATA';

/** The folder holding the workspace's `nx.json`, searched upwards from `from`; undefined outside a workspace. */
export function findWorkspaceRoot(from: string = __dirname): string | undefined {
  let dir = resolve(from);
  for (;;) {
    if (existsSync(join(dir, 'nx.json'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/**
 * The folder of real daily bars (Yahoo-layout CSV files such as `orcl-1995-2014.txt`): the
 * folder named by `QUANTBOT_TEST_DATA_DIR` (relative to the current directory), else
 * `shared/data` beside the workspace (`<workspace>/../shared/data`). The data is never part of
 * the repository. Does not check that the folder exists: {@link realMarketDataPrerequisite} does.
 */
export function realMarketDataDir(env: TestEnv = process.env): string {
  const named = env[TEST_DATA_DIR_ENV]?.trim();
  if (named !== undefined && named !== '') return resolve(named);
  const root = findWorkspaceRoot();
  return root === undefined ? resolve('..', 'shared', 'data') : resolve(root, '..', 'shared', 'data');
}

/** The path of one file of the real data, e.g. `realMarketDataFile('orcl-1995-2014.txt')`. */
export function realMarketDataFile(name: string, env: TestEnv = process.env): string {
  return join(realMarketDataDir(env), name);
}

/** The real data as a test prerequisite (see `describeWithPrerequisite`): present when its folder exists. */
export function realMarketDataPrerequisite(env: TestEnv = process.env): TestPrerequisite {
  const dir = realMarketDataDir(env);
  const isFolder = existsSync(dir) && statSync(dir).isDirectory();
  return {
    name: 'real market data',
    missing: isFolder ? undefined : `there is no folder ${dir}`,
    howToProvide: `put the shared daily bars in ../shared/data beside the checkout or set ${TEST_DATA_DIR_ENV} to their folder`,
    requireFlag: REQUIRE_TEST_DATA_ENV,
  };
}
