import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { ConfigError } from '@quantbot/core';
import { createStrategy } from '@quantbot/strategies';
import { defaultParameterSpace } from './parameter-space';
import { isStrategyFileRef, loadStrategyFile, resolveStrategy } from './strategy-file';

const GOOD = `
export const strategy = {
  name: 'hold-first',
  version: '1.2.0',
  description: 'buys every symbol once',
  params: [
    { name: 'lookback', kind: 'integer', default: 20, min: 10, max: 30, description: '' },
    { name: 'allowShort', kind: 'boolean', default: false, description: '' },
  ],
  create: (values: Readonly<Record<string, number | boolean>>) => ({ name: 'hold-first', lookback: values['lookback'], onBar: () => undefined }),
};
`;

describe('loadStrategyFile', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'quantbot-loader-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, text: string): string => {
    writeFileSync(join(dir, name), text);
    return `./${name}`;
  };
  const failure = (source: string): string => {
    try {
      loadStrategyFile(source, dir);
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).key).toBe('strategy');
      return (error as Error).message;
    }
    throw new Error('expected a ConfigError');
  };

  it('loads a TypeScript file without a build step, with its sha256 and a checked definition', () => {
    const source = write('good.ts', GOOD);
    const loaded = loadStrategyFile(source, dir);
    expect(loaded.definition.name).toBe('hold-first');
    expect(loaded.definition.version).toBe('1.2.0');
    expect(loaded.file).toEqual({ path: join(dir, 'good.ts'), sha256: createHash('sha256').update(GOOD).digest('hex') });
    const built = createStrategy(loaded.definition, { lookback: '25' }, 1);
    expect(built.params).toEqual({ lookback: 25, allowShort: false });
    expect(() => createStrategy(loaded.definition, { lookback: 40 }, 1)).toThrow(/hold-first\.lookback.*above the maximum 30/);
  });

  it('loads a default export from an .mjs file', () => {
    const source = write('plain.mjs', GOOD.replace('export const strategy =', 'export default').replace(/: Readonly<Record<string, number \| boolean>>/, ''));
    expect(loadStrategyFile(source, dir).definition.name).toBe('hold-first');
  });

  it('sees a changed file as a different strategy: another hash, refused where the old hash is expected', () => {
    const source = write('good.ts', GOOD);
    const before = loadStrategyFile(source, dir).file.sha256;
    write('good.ts', GOOD.replace("'1.2.0'", "'1.2.1'"));
    const after = loadStrategyFile(source, dir);
    expect(after.file.sha256).not.toBe(before);
    expect(after.definition.version).toBe('1.2.1');
    expect(() => loadStrategyFile(source, dir, { expectSha256: before })).toThrow(/good\.ts: the strategy file changed since it was first read/);
  });

  it.each([
    ['missing.ts', null, 'missing.ts: cannot read the strategy file (ENOENT)'],
    ['notes.txt', 'x', 'notes.txt: a strategy file must end in .ts'],
    ['none.ts', 'export const other = 1;', 'none.ts: exports no strategy definition'],
    ['throws.ts', "throw new Error('boom');", 'throws.ts: the strategy file failed to load: boom'],
    ['clash.ts', GOOD.replace("name: 'hold-first'", "name: 'sma-crossover'"), "clash.ts: the name 'sma-crossover' is taken by a shipped strategy"],
    ['noversion.ts', GOOD.replace("version: '1.2.0',", ''), "noversion.ts: 'hold-first' needs a version"],
    ['badkind.ts', GOOD.replace("kind: 'integer'", "kind: 'int'"), "badkind.ts: parameter 'lookback' has kind \"int\""],
    ['badrange.ts', GOOD.replace('min: 10, max: 30', 'min: 30, max: 10'), "badrange.ts: parameter 'lookback': min 30 is above max 10"],
    ['outside.ts', GOOD.replace('default: 20', 'default: 40'), "outside.ts: parameter 'lookback': default 40 is outside its range"],
    ['nocreate.ts', GOOD.replace('create:', 'make:'), "nocreate.ts: 'hold-first' needs a create(values, context) function"],
  ])('refuses %s with a message naming the file', (name, text, message) => {
    if (text !== null) write(name, text);
    expect(failure(`./${name}`)).toContain(`./${message}`);
  });

  it('names the file when the factory throws or returns no strategy', () => {
    const throwing = loadStrategyFile(write('factory.ts', GOOD.replace("({ name: 'hold-first', lookback: values['lookback'], onBar: () => undefined })", "{ throw new TypeError('bad wiring'); }")), dir);
    expect(() => createStrategy(throwing.definition, {}, 1)).toThrow("./factory.ts: the create function of 'hold-first' threw: bad wiring");
    const empty = loadStrategyFile(write('empty.ts', GOOD.replace("({ name: 'hold-first', lookback: values['lookback'], onBar: () => undefined })", '({ lookback: values })')), dir);
    expect(() => createStrategy(empty.definition, {}, 1)).toThrow("./empty.ts: the create function of 'hold-first' must return a strategy");
  });

  it('tells file references from shipped names', () => {
    expect(isStrategyFileRef('sma-crossover')).toBe(false);
    expect(isStrategyFileRef('./x.ts')).toBe(true);
    expect(isStrategyFileRef('lib/x')).toBe(true);
    expect(isStrategyFileRef('x.mjs')).toBe(true);
    expect(resolveStrategy('sma-crossover', dir).file).toBeUndefined();
  });
});

describe('defaultParameterSpace', () => {
  it('spaces 5 values evenly over each range, rounds integers, and takes both booleans', () => {
    const space = defaultParameterSpace('s', [
      { name: 'n', kind: 'integer', default: 10, min: 10, max: 30, description: '' },
      { name: 'x', kind: 'number', default: 0.5, min: 0, max: 1, description: '' },
      { name: 'small', kind: 'integer', default: 2, min: 2, max: 4, description: '' },
      { name: 'flag', kind: 'boolean', default: false, description: '' },
    ]);
    // Independently: min + (max − min) × i / 4 for i = 0..4.
    const even = (min: number, max: number): number[] => [0, 1, 2, 3, 4].map((i) => min + ((max - min) * i) / 4);
    expect(space.dimensions.map((d) => [d.name, d.values])).toEqual([
      ['n', even(10, 30).map(Math.round)],
      ['x', even(0, 1)],
      ['small', [2, 3, 4]],
      ['flag', [false, true]],
    ]);
  });

  it('refuses a parameter without a range, naming it', () => {
    expect(() => defaultParameterSpace('sma-crossover', [{ name: 'fast', kind: 'integer', default: 10, min: 1, description: '' }], '--space')).toThrow(
      /sma-crossover\.fast has no range \(min and max\)/,
    );
    expect(() => defaultParameterSpace('s', [])).toThrow('s has no parameters to sweep');
  });
});
