// Test support of @quantbot/strategies: deliberately biased strategies that prove a lookahead
// check catches what the `BarView` guard cannot. They are not shipped strategies (not in
// `STRATEGY_DEFINITIONS`, never built by a session): a test builds them with what their bias needs.
export * from './full-series-zscore';
export * from './period-end-earnings-momentum';
