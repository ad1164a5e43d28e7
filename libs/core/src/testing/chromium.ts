import { existsSync } from 'node:fs';
import type { TestEnv, TestPrerequisite } from './test-prerequisite';

/** The variable naming the Chromium binary browser tests drive (playwright-core never downloads one). */
export const CHROMIUM_PATH_ENV = 'CHROMIUM_PATH';

/** Where Debian's `chromium` package installs the browser. */
export const DEFAULT_CHROMIUM_PATH = '/usr/bin/chromium';

/** The Chromium binary browser tests launch: `CHROMIUM_PATH`, else {@link DEFAULT_CHROMIUM_PATH}. */
export function chromiumPath(env: TestEnv = process.env): string {
  const named = env[CHROMIUM_PATH_ENV]?.trim();
  return named === undefined || named === '' ? DEFAULT_CHROMIUM_PATH : named;
}

/** Chromium as a test prerequisite (see `describeWithPrerequisite`): required when `CI=true`. */
export function chromiumPrerequisite(env: TestEnv = process.env): TestPrerequisite {
  const path = chromiumPath(env);
  return {
    name: 'Chromium',
    missing: existsSync(path) ? undefined : `there is no Chromium at ${path}`,
    howToProvide: `install it with \`apt-get install chromium\` (or set ${CHROMIUM_PATH_ENV} to a Chromium binary)`,
  };
}
