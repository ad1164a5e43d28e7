import { ConfigError } from '../errors';

/**
 * Tests that need something a fresh clone may not have (the real market data beside the
 * checkout, a Chromium binary) follow one rule, the same as the Postgres server suites:
 * - present: they run;
 * - absent on a developer's machine: they are reported as skipped, with one printed line saying
 *   what is missing and how to provide it;
 * - absent where it is required (`CI=true`, unless the prerequisite's own flag says otherwise):
 *   they fail, so a CI run can never lose them silently.
 */

/** The environment a decision reads (`process.env` in tests; a plain object in unit tests). */
export type TestEnv = Readonly<Record<string, string | undefined>>;

/** Something a group of tests needs, as found on this machine. */
export interface TestPrerequisite {
  /** What it is, as it reads in a sentence: `real market data`, `Chromium`. */
  readonly name: string;
  /** Why it is missing (`no folder at /x`), or undefined when it is present. */
  readonly missing: string | undefined;
  /** How to provide it: a command to run or a variable to set. */
  readonly howToProvide: string;
  /**
   * An environment variable that overrides the default rule: `true`/`1` requires the
   * prerequisite, `false`/`0` makes it optional, even under `CI=true`. Unset or empty: required
   * exactly when `CI=true`.
   */
  readonly requireFlag?: string;
}

/** What to do with the tests that need a prerequisite. */
export type TestPrerequisiteDecision =
  | { readonly kind: 'run' }
  | { readonly kind: 'skip'; readonly reason: string }
  | { readonly kind: 'fail'; readonly reason: string };

/**
 * Whether a missing prerequisite fails the run: its `requireFlag` when set (true/1, false/0),
 * else `CI=true`. Throws a `ConfigError` (key: the flag) for another flag value.
 */
export function isPrerequisiteRequired(env: TestEnv, requireFlag?: string): boolean {
  const value = requireFlag === undefined ? undefined : env[requireFlag]?.trim();
  if (requireFlag === undefined || value === undefined || value === '') return env['CI'] === 'true';
  if (value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0') return false;
  throw new ConfigError(requireFlag, `${requireFlag}=${value} is not a boolean: use true, 1, false or 0 (or leave it unset)`);
}

/** The rule of this module applied to one prerequisite (see the module comment). */
export function decideTestPrerequisite(prerequisite: TestPrerequisite, env: TestEnv): TestPrerequisiteDecision {
  if (prerequisite.missing === undefined) return { kind: 'run' };
  const required = isPrerequisiteRequired(env, prerequisite.requireFlag);
  const flag = prerequisite.requireFlag;
  if (required) {
    const why = flag !== undefined && env[flag] !== undefined && env[flag]?.trim() !== '' ? `${flag}=${env[flag]?.trim()}` : 'CI=true';
    return { kind: 'fail', reason: `${prerequisite.name} is required (${why}) but ${prerequisite.missing}; ${prerequisite.howToProvide}` };
  }
  return { kind: 'skip', reason: `${prerequisite.name} missing: ${prerequisite.missing}; to run these tests, ${prerequisite.howToProvide}` };
}

/**
 * One plain line on stderr. Not `console.warn`: Jest hides the console output of a file whose
 * tests were all skipped, and this line must show.
 */
function printNotRun(what: string, reason: string): void {
  process.stderr.write(`not run: ${what}: ${reason}\n`);
}

type Body = () => void;
interface JestGlobals {
  readonly describe: (title: string, body: Body) => void;
  readonly it: ((title: string, body: Body) => void) & { readonly skip: (title: string, body: Body) => void };
}

function jestGlobals(): JestGlobals {
  const globals = globalThis as unknown as Partial<JestGlobals>;
  if (typeof globals.describe !== 'function' || typeof globals.it !== 'function') {
    throw new Error('describeWithPrerequisite declares Jest tests: call it from a test file');
  }
  return globals as JestGlobals;
}

/**
 * Declares `describe(title, body)` when the prerequisite is present. When it is missing and
 * optional, the block holds one skipped test whose title gives the reason, which is also printed;
 * when it is missing and required, one failing test that gives the reason. Either way `body` is
 * not called, so it may load what the prerequisite provides while it declares its tests.
 *
 * @example
 * describeWithPrerequisite(realMarketData(), 'loadBarFile on the shared real data', () => {
 *   it('loads orcl-1995-2014.txt', () => { ... });
 * });
 */
export function describeWithPrerequisite(prerequisite: TestPrerequisite, title: string, body: Body, env: TestEnv = process.env): void {
  const { describe, it } = jestGlobals();
  const decision = decideTestPrerequisite(prerequisite, env);
  switch (decision.kind) {
    case 'run':
      describe(title, body);
      return;
    case 'skip':
      // The body is not even declared: it may load what is missing while declaring its tests.
      printNotRun(title, decision.reason);
      describe(title, () => {
        it.skip(`is not run: ${decision.reason}`, () => undefined);
      });
      return;
    case 'fail':
      describe(title, () => {
        it(`needs ${prerequisite.name}`, () => {
          throw new Error(decision.reason);
        });
      });
      return;
  }
}

/** The part of Jest's `it` that {@link itWithPrerequisite} needs (Jest's own `it` is one). */
export interface TestFunction {
  (title: string, fn: () => void, timeoutMs?: number): void;
  readonly skip: TestFunction;
  each(table: readonly unknown[]): (title: string, fn: (...args: never[]) => void, timeoutMs?: number) => void;
}

/**
 * Jest's `it` (pass it in: `itWithPrerequisite(realMarketDataPrerequisite(), it)`), for tests
 * that need the prerequisite, mixed with tests that do not in one block: `it` itself when it is
 * present; `it.skip` when it is missing and optional (the reason is printed once a file); when it is
 * missing and required, an `it` whose tests fail with the reason. `.each` works in all three.
 */
export function itWithPrerequisite<It extends TestFunction>(prerequisite: TestPrerequisite, it: It, env: TestEnv = process.env): It {
  const decision = decideTestPrerequisite(prerequisite, env);
  switch (decision.kind) {
    case 'run':
      return it;
    case 'skip': {
      let isNoted = false;
      const note = (title: string): void => {
        if (!isNoted) printNotRun(`'${title}' and any other test of this file that needs ${prerequisite.name}`, decision.reason);
        isNoted = true;
      };
      const skipping = Object.assign(
        (title: string, fn: () => void, timeoutMs?: number) => {
          note(title);
          it.skip(title, fn, timeoutMs);
        },
        {
          skip: it.skip,
          each: (table: readonly unknown[]) => (title: string, fn: (...args: never[]) => void, timeoutMs?: number) => {
            note(title);
            it.skip.each(table)(title, fn, timeoutMs);
          },
        },
      );
      return skipping as unknown as It;
    }
    case 'fail': {
      const fail = (): never => {
        throw new Error(decision.reason);
      };
      const failing = Object.assign((title: string) => it(title, fail), {
        skip: it.skip,
        each: () => (title: string) => it(title, fail),
      });
      return failing as unknown as It;
    }
  }
}
