/**
 * What a transform or an evaluation noticed about the data and handled by a documented rule
 * (a constant cross-section, a group of one, missing values...). Nothing is dropped silently:
 * every such case is reported as a finding.
 */
export type FactorFindingKind =
  | 'missing-values'
  | 'constant-cross-section'
  | 'too-few-values'
  | 'small-group'
  | 'missing-group'
  | 'constant-regressor'
  | 'collinear-regressor'
  | 'unmatched-dates'
  | 'zero-mean-return'
  | 'undefined-regression'
  | 'no-price'
  | 'no-fundamentals-yet'
  | 'too-few-names-for-quantiles'
  | 'undefined-ic';

/** One finding: the date it concerns (`null` when it is about the whole panel), its kind and a sentence. */
export interface FactorFinding {
  readonly date: string | null;
  readonly kind: FactorFindingKind;
  readonly detail: string;
}

/** Builds a frozen finding. */
export function finding(date: string | null, kind: FactorFindingKind, detail: string): FactorFinding {
  return Object.freeze({ date, kind, detail });
}
