import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { JsonValue } from '@quantbot/core';
import { canonicalJson, ConfigError, DataError } from '@quantbot/core';
import type { RunArtifact, RunManifestInput } from './run-artifacts';
import {
  computeManifestDigest,
  computeRunDigest,
  equityCsv,
  equityCsvChunks,
  fileSetHash,
  gitCommit,
  hashDirectoryFiles,
  hashFiles,
  RunExistsError,
  sha256Hex,
  toJsonLines,
  writeRunArtifacts,
} from './run-artifacts';

const MANIFEST: RunManifestInput = {
  startedAt: '2024-01-02T03:04:05.000Z',
  finishedAt: '2024-01-02T03:04:09.500Z',
  codeVersion: 'a'.repeat(40),
  commandLine: ['backtest', '--symbol', 'ORCL'],
  parameters: { strategy: 'sma', fast: 10, slow: 30 },
  seed: 42,
  dataHash: null,
};

const ARTIFACTS: readonly RunArtifact[] = [
  { name: 'trades.jsonl', content: '{"pnl":1}\n', deterministic: true },
  { name: 'equity.csv', content: 'time,equity\n1970-01-01T00:00:00.000Z,100\n', deterministic: true },
  { name: 'run.log', content: 'started at 12:00 wall clock\n', deterministic: false },
  { name: 'blob.bin', content: new Uint8Array([0, 1, 2, 255]), deterministic: true },
];

function sha256(text: string | Uint8Array): string {
  return createHash('sha256').update(text).digest('hex');
}

