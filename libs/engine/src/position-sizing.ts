// Position sizing lives in @quantbot/risk-guardrails (its position-sizing module). The engine's
// modules that still import it from here get the same functions and types.
export { sizeFor, validateSizingRule } from '@quantbot/risk-guardrails';
export type { SizingInput, SizingRule } from '@quantbot/risk-guardrails';
