import type { InputSource } from './input-reader';
import { failureFor, readObject, readText, rejectUnknownKeys } from './input-reader';

/** What creating an experiment takes. */
export interface ExperimentInput {
  /** The strategy under study, as the backtester names it (`sma-crossover`). */
  readonly strategy: string;
  /** What the experiment sets out to show, in a sentence or a paragraph. */
  readonly hypothesis: string;
  /** Who answers for it. */
  readonly owner: string;
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
