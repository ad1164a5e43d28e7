import { ConfigError } from '@quantbot/core';
import fc from 'fast-check';
import {
  MAX_GRID_POINTS,
  describeParameterSpace,
  describePoint,
  gridPoints,
  parseParameterSpace,
  pointAt,
  randomPoints,
  spaceSize,
} from './parameter-space';

describe('parseParameterSpace', () => {
  it('expands inclusive ranges and |-lists, typing booleans and numbers', () => {
    const space = parseParameterSpace('fast=5..30:5,slow=20..100:10,allowShort=true|false');
    expect(space.dimensions.map((d) => d.name)).toEqual(['fast', 'slow', 'allowShort']);
    expect(space.dimensions[0]).toMatchObject({ kind: 'range', from: 5, to: 30, step: 5, values: [5, 10, 15, 20, 25, 30] });
    expect(space.dimensions[1]?.values).toEqual([20, 30, 40, 50, 60, 70, 80, 90, 100]);
    expect(space.dimensions[2]).toEqual({ name: 'allowShort', kind: 'list', values: [true, false] });
    expect(spaceSize(space)).toBe(6 * 9 * 2);
  });

  it('stops a range at the last value on its grid, and defaults the step to 1', () => {
    expect(parseParameterSpace('n=5..30:7').dimensions[0]?.values).toEqual([5, 12, 19, 26]);
    expect(parseParameterSpace('n=1..4').dimensions[0]?.values).toEqual([1, 2, 3, 4]);
    expect(parseParameterSpace('n=-2..2:2').dimensions[0]?.values).toEqual([-2, 0, 2]);
  });

  it('keeps decimal steps exact instead of accumulating binary rounding', () => {
    expect(parseParameterSpace('k=0..1:0.1').dimensions[0]?.values).toEqual([0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1]);
    expect(parseParameterSpace('k=1.5..3:0.25').dimensions[0]?.values).toEqual([1.5, 1.75, 2, 2.25, 2.5, 2.75, 3]);
  });

  it('reads a single value as a list of one, and keeps non-numeric words as strings', () => {
    const space = parseParameterSpace(' fast = 10 , mode=fast|slow ');
    expect(space.dimensions).toEqual([
      { name: 'fast', kind: 'list', values: [10] },
      { name: 'mode', kind: 'list', values: ['fast', 'slow'] },
    ]);
  });

  it.each([
    ['', 'is empty'],
    ['fast', "'fast' is not name=from..to:step"],
    ['=5..10', "'=5..10' is not name=from..to:step"],
    ['fast=', "'fast=' is not name=from..to:step"],
    ['fast=5..30:5,', "'' is not name=from..to:step"],
    ['fast=5..x:5', "'fast=5..x:5': a range is from..to:step"],
    ['fast=5..30:', "'fast=5..30:': a range is from..to:step"],
    ['fast=5..30:0', "'fast=5..30:0': the step must be positive"],
    ['fast=5..30:-5', "'fast=5..30:-5': the step must be positive"],
    ['fast=30..5:5', "'fast=30..5:5': from (30) is above to (5)"],
    ['fast=0..1:0.000001', 'expands to more than 100000 values'],
    ['fast=1|2|1', "'fast=1|2|1' lists 1 more than once"],
    ['fast=1||2', "'fast=1||2' has an empty value"],
    ['fast=1..2,fast=3', "'fast' is given more than once"],
  ])('rejects %j naming the space and the part', (text, message) => {
    const attempt = (): unknown => parseParameterSpace(text);
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(/^space: /);
    expect(attempt).toThrow(message);
  });

  it('names the key it is given', () => {
    expect(() => parseParameterSpace('x', 'grid')).toThrow(/^grid: /);
  });

  it('round-trips through describeParameterSpace', () => {
    const text = 'fast=5..30:5,slow=20..100:10,allowShort=true|false,k=0..1:0.1';
    const space = parseParameterSpace(text);
    expect(describeParameterSpace(space)).toBe(text);
    expect(parseParameterSpace(describeParameterSpace(space))).toEqual(space);
  });
});

describe('gridPoints', () => {
  it('enumerates like nested loops: first dimension slowest, last fastest', () => {
    const points = gridPoints(parseParameterSpace('a=1..2,b=x|y|z'));
    expect(points.map(describePoint)).toEqual(['a=1,b=x', 'a=1,b=y', 'a=1,b=z', 'a=2,b=x', 'a=2,b=y', 'a=2,b=z']);
  });

  it('agrees with pointAt at every index', () => {
    const space = parseParameterSpace('a=1..3,b=true|false,c=0..1:0.5');
    gridPoints(space).forEach((p, i) => expect(p).toEqual(pointAt(space, i)));
    expect(() => pointAt(space, spaceSize(space))).toThrow(RangeError);
  });

  it('refuses grids above MAX_GRID_POINTS', () => {
    const space = parseParameterSpace('a=1..1000,b=1..1000,c=1|2');
    expect(spaceSize(space)).toBeGreaterThan(MAX_GRID_POINTS);
    expect(() => gridPoints(space)).toThrow(/^space: the grid has 2000000 points/);
  });
});

describe('randomPoints', () => {
  const space = parseParameterSpace('fast=5..30:5,slow=20..100:10,allowShort=true|false');

  it('draws distinct grid points, the same for the same seed and different for another', () => {
    const a = randomPoints(space, 20, 7);
    expect(a).toHaveLength(20);
    expect(new Set(a.map(describePoint)).size).toBe(20);
    const grid = new Set(gridPoints(space).map(describePoint));
    for (const p of a) expect(grid.has(describePoint(p))).toBe(true);
    expect(randomPoints(space, 20, 7)).toEqual(a);
    expect(randomPoints(space, 20, 8).map(describePoint)).not.toEqual(a.map(describePoint));
  });

  it('gives every point once, shuffled, when asked for more points than the grid holds', () => {
    const all = randomPoints(space, 1000, 1);
    expect(all).toHaveLength(spaceSize(space));
    expect(new Set(all.map(describePoint))).toEqual(new Set(gridPoints(space).map(describePoint)));
    expect(all.map(describePoint)).not.toEqual(gridPoints(space).map(describePoint));
  });

  it('samples grids too large to list without repeats', () => {
    const huge = parseParameterSpace('a=1..2000,b=1..2000');
    const points = randomPoints(huge, 500, 3);
    expect(new Set(points.map(describePoint)).size).toBe(500);
    expect(randomPoints(huge, 500, 3)).toEqual(points);
  });

  it('is roughly uniform over the grid', () => {
    const small = parseParameterSpace('a=1..4');
    const firsts = new Map<number, number>();
    for (let seed = 0; seed < 4000; seed++) {
      const v = randomPoints(small, 1, seed)[0]?.['a'] as number;
      firsts.set(v, (firsts.get(v) ?? 0) + 1);
    }
    for (const v of [1, 2, 3, 4]) expect(firsts.get(v) ?? 0).toBeGreaterThan(850);
  });

  it.each([0, -1, 2.5, Number.NaN])('rejects a sample count of %p naming the sample count', (count) => {
    expect(() => randomPoints(space, count, 1)).toThrow(/^samples: /);
  });

  it('always returns min(count, size) distinct points (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 50 }), fc.integer(), (n, m, count, seed) => {
        const s = parseParameterSpace(`a=1..${n},b=1..${m}`);
        const points = randomPoints(s, count, seed);
        expect(points).toHaveLength(Math.min(count, n * m));
        expect(new Set(points.map(describePoint)).size).toBe(points.length);
      }),
    );
  });
});
