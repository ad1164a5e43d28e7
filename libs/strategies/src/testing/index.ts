// Test support of @quantbot/strategies: deliberately biased strategies that prove a lookahead
// check catches what the `BarView` guard cannot. They are not shipped strategies (not in
// `STRATEGY_DEFINITIONS`, never built by a session): a test builds them with what their bias needs.
export { FullSeriesZScore } from './full-series-zscore';
export { PeriodEndEarningsMomentum, datedByPeriodEnd } from './period-end-earnings-momentum';
export type { PeriodEndFundamentalsSource } from './period-end-earnings-momentum';
