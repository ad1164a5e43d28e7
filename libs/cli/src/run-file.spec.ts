import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BACKTEST_RUN_FLAGS } from './backtest-run-flags';
import type { FlagSpec } from './flags';
import { parseFlags } from './flags';
import { formatRunFile, parseRunFlags, runFileArgv } from './run-file';

const OTHER: readonly FlagSpec[] = [{ name: 'train', kind: 'number', description: 'bars' }];
let dir: string;
const options = () => ({ command: 'backtester run', cwd: dir, pathFlags: ['data', 'audit-log', 'results-dir', 'manager'], otherCommands: [{ name: 'backtester walk-forward', flags: OTHER }] });
const write = (name: string, text: string): string => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};
const parse = (...argv: string[]) => parseRunFlags(argv, BACKTEST_RUN_FLAGS, options());
const errorOf = (...argv: string[]): string => {
  try {
    parse(...argv);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected an error');
};

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'quantbot-run-file-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('parseRunFlags', () => {
  it('without --config gives the command line as given', () => {
    const parsed = parse('--seed', '3', '--json');
    expect(parsed).toEqual({ flags: { seed: 3, json: true }, argv: ['--seed', '3', '--json'], runFile: null, printConfig: false });
  });

  it('reads a JSON run file, objects and lists as their flag text, and records its hash', () => {
    const text = JSON.stringify({ strategy: 'sma-crossover', params: { fast: 5, slow: 20 }, cash: 5000, symbols: ['SYN1', 'SYN2'], 'check-lookahead': true, risk: 'allowShort=false' });
    const path = write('run.json', text);
    const parsed = parse('--config', 'run.json');
    expect(parsed.flags).toEqual({ strategy: 'sma-crossover', params: 'fast=5,slow=20', cash: 5000, symbols: 'SYN1,SYN2', 'check-lookahead': true, risk: 'allowShort=false' });
    expect(parsed.runFile).toEqual({ path, sha256: createHash('sha256').update(text).digest('hex') });
    // The record re-runs without the file: it parses back into the same flags.
    expect(parseFlags(parsed.argv, BACKTEST_RUN_FLAGS)).toEqual(parsed.flags);
  });

  it('reads YAML the same as JSON', () => {
    write('run.yaml', 'strategy: sma-crossover\nparams:\n  fast: 5\n  slow: 20\ncash: 5000\nsymbols: [SYN1, SYN2]\ncheck-lookahead: true\n');
    write('run.json', JSON.stringify({ strategy: 'sma-crossover', params: { fast: 5, slow: 20 }, cash: 5000, symbols: ['SYN1', 'SYN2'], 'check-lookahead': true }));
    expect(parse('--config', 'run.yaml').flags).toEqual(parse('--config', 'run.json').flags);
  });

  it('lets the command line override the file, flag by flag', () => {
    write('run.json', JSON.stringify({ seed: 1, cash: 5000 }));
    const parsed = parse('--config', 'run.json', '--seed', '9', '--print-config');
    expect(parsed.flags).toEqual({ seed: 9, cash: 5000 });
    expect(parsed.printConfig).toBe(true);
    expect(parsed.argv).toEqual(['--cash=5000', '--seed=9']);
  });

  it('resolves relative paths in the file from its folder, written relative to the working folder', () => {
    mkdirSync(join(dir, 'configs'));
    write('configs/run.json', JSON.stringify({ data: '../bars/orcl.csv', 'audit-log': 'audit.jsonl', 'results-dir': '/abs/runs', strategy: 'sma-crossover' }));
    expect(parse('--config', 'configs/run.json').flags).toEqual({ data: join('bars', 'orcl.csv'), 'audit-log': join('configs', 'audit.jsonl'), 'results-dir': '/abs/runs', strategy: 'sma-crossover' });
  });

  it('resolves a flag listed in pathWhen only when its predicate calls the value a path (a strategy file, not a shipped name)', () => {
    mkdirSync(join(dir, 'strategy-configs'));
    const isFile = (value: string): boolean => value.endsWith('.ts');
    write('strategy-configs/file.json', JSON.stringify({ strategy: 'mine/breakout.ts' }));
    write('strategy-configs/name.json', JSON.stringify({ strategy: 'sma-crossover' }));
    const withPredicate = (...argv: string[]) => parseRunFlags(argv, BACKTEST_RUN_FLAGS, { ...options(), pathWhen: { strategy: isFile } });
    expect(withPredicate('--config', 'strategy-configs/file.json').flags).toEqual({ strategy: join('strategy-configs', 'mine', 'breakout.ts') });
    expect(withPredicate('--config', 'strategy-configs/name.json').flags).toEqual({ strategy: 'sma-crossover' });
  });

  it('writes a path outside the working folder as an absolute path', () => {
    const elsewhere = mkdtempSync(join(tmpdir(), 'quantbot-run-file-elsewhere-'));
    try {
      writeFileSync(join(elsewhere, 'run.json'), JSON.stringify({ data: 'bars' }));
      expect(parse('--config', join(elsewhere, 'run.json')).flags).toEqual({ data: join(elsewhere, 'bars') });
    } finally {
      rmSync(elsewhere, { recursive: true, force: true });
    }
  });

  it.each([
    ['an unknown key, with its line', 'run.json', '{\n  "seed": 1,\n  "colour": "red"\n}', /run\.json:3: key 'colour': not a flag of backtester run; known keys: data, /],
    ['an unknown YAML key, with its line', 'run.yaml', 'seed: 1\n\ncolour: red\n', /run\.yaml:3: key 'colour': not a flag of backtester run/],
    ['a wrong type', 'run.json', '{"cash": "lots"}', /run\.json:1: key 'cash': must be a number, got "lots"/],
    ['a wrong boolean', 'run.yaml', 'check-lookahead: 1\n', /run\.yaml:1: key 'check-lookahead': must be true or false, got 1/],
    ['an object for a plain string flag', 'run.json', '{"strategy": {"name": "x"}}', /key 'strategy': must be a string \(name\|file\), got/],
    ['a nested object in a list flag', 'run.json', '{"params": {"fast": {"x": 1}}}', /key 'params': 'fast' must be a string \(without commas\), a number or true\/false/],
    ["another command's key", 'run.json', '{"train": 250}', /key 'train': --train is a flag of backtester walk-forward, not of backtester run/],
    ['a key with dashes', 'run.json', '{"--seed": 1}', /write flag names without the dashes \('seed'\)/],
    ['a run file naming a run file', 'run.json', '{"config": "other.json"}', /key 'config': a run file cannot name another run file/],
    ['help in a file', 'run.json', '{"help": true}', /key 'help': not a flag of backtester run/],
    ['a credential key', 'run.json', '{"api-key": "PK123"}', /key 'api-key': credentials never go into a run file .* from the environment/],
    ['a secret key', 'run.yaml', 'secret: abc\n', /key 'secret': credentials never go into a run file/],
    ['a URL with a password', 'run.json', '{"data": "https://user:pw@example.com/bars"}', /key 'data': a URL with a user or password/],
    ['a list, not an object', 'run.json', '[1, 2]', /run\.json: a run file is an object of flag names/],
    ['bad JSON', 'run.json', '{"seed": 1,', /run\.json: not valid JSON/],
    ['bad YAML', 'run.yaml', 'seed: 1\nseed: 2\n', /run\.yaml:2: not valid YAML/],
  ])('refuses %s, naming the file and key', (_what, name, text, message) => {
    write(name, text);
    expect(errorOf('--config', name)).toMatch(message);
  });

  it('refuses a missing file, naming it', () => {
    expect(errorOf('--config', 'nope.json')).toBe(`--config: ${join(dir, 'nope.json')}: no such file`);
  });
});

describe('formatRunFile', () => {
  it('prints flags then defaults in flag order, lists as objects, and reads back as the same flags', () => {
    const text = formatRunFile({ params: 'fast=5,slow=20,allowShort=true,mode=x', seed: 3, symbols: 'A,B' }, BACKTEST_RUN_FLAGS, { seed: 42, cash: 100000 });
    expect(JSON.parse(text)).toEqual({ symbols: ['A', 'B'], params: { fast: 5, slow: 20, allowShort: true, mode: 'x' }, cash: 100000, seed: 3 });
    expect(Object.keys(JSON.parse(text) as object)).toEqual(['symbols', 'params', 'cash', 'seed']);
    write('printed.json', text);
    expect(parse('--config', 'printed.json').flags).toEqual({ params: 'fast=5,slow=20,allowShort=true,mode=x', seed: 3, symbols: 'A,B', cash: 100000 });
  });
});

describe('runFileArgv', () => {
  it('writes --name=value, bare booleans and =false, in flag order', () => {
    expect(runFileArgv({ report: false, 'check-lookahead': true, params: 'fast=5', data: '--odd' }, BACKTEST_RUN_FLAGS)).toEqual(['--data=--odd', '--params=fast=5', '--check-lookahead', '--report=false']);
  });
});
