import type { InputSource } from './input-reader';
import { failureFor, readChoice, readObject, readOptionalText, readText, rejectUnknownKeys } from './input-reader';
import type { ReviewDecision } from './registry-records';
import { REVIEW_DECISIONS } from './registry-records';

/** A review to record. */
export interface ReviewInput {
  readonly decision: ReviewDecision;
  /** Who reviewed (at most 200 characters). */
  readonly reviewer: string;
  /** Why, especially when changes are requested (at most 5000 characters). */
  readonly comment: string | null;
}

/**
 * Checks a review payload `{ decision: 'approved' | 'changes-requested', reviewer, comment? }`.
 * Throws a `ConfigError` (or `DataError` with `source.file`) naming the field.
 */
export function parseReviewInput(value: unknown, source: InputSource = {}): ReviewInput {
  const fail = failureFor(source);
  const object = readObject(value, '', fail);
  rejectUnknownKeys(object, ['decision', 'reviewer', 'comment'], '', fail);
  return Object.freeze({
    decision: readChoice(object, 'decision', '', fail, REVIEW_DECISIONS),
    reviewer: readText(object, 'reviewer', '', fail),
    comment: readOptionalText(object, 'comment', '', fail, 5000),
  });
}
