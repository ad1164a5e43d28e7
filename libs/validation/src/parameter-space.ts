import { ConfigError, SeededRng } from '@quantbot/core';
import type { ParamSpec } from '@quantbot/strategies';

/** One parameter value of a point: numbers and booleans for today's strategies, strings for enums. */
export type ParamValue = number | boolean | string;

/** One combination of parameter values, by parameter name. */
export type ParamPoint = Readonly<Record<string, ParamValue>>;

/**
 * One axis of a parameter space. A `range` holds `from, from + step, …` up to `to` inclusive
 * (when `to` lies on the grid); a `list` holds the values as given. `values` is the axis,
 * in order, either way.
 */
export type ParameterDimension =
  | {
      readonly name: string;
      readonly kind: 'range';
      readonly from: number;
      readonly to: number;
      readonly step: number;
      readonly values: readonly number[];
    }
  | { readonly name: string; readonly kind: 'list'; readonly values: readonly ParamValue[] };

/** A finite grid of parameter values: the product of its dimensions, in the order given. */
export interface ParameterSpace {
  readonly dimensions: readonly ParameterDimension[];
}

/** Most values one range may expand to: a guard against a mistyped step, not a real limit. */
export const MAX_VALUES_PER_DIMENSION = 100_000;

/** Most points `gridPoints` enumerates; larger spaces are searched with `randomPoints`. */
export const MAX_GRID_POINTS = 1_000_000;

const NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * Parses a parameter space: comma-separated `name=spec`, where a spec is a range
 * `from..to:step` (inclusive; `:step` defaults to 1) or `|`-separated values (`true|false`,
 * `10|20|50`, `a|b`). A single value is a list of one.
 *
 * Bad syntax, a repeated name or value, an empty axis and a step that would expand to more than
 * `MAX_VALUES_PER_DIMENSION` values are `ConfigError`s keyed `key` (default `space`) that quote
 * the offending part.
 *
 * @example parseParameterSpace('fast=5..30:5,slow=20..100:10,allowShort=true|false')
 *   // 6 × 9 × 2 = 108 points
 */
export function parseParameterSpace(text: string, key = 'space'): ParameterSpace {
  if (text.trim() === '') throw new ConfigError(key, 'is empty; expected name=from..to:step or name=a|b|c, comma-separated');
  const dimensions: ParameterDimension[] = [];
  const seen = new Set<string>();
  for (const rawPart of text.split(',')) {
    const part = rawPart.trim();
    const eq = part.indexOf('=');
    const name = eq < 0 ? '' : part.slice(0, eq).trim();
    const spec = eq < 0 ? '' : part.slice(eq + 1).trim();
    if (eq < 0 || !NAME.test(name) || spec === '') {
      throw new ConfigError(key, `'${part}' is not name=from..to:step or name=a|b|c`);
    }
    if (seen.has(name)) throw new ConfigError(key, `'${name}' is given more than once`);
    seen.add(name);
    dimensions.push(spec.includes('..') ? parseRange(key, part, name, spec) : parseList(key, part, name, spec));
  }
  return Object.freeze({ dimensions: Object.freeze(dimensions) });
}

function parseRange(key: string, part: string, name: string, spec: string): ParameterDimension {
  const colon = spec.indexOf(':');
  const bounds = colon < 0 ? spec : spec.slice(0, colon);
  const stepText = colon < 0 ? '1' : spec.slice(colon + 1).trim();
  const dots = bounds.indexOf('..');
  const fromText = bounds.slice(0, dots).trim();
  const toText = bounds.slice(dots + 2).trim();
  if (!NUMBER.test(fromText) || !NUMBER.test(toText) || !NUMBER.test(stepText)) {
    throw new ConfigError(key, `'${part}': a range is from..to:step with numbers, e.g. ${name}=5..30:5`);
  }
  const from = Number(fromText);
  const to = Number(toText);
  const step = Number(stepText);
  if (!Number.isFinite(from) || !Number.isFinite(to) || !Number.isFinite(step)) throw new ConfigError(key, `'${part}': numbers must be finite`);
  if (step <= 0) throw new ConfigError(key, `'${part}': the step must be positive, got ${step}`);
  if (from > to) throw new ConfigError(key, `'${part}': from (${from}) is above to (${to})`);
  // The tolerance absorbs binary rounding of decimal steps (0..1:0.1 must reach 1).
  const span = (to - from) / step;
  if (span + 1 > MAX_VALUES_PER_DIMENSION) {
    throw new ConfigError(key, `'${part}' expands to more than ${MAX_VALUES_PER_DIMENSION} values; is the step right?`);
  }
  const count = Math.floor(span + 1e-9) + 1;
  const decimals = Math.max(decimalPlaces(from), decimalPlaces(step));
  const values: number[] = [];
  for (let i = 0; i < count; i++) values.push(roundTo(from + i * step, decimals));
  return Object.freeze({ name, kind: 'range', from, to, step, values: Object.freeze(values) });
}

