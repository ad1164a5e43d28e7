import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CliIo } from '@quantbot/cli';
import { main } from './main';

/** Opening the embedded database takes seconds the first time. */
const SLOW = 120_000;

describe('promotion-gate --json-out', () => {
  let cwd: string;
  beforeAll(() => {
    cwd = mkdtempSync(join(tmpdir(), 'qb-gate-json-out-'));
  });
  afterAll(() => {
    rmSync(cwd, { recursive: true, force: true });
  });

  async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
    let out = '';
    let err = '';
    const io: CliIo = { out: (text) => (out += `${text}\n`), err: (text) => (err += `${text}\n`), cwd };
    const code = await main(argv, io, { QUANTBOT_DATA_DIR: join(cwd, 'quantbot'), USER: 'rita' });
    return { code, out, err };
  }

  it(
    'writes the JSON document of an action to the file, with nothing on stdout',
    async () => {
      const created = await run(['create', '--strategy', 'sma-crossover', '--hypothesis', 'trend persists', '--owner', 'rita', '--json-out', 'created.json']);
      expect(created).toMatchObject({ code: 0, out: '' });
      const experiment: unknown = JSON.parse(readFileSync(join(cwd, 'created.json'), 'utf8'));
      expect(JSON.stringify(experiment)).toContain('trend persists');

      const listed = await run(['list', '--json-out', 'list.json']);
      expect(listed).toMatchObject({ code: 0, out: '' });
      const list = JSON.parse(readFileSync(join(cwd, 'list.json'), 'utf8')) as { experiments: unknown[] };
      expect(list.experiments).toHaveLength(1);
    },
    SLOW,
  );

  it('refuses --json-out without a file before opening a database, exit 2', async () => {
    expect(await run(['list', '--json-out'])).toMatchObject({ code: 2, out: '', err: 'error: --json-out needs a file\n' });
  });
});