function expectConfigError(action: () => unknown, key: string): void {
  let caught: unknown;
  try {
    action();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(ConfigError);
  expect((caught as ConfigError).key).toBe(key);
}

describe('writeRunArtifacts', () => {
  let root: string;

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'quantbot-runs-'));
  });

  afterEach(() => {
    rmSync(root, { recursive: true, force: true });
  });

  it('writes every artifact and the manifest into <root>/<runId>, leaving no partial folder', () => {
    const runsRoot = join(root, 'results', 'runs');
    const manifest = writeRunArtifacts({ root: runsRoot, runId: 'run-1', artifacts: ARTIFACTS, manifest: MANIFEST });
    expect(readdirSync(runsRoot)).toEqual(['run-1']);
    expect(readdirSync(join(runsRoot, 'run-1')).sort()).toEqual(['blob.bin', 'equity.csv', 'manifest.json', 'run.log', 'trades.jsonl']);
    expect(readFileSync(join(runsRoot, 'run-1', 'trades.jsonl'), 'utf8')).toBe('{"pnl":1}\n');
    expect([...readFileSync(join(runsRoot, 'run-1', 'blob.bin'))]).toEqual([0, 1, 2, 255]);
    const onDisk = JSON.parse(readFileSync(join(runsRoot, 'run-1', 'manifest.json'), 'utf8')) as unknown;
    expect(onDisk).toEqual(manifest);
  });

  it('records schema version, caller fields, hashes and sizes in the manifest', () => {
    const manifest = writeRunArtifacts({ root, runId: 'run-1', artifacts: ARTIFACTS, manifest: MANIFEST });
    expect(manifest).toEqual(
      expect.objectContaining({ schemaVersion: 2, runId: 'run-1', dataFiles: null, audit: null, ...MANIFEST, commandLine: ['backtest', '--symbol', 'ORCL'] }),
    );
    expect(Object.keys(manifest.artifacts)).toEqual(['blob.bin', 'equity.csv', 'run.log', 'trades.jsonl']);
    expect(manifest.artifacts['trades.jsonl']).toEqual({ sha256: sha256('{"pnl":1}\n'), bytes: 10, deterministic: true });
    expect(manifest.artifacts['blob.bin']).toEqual({ sha256: sha256(new Uint8Array([0, 1, 2, 255])), bytes: 4, deterministic: true });
    expect(manifest.artifacts['run.log']?.deterministic).toBe(false);
    expect(Object.isFrozen(manifest)).toBe(true);
  });

  it('computes the schema-1 artifact digest over the sorted deterministic artifacts only', () => {
    const manifest = writeRunArtifacts({ root, runId: 'run-1', artifacts: ARTIFACTS, manifest: MANIFEST });
    const expected = sha256(
      [
        `blob.bin\t${sha256(new Uint8Array([0, 1, 2, 255]))}\n`,
        `equity.csv\t${sha256('time,equity\n1970-01-01T00:00:00.000Z,100\n')}\n`,
        `trades.jsonl\t${sha256('{"pnl":1}\n')}\n`,
      ].join(''),
    );
    expect(computeRunDigest(manifest.artifacts)).toBe(expected);
    expect(computeManifestDigest({ ...manifest, schemaVersion: 1 })).toBe(expected);
  });

  it('computes the schema-2 digest over the whole defining manifest, not only the artifacts', () => {
    const manifest = writeRunArtifacts({ root, runId: 'run-1', artifacts: ARTIFACTS, manifest: MANIFEST });
    const { digest, ...body } = manifest;
    const deterministic = { 'blob.bin': sha256(new Uint8Array([0, 1, 2, 255])), 'equity.csv': sha256('time,equity\n1970-01-01T00:00:00.000Z,100\n'), 'trades.jsonl': sha256('{"pnl":1}\n') };
    const defining = { schemaVersion: 2, commandLine: body.commandLine, parameters: body.parameters, seed: body.seed, dataHash: body.dataHash, dataFiles: null, audit: null, artifacts: deterministic };
    expect(digest).toBe(sha256(canonicalJson(defining as unknown as JsonValue)));
    expect(computeManifestDigest(body)).toBe(digest);
    // Identity, wall-clock times and code version are left out: a faithful re-run differs in them.
    expect(computeManifestDigest({ ...body, runId: 'other', startedAt: '2030-01-01T00:00:00.000Z', codeVersion: null })).toBe(digest);
    // Everything that defines the run is in.
    expect(computeManifestDigest({ ...body, parameters: { strategy: 'sma', params: { fast: 11 } } })).not.toBe(digest);
    expect(computeManifestDigest({ ...body, commandLine: ['backtest', '--symbol', 'MSFT'] })).not.toBe(digest);
    expect(computeManifestDigest({ ...body, dataHash: 'f'.repeat(64) })).not.toBe(digest);
    expect(computeManifestDigest({ ...body, seed: 43 })).not.toBe(digest);
    const audit = { file: '/a.jsonl', from: { records: 0, hash: '0'.repeat(64) }, head: { records: 3, hash: 'a'.repeat(64) } };
    expect(computeManifestDigest({ ...body, audit })).not.toBe(computeManifestDigest({ ...body, audit: { ...audit, head: { records: 2, hash: 'a'.repeat(64) } } }));
  });

  it('gives equal digests for equal results whatever the non-deterministic files and the artifact order', () => {
    const first = writeRunArtifacts({ root, runId: 'a', artifacts: ARTIFACTS, manifest: MANIFEST });
    const reordered = [...ARTIFACTS].reverse().map((artifact) => (artifact.name === 'run.log' ? { ...artifact, content: 'other wall clock\n' } : artifact));
    const second = writeRunArtifacts({ root, runId: 'b', artifacts: reordered, manifest: { ...MANIFEST, finishedAt: '2024-02-01T00:00:00.000Z' } });
    expect(second.digest).toBe(first.digest);
    const changed = ARTIFACTS.map((artifact) => (artifact.name === 'trades.jsonl' ? { ...artifact, content: '{"pnl":2}\n' } : artifact));
    expect(writeRunArtifacts({ root, runId: 'c', artifacts: changed, manifest: MANIFEST }).digest).not.toBe(first.digest);
  });

  it('refuses to overwrite an existing run with a RunExistsError', () => {
    writeRunArtifacts({ root, runId: 'run-1', artifacts: ARTIFACTS, manifest: MANIFEST });
    expect(() => writeRunArtifacts({ root, runId: 'run-1', artifacts: [], manifest: MANIFEST })).toThrow(RunExistsError);
    expect(() => writeRunArtifacts({ root, runId: 'run-1', artifacts: [], manifest: MANIFEST })).toThrow(/run 'run-1' already exists/);
    expect(readFileSync(join(root, 'run-1', 'trades.jsonl'), 'utf8')).toBe('{"pnl":1}\n');
  });

  it('wraps a filesystem failure in RUN_WRITE_FAILED naming the root, leaving no run behind', () => {
    const fileAsRoot = join(root, 'plain-file');
    writeFileSync(fileAsRoot, 'x');
    expect(() => writeRunArtifacts({ root: fileAsRoot, runId: 'run-1', artifacts: ARTIFACTS, manifest: MANIFEST })).toThrow(
      expect.objectContaining({ code: 'RUN_WRITE_FAILED', message: expect.stringContaining(fileAsRoot) }),
    );
    expect(readdirSync(root)).toEqual(['plain-file']);
  });

  it('replaces a stale partial folder left by a crash of the same process id', () => {
    const stale = join(root, `.partial-run-1-${process.pid}`);
    mkdirSync(stale);
    writeFileSync(join(stale, 'trades.jsonl'), 'half a');
    writeRunArtifacts({ root, runId: 'run-1', artifacts: ARTIFACTS, manifest: MANIFEST });
    expect(readdirSync(root)).toEqual(['run-1']);
  });

  it.each(['../escape', '.hidden', 'a/b', '', 'sp ace', 'x'.repeat(201)])('refuses the run id %j with a ConfigError naming runId', (runId) => {
    expectConfigError(() => writeRunArtifacts({ root, runId, artifacts: [], manifest: MANIFEST }), 'runId');
    expect(readdirSync(root)).toEqual([]);
  });

  it.each([
    [[{ name: '../x', content: '', deterministic: true }], 'artifacts[0].name'],
    [[{ name: 'manifest.json', content: '', deterministic: true }], 'artifacts[0].name'],
    [
      [
        { name: 'a.csv', content: '', deterministic: true },
        { name: 'a.csv', content: '', deterministic: false },
      ],
      'artifacts[1].name',
    ],
  ])('refuses bad artifact names (%j) with a ConfigError naming %s', (artifacts, key) => {
    expectConfigError(() => writeRunArtifacts({ root, runId: 'run-1', artifacts, manifest: MANIFEST }), key);
  });

  it('refuses a manifest time that is not ISO 8601', () => {
    expectConfigError(() => writeRunArtifacts({ root, runId: 'r', artifacts: [], manifest: { ...MANIFEST, startedAt: 'yesterday' } }), 'manifest.startedAt');
  });
});

