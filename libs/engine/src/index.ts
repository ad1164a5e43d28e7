export * from './trade-tracker';
export * from './trading-core';
export * from './performance-metrics';
export * from './backtest-runner';
export * from './backtest-report';
export * from './lookahead-check';
export * from './run-recorder';