function parseList(key: string, part: string, name: string, spec: string): ParameterDimension {
  const values: ParamValue[] = [];
  const seen = new Set<ParamValue>();
  for (const rawItem of spec.split('|')) {
    const item = rawItem.trim();
    if (item === '') throw new ConfigError(key, `'${part}' has an empty value; separate values with |`);
    const value: ParamValue = item === 'true' ? true : item === 'false' ? false : NUMBER.test(item) ? Number(item) : item;
    if (typeof value === 'number' && !Number.isFinite(value)) throw new ConfigError(key, `'${part}': ${item} is not a finite number`);
    if (seen.has(value)) throw new ConfigError(key, `'${part}' lists ${item} more than once`);
    seen.add(value);
    values.push(value);
  }
  return Object.freeze({ name, kind: 'list', values: Object.freeze(values) });
}

/** The fewest decimal places (up to 15) that print `x` exactly. */
function decimalPlaces(x: number): number {
  for (let d = 0; d < 15; d++) if (Number(x.toFixed(d)) === x) return d;
  return 15;
}

function roundTo(x: number, decimals: number): number {
  return Number(x.toFixed(decimals));
}

/** The space written back in the syntax `parseParameterSpace` reads (ranges as ranges). */
export function describeParameterSpace(space: ParameterSpace): string {
  return space.dimensions
    .map((d) => (d.kind === 'range' ? `${d.name}=${d.from}..${d.to}:${d.step}` : `${d.name}=${d.values.map(String).join('|')}`))
    .join(',');
}

/** `fast=10,slow=30`: a point as text, in its key order (for messages and logs). */
export function describePoint(point: ParamPoint): string {
  return Object.entries(point)
    .map(([name, value]) => `${name}=${String(value)}`)
    .join(',');
}

/** The number of points of the space: the product of its axes' lengths. */
export function spaceSize(space: ParameterSpace): number {
  let size = 1;
  for (const d of space.dimensions) size *= d.values.length;
  return size;
}

/**
 * Point `index` of the grid, `0 ≤ index < spaceSize(space)`. The grid is ordered like nested
 * loops over the dimensions in the order given: the first dimension varies slowest, the last
 * fastest. A `RangeError` for an index outside the grid.
 */
export function pointAt(space: ParameterSpace, index: number): ParamPoint {
  const size = spaceSize(space);
  if (!Number.isInteger(index) || index < 0 || index >= size) throw new RangeError(`point index ${index} outside 0..${size - 1}`);
  const point: Record<string, ParamValue> = {};
  let rest = index;
  for (let i = space.dimensions.length - 1; i >= 0; i--) {
    const d = space.dimensions[i] as ParameterDimension;
    const n = d.values.length;
    point[d.name] = d.values[rest % n] as ParamValue;
    rest = Math.floor(rest / n);
  }
  // Key order follows the dimensions, not the loop above.
  const ordered: Record<string, ParamValue> = {};
  for (const d of space.dimensions) ordered[d.name] = point[d.name] as ParamValue;
  return Object.freeze(ordered);
}

/**
 * Every point of the space, in grid order (see `pointAt`): the same space always gives the
 * same list. A `ConfigError` (`space`) above `MAX_GRID_POINTS` points.
 */
export function gridPoints(space: ParameterSpace): readonly ParamPoint[] {
  const size = spaceSize(space);
  if (size > MAX_GRID_POINTS) {
    throw new ConfigError('space', `the grid has ${size} points, more than ${MAX_GRID_POINTS}; use a random search or coarser steps`);
  }
  const points: ParamPoint[] = [];
  for (let i = 0; i < size; i++) points.push(pointAt(space, i));
  return Object.freeze(points);
}

