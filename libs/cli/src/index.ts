export { formatFlagHelp, parseFlags } from './flags';
export type { FlagSpec, FlagValues } from './flags';
export type { CliIo } from './cli-io';
export { flagForField, withFlagNames } from './field-flags';
export type { FieldFlags } from './field-flags';
export { BACKTEST_RUN_FIELD_FLAGS, BACKTEST_RUN_FLAGS, backtestRunConfig, backtestRunHelp, readBacktestCommandLine } from './backtest-run-flags';
export { JSON_OUT_FLAG, runWithJsonOut, takeJsonOut } from './json-out';
export type { JsonOutArgs } from './json-out';
export { describeDataQuality } from './data-quality-summary';
