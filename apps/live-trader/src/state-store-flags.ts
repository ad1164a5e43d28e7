import { join } from 'node:path';
import { openLiveStateStore } from '@quantbot/live';
import type { LiveStateStoreHandle } from '@quantbot/live';

/** The default embedded state folder and server schema of every live-trader command. */
export const DEFAULT_STATE_DIR = join('.quantbot', 'live');
export const DEFAULT_STATE_SCHEMA = 'quantbot_live';

/**
 * Opens the sessions' state as `run`, `state`, `status` and `incident` all choose it: the Postgres
 * server of `DATABASE_URL` (non-empty) in `--state-schema`, else the embedded database in
 * `--state-dir`.
 */
export function openStateStore(flags: Readonly<Record<string, string | number | boolean>>, env: Readonly<Record<string, string | undefined>>, cwd: string): Promise<LiveStateStoreHandle> {
  const schema = typeof flags['state-schema'] === 'string' ? flags['state-schema'] : DEFAULT_STATE_SCHEMA;
  const stateDir = typeof flags['state-dir'] === 'string' ? flags['state-dir'] : DEFAULT_STATE_DIR;
  const server = (env['DATABASE_URL'] ?? '').trim() !== '';
  return openLiveStateStore({ env, cwd, ...(server ? { schema } : { dataDir: stateDir }) });
}
