import type { InputSource } from './input-reader';
import { failureFor, readObject, readText, rejectUnknownKeys } from './input-reader';

/**
 * The strategy file an experiment studies: where it was read, the sha256 (hex) of its bytes when
 * the experiment was created, and its definition's `version`. The experiment's `strategy` is the
 * definition's `name`. A file whose bytes hash otherwise is a different strategy: snapshots and
 * evidence of the experiment are refused for it.
 */
export interface StrategyFileRef {
  /** The absolute path the file was read from. */
  readonly path: string;
  /** Hex SHA-256 of the file's bytes. */
  readonly sha256: string;
  /** The definition's `version`. */
  readonly version: string;
}

/** What creating an experiment takes. */
export interface ExperimentInput {
  /** The strategy under study, as the backtester names it (`sma-crossover`), or a strategy file's definition name. */
  readonly strategy: string;
  /** What the experiment sets out to show, in a sentence or a paragraph. */
  readonly hypothesis: string;
  /** Who answers for it. */
  readonly owner: string;
  /** The strategy file under study, when the strategy is one (set by the program that read the file, never from a payload). */
  readonly strategyFile?: StrategyFileRef;
}

/** Longest hypothesis kept, in characters. */
export const MAX_HYPOTHESIS_LENGTH = 5000;

/**
 * Checks an experiment payload: `{ strategy, hypothesis, owner }`, non-empty strings (trimmed;
 * strategy and owner at most 200 characters, the hypothesis at most 5000). Unknown fields are
 * refused. Throws a `ConfigError` (or a `DataError` naming `source.file`) naming the field.
 */
export function parseExperimentInput(value: unknown, source: InputSource = {}): ExperimentInput {
  const fail = failureFor(source);
  const object = readObject(value, '', fail);
  rejectUnknownKeys(object, ['strategy', 'hypothesis', 'owner'], '', fail);
  return Object.freeze({
    strategy: readText(object, 'strategy', '', fail),
    hypothesis: readText(object, 'hypothesis', '', fail, MAX_HYPOTHESIS_LENGTH),
    owner: readText(object, 'owner', '', fail),
  });
}