describe('sha256Hex', () => {
  it('hashes text as UTF-8 and bytes as they are', () => {
    expect(sha256Hex('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(sha256Hex('é')).toBe(sha256Hex(new Uint8Array([0xc3, 0xa9])));
  });
});

describe('toJsonLines', () => {
  it('writes one JSON value per line with a final newline, and nothing for no records', () => {
    expect(toJsonLines([{ a: 1 }, [2], 'x'])).toBe('{"a":1}\n[2]\n"x"\n');
    expect(toJsonLines([])).toBe('');
  });

  it('refuses a record JSON cannot hold with a DataError naming it', () => {
    expect(() => toJsonLines([{ ok: 1 }, undefined])).toThrow(DataError);
    expect(() => toJsonLines([{ ok: 1 }, undefined])).toThrow(/records\[1\]/);
    expect(() => toJsonLines([{ big: 1n }])).toThrow(/records\[0\]/);
  });
});

describe('equityCsv', () => {
  it('writes ISO times and equity values that parse back to the same numbers', () => {
    const equity = [100_000, 100_000.1 + 0.2, 1 / 3, -5e-7];
    const text = equityCsv({ time: Float64Array.from([0, 86_400_000, 172_800_000, 259_200_000]), equity });
    const lines = text.split('\n');
    expect(lines[0]).toBe('time,equity');
    expect(lines[1]).toBe('1970-01-01T00:00:00.000Z,100000');
    expect(lines[2]?.startsWith('1970-01-02T00:00:00.000Z,')).toBe(true);
    expect(text.endsWith('\n')).toBe(true);
    expect(lines.slice(1, 5).map((line) => Number(line.split(',')[1]))).toEqual(equity);
  });

  it('writes only the header for an empty curve', () => {
    expect(equityCsv({ time: [], equity: [] })).toBe('time,equity\n');
  });

  it('equals the plain line-by-line text on curves longer than a chunk, repeated values and NaN included', () => {
    const n = 10_000;
    const time = Array.from({ length: n }, (_, i) => Date.UTC(1999, 11, 31) + i * 3_600_000);
    const equity = Array.from({ length: n }, (_, i) => (i === 0 ? Number.NaN : i % 7 < 3 ? 100_000 : 100_000 + i / 3));
    const plain = `time,equity\n${time.map((t, i) => `${new Date(t).toISOString()},${String(equity[i])}\n`).join('')}`;
    expect(equityCsv({ time, equity })).toBe(plain);
    expect([...equityCsvChunks({ time, equity })].length).toBeGreaterThan(1);
  });

  it('refuses columns of different lengths and invalid times', () => {
    expect(() => equityCsv({ time: [0, 1], equity: [1] })).toThrow(DataError);
    expect(() => equityCsv({ time: [Number.NaN], equity: [1] })).toThrow(/time\[0\]/);
  });
});

describe('gitCommit', () => {
  let dir: string;
  const commit = '0123456789abcdef0123456789abcdef01234567';
  const other = 'fedcba9876543210fedcba9876543210fedcba98';

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'quantbot-git-'));
  });

  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('returns null outside a git checkout', () => {
    expect(gitCommit(dir)).toBeNull();
  });

  it('follows HEAD to a loose branch ref, from a subfolder', () => {
    mkdirSync(join(dir, '.git', 'refs', 'heads'), { recursive: true });
    writeFileSync(join(dir, '.git', 'HEAD'), 'ref: refs/heads/main\n');
    writeFileSync(join(dir, '.git', 'refs', 'heads', 'main'), `${commit}\n`);
    mkdirSync(join(dir, 'apps', 'backtester'), { recursive: true });
    expect(gitCommit(join(dir, 'apps', 'backtester'))).toBe(commit);
  });

  it('reads a branch from packed-refs', () => {
    mkdirSync(join(dir, '.git'), { recursive: true });
    writeFileSync(join(dir, '.git', 'HEAD'), 'ref: refs/heads/feature/x\n');
    writeFileSync(join(dir, '.git', 'packed-refs'), `# pack-refs with: peeled fully-peeled sorted\n${other} refs/heads/main\n${commit} refs/heads/feature/x\n^${other}\n`);
    expect(gitCommit(dir)).toBe(commit);
  });

  it('returns a detached HEAD as it is', () => {
    mkdirSync(join(dir, '.git'), { recursive: true });
    writeFileSync(join(dir, '.git', 'HEAD'), `${commit}\n`);
    expect(gitCommit(dir)).toBe(commit);
  });

  it('follows a .git file to a worktree folder and its common folder', () => {
    const main = join(dir, 'main', '.git');
    mkdirSync(join(main, 'worktrees', 'wt'), { recursive: true });
    mkdirSync(join(main, 'refs', 'heads'), { recursive: true });
    writeFileSync(join(main, 'refs', 'heads', 'topic'), `${commit}\n`);
    writeFileSync(join(main, 'worktrees', 'wt', 'HEAD'), 'ref: refs/heads/topic\n');
    writeFileSync(join(main, 'worktrees', 'wt', 'commondir'), '../..\n');
    mkdirSync(join(dir, 'wt'));
    writeFileSync(join(dir, 'wt', '.git'), `gitdir: ${join(main, 'worktrees', 'wt')}\n`);
    expect(gitCommit(join(dir, 'wt'))).toBe(commit);
  });

  it('returns null for a branch with no commit yet', () => {
    mkdirSync(join(dir, '.git'), { recursive: true });
    writeFileSync(join(dir, '.git', 'HEAD'), 'ref: refs/heads/main\n');
    expect(gitCommit(dir)).toBeNull();
  });
});

