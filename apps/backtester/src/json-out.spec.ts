import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { backtesterCli } from '../test/cli-harness';
import { takeJsonOut } from '@quantbot/cli';

describe('takeJsonOut', () => {
  it.each<[string, string[], ReturnType<typeof takeJsonOut>]>([
    ['no flag: the arguments unchanged', ['run', '--size', '10'], { argv: ['run', '--size', '10'], file: undefined }],
    ['a file: taken out, --json added', ['run', '--json-out', 'r.json', '--size', '10'], { argv: ['run', '--size', '10', '--json'], file: 'r.json' }],
    ['the = form, --json already there', ['sweep', '--json', '--json-out=out/s.json'], { argv: ['sweep', '--json'], file: 'out/s.json' }],
    ['no file', ['run', '--json-out'], { error: '--json-out needs a file' }],
    ['a flag where the file should be', ['run', '--json-out', '--json'], { error: '--json-out needs a file' }],
    ['an empty file', ['run', '--json-out='], { error: '--json-out needs a file' }],
    ['twice', ['run', '--json-out', 'a.json', '--json-out=b.json'], { error: '--json-out is given twice' }],
  ])('%s', (_case, argv, expected) => {
    expect(takeJsonOut(argv)).toEqual(expected);
  });
});

describe('backtester --json-out', () => {
  let workDir: string;
  const cli = backtesterCli(() => workDir);
  beforeEach(() => {
    workDir = mkdtempSync(join(tmpdir(), 'qb-json-out-'));
  });
  afterEach(() => {
    rmSync(workDir, { recursive: true, force: true });
  });

  it('writes the --json document of run to the file, prints nothing on stdout, and keeps the exit code', async () => {
    const result = await cli('run', '--params', 'fast=5,slow=20', '--json-out', 'run.json');
    expect(result).toMatchObject({ code: 0, out: '' });
    const document = JSON.parse(readFileSync(join(workDir, 'run.json'), 'utf8')) as Record<string, unknown>;
    expect(Object.keys(document)).toContain('summary');
    // The same document as --json prints on stdout.
    const printed = await cli('run', '--params', 'fast=5,slow=20', '--json');
    // Each run has its own id (the harness's clock moves a second per call); the rest is equal.
    const withoutRunId = (text: string): unknown => JSON.parse(text.replace(/"runId": "[^"]+"/g, '"runId": "-"'));
    expect(withoutRunId(readFileSync(join(workDir, 'run.json'), 'utf8'))).toEqual(withoutRunId(printed.out));
  });

  it('refuses a command without --json, and a missing file name, with exit 2 and no file', async () => {
    expect(await cli('report', '--run-id', 'x', '--json-out', 'report.json')).toMatchObject({ code: 2, err: 'error: --json-out works only with a command that has --json\n' });
    expect(await cli('run', '--json-out')).toMatchObject({ code: 2, err: 'error: --json-out needs a file\n' });
    expect(existsSync(join(workDir, 'report.json'))).toBe(false);
  });

  it('exits 1 when the file cannot be written', async () => {
    const result = await cli('run', '--json-out', join(workDir, 'no-such-folder', 'run.json'));
    expect(result.code).toBe(1);
    expect(result.err).toContain('cannot write --json-out');
  });
});