/**
 * `count` distinct points drawn uniformly from the grid without replacement, in draw order,
 * from a `SeededRng(seed)`: the same space, count and seed always give the same points. When
 * `count` is at least the grid's size, every point is returned once, shuffled (drawing more
 * would only repeat trials). A `ConfigError` (`samples`) unless `count` is a positive integer
 * of at most `MAX_GRID_POINTS`.
 */
export function randomPoints(space: ParameterSpace, count: number, seed: number): readonly ParamPoint[] {
  if (!Number.isInteger(count) || count < 1) throw new ConfigError('samples', `must be a positive whole number, got ${count}`);
  const size = spaceSize(space);
  if (!Number.isSafeInteger(size)) throw new ConfigError('space', `the grid has about ${size} points, too many to index; narrow it`);
  const draws = Math.min(count, size);
  if (draws > MAX_GRID_POINTS) throw new ConfigError('samples', `must be at most ${MAX_GRID_POINTS}, got ${count}`);
  const rng = new SeededRng(seed);
  const indices: number[] = [];
  if (size <= MAX_GRID_POINTS) {
    // Partial Fisher–Yates over the grid's indices: exact sampling without replacement.
    const pool = new Uint32Array(size);
    for (let i = 0; i < size; i++) pool[i] = i;
    for (let i = 0; i < draws; i++) {
      const j = i + Math.floor(rng.nextFloat() * (size - i));
      const picked = pool[j] as number;
      pool[j] = pool[i] as number;
      pool[i] = picked;
      indices.push(picked);
    }
  } else {
    // A grid too large to list: draw indices and redraw repeats. With draws ≤ MAX_GRID_POINTS <
    // size, repeats stay a minority of the draws.
    const taken = new Set<number>();
    while (indices.length < draws) {
      const j = Math.floor(rng.nextFloat() * size);
      if (taken.has(j)) continue;
      taken.add(j);
      indices.push(j);
    }
  }
  return Object.freeze(indices.map((i) => pointAt(space, i)));
}

/** Values per numeric axis of {@link defaultParameterSpace}. */
export const DEFAULT_SPACE_VALUES = 5;

/**
 * The space a sweep searches when none is given, from a strategy's parameter specs: for each
 * integer or number parameter, {@link DEFAULT_SPACE_VALUES} evenly spaced values from `min` to
 * `max` inclusive (integers rounded to the nearest whole number, repeats dropped: `min 2, max 4`
 * gives 2, 3, 4); for each boolean, `false` and `true`. A numeric parameter without both `min`
 * and `max` is a `ConfigError` (key `key`, default `space`) naming it: give `space` instead, or
 * declare the range. A strategy without parameters has no space either.
 *
 * @example defaultParameterSpace([{ name: 'lookback', kind: 'integer', default: 20, min: 10, max: 50, description: '' }])
 *   // lookback = 10|20|30|40|50
 */
export function defaultParameterSpace(owner: string, specs: readonly ParamSpec[], key = 'space'): ParameterSpace {
  if (specs.length === 0) throw new ConfigError(key, `${owner} has no parameters to sweep`);
  const dimensions = specs.map((spec): ParameterDimension => {
    if (spec.kind === 'boolean') return Object.freeze({ name: spec.name, kind: 'list', values: Object.freeze([false, true]) });
    const { min, max } = spec;
    if (min === undefined || max === undefined) {
      throw new ConfigError(key, `${owner}.${spec.name} has no range (min and max) to derive a default space from; give the space explicitly or declare min and max`);
    }
    const values: number[] = [];
    for (let i = 0; i < DEFAULT_SPACE_VALUES; i++) {
      const exact = min + ((max - min) * i) / (DEFAULT_SPACE_VALUES - 1);
      const value = i === DEFAULT_SPACE_VALUES - 1 ? max : spec.kind === 'integer' ? Math.round(exact) : exact;
      if (!values.includes(value)) values.push(value);
    }
    return Object.freeze({ name: spec.name, kind: 'list', values: Object.freeze(values) });
  });
  return Object.freeze({ dimensions: Object.freeze(dimensions) });
}