describe('hashFiles and hashDirectoryFiles', () => {
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'quantbot-hash-'));
    mkdirSync(join(dir, 'data', 'daily'), { recursive: true });
    writeFileSync(join(dir, 'data', 'daily', 'ORCL.csv'), 'date,close\n2024-01-02,101.5\n');
    writeFileSync(join(dir, 'data', 'daily', 'SPY.csv'), 'date,close\n2024-01-02,470.1\n');
    writeFileSync(join(dir, 'data', 'daily', '.DS_Store'), 'junk');
  });

  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('hashes sorted relative names with content hashes', () => {
    const orcl = join(dir, 'data', 'daily', 'ORCL.csv');
    const spy = join(dir, 'data', 'daily', 'SPY.csv');
    const result = hashFiles([spy, orcl]);
    expect(result.files.map((file) => file.name)).toEqual(['ORCL.csv', 'SPY.csv']);
    const expected = sha256(`ORCL.csv\t${sha256(readFileSync(orcl))}\nSPY.csv\t${sha256(readFileSync(spy))}\n`);
    expect(result.sha256).toBe(expected);
    expect(result.files[0]?.bytes).toBe(readFileSync(orcl).length);
  });

  it('fileSetHash of files hashed elsewhere equals hashFiles of them', () => {
    const orcl = join(dir, 'data', 'daily', 'ORCL.csv');
    const spy = join(dir, 'data', 'daily', 'SPY.csv');
    const known = [spy, orcl].map((file) => ({ name: file.endsWith('SPY.csv') ? 'SPY.csv' : 'ORCL.csv', sha256: sha256(readFileSync(file)), bytes: readFileSync(file).length }));
    expect(fileSetHash(known)).toEqual(hashFiles([spy, orcl]));
    expect(fileSetHash([{ ...(known[0] as (typeof known)[number]), sha256: sha256('other') }]).sha256).not.toBe(hashFiles([spy]).sha256);
  });

  it('does not depend on where the data folder lives, but on names and contents', () => {
    const copy = join(dir, 'elsewhere');
    mkdirSync(copy);
    for (const name of ['ORCL.csv', 'SPY.csv']) writeFileSync(join(copy, name), readFileSync(join(dir, 'data', 'daily', name)));
    const original = hashFiles([join(dir, 'data', 'daily', 'ORCL.csv'), join(dir, 'data', 'daily', 'SPY.csv')]).sha256;
    expect(hashFiles([join(copy, 'ORCL.csv'), join(copy, 'SPY.csv')]).sha256).toBe(original);
    writeFileSync(join(copy, 'SPY.csv'), 'date,close\n2024-01-02,470.2\n');
    expect(hashFiles([join(copy, 'ORCL.csv'), join(copy, 'SPY.csv')]).sha256).not.toBe(original);
  });

  it('names files relative to baseDir when given', () => {
    const result = hashFiles([join(dir, 'data', 'daily', 'ORCL.csv')], { baseDir: dir });
    expect(result.files.map((file) => file.name)).toEqual(['data/daily/ORCL.csv']);
  });

  it('refuses a missing file with a DataError naming the path', () => {
    const missing = join(dir, 'data', 'daily', 'MSFT.csv');
    expect(() => hashFiles([missing])).toThrow(DataError);
    expect(() => hashFiles([missing])).toThrow(missing);
  });

  it('hashes a folder recursively, skipping hidden files, like hashFiles', () => {
    mkdirSync(join(dir, 'data', 'daily', 'sub'));
    writeFileSync(join(dir, 'data', 'daily', 'sub', 'IBM.csv'), 'date,close\n');
    symlinkSync(join(dir, 'data', 'daily'), join(dir, 'data', 'daily', 'sub', 'loop'));
    const result = hashDirectoryFiles(join(dir, 'data', 'daily'));
    expect(result.files.map((file) => file.name)).toEqual(['ORCL.csv', 'SPY.csv', 'sub/IBM.csv']);
    const paths = ['ORCL.csv', 'SPY.csv', 'sub/IBM.csv'].map((name) => join(dir, 'data', 'daily', name));
    expect(hashFiles(paths).sha256).toBe(result.sha256);
  });

  it('filters folder files by relative name', () => {
    const result = hashDirectoryFiles(join(dir, 'data'), { include: (name) => name.endsWith('SPY.csv') });
    expect(result.files.map((file) => file.name)).toEqual(['daily/SPY.csv']);
  });

  it('refuses a missing folder with a DataError naming it', () => {
    expect(() => hashDirectoryFiles(join(dir, 'nope'))).toThrow(join(dir, 'nope'));
  });
});
