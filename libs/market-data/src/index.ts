/**
 * @quantbot/market-data: CSV bar loading (`parseOhlcvCsv`, `loadBarFile`, `loadBarPath`),
 * multi-symbol alignment (`alignUniverse`) and a seeded synthetic generator
 * (`generateSyntheticUniverse`). See the README for formats, symbol inference and the model.
 */
export { MAX_BAR_YEAR, MIN_BAR_YEAR, MS_PER_DAY, describeBarDateProblem, formatBarDate, parseBarDate } from './bar-date';
export type { BarInterval } from './bar-interval';
export { inferBarInterval } from './bar-interval';
export type { OhlcvCsvOptions, OhlcvCsvProblem, OhlcvCsvProblemKind, OhlcvCsvReading } from './ohlcv-csv-parser';
export { BarFileError, parseOhlcvCsv, readOhlcvCsv } from './ohlcv-csv-parser';
export type { BarFileHash, BarPathReading, ReadBarPathOptions } from './bar-file-loader';
export {
  BAR_FILE_EXTENSIONS,
  inferSymbolFromFileName,
  loadBarFile,
  loadBarPath,
  readBarFile,
  readBarPath,
} from './bar-file-loader';
export type { BarAppendPlan } from './bar-append';
export { planBarAppend } from './bar-append';
export type { BarPrices } from './bar-price-adjustment';
export { BAR_PRICES, adjustSeriesPrices } from './bar-price-adjustment';
export type { TimeRange } from './universe';
export { alignUniverse, selectSymbols, seriesFromUniverse, seriesInRange } from './universe';
export type { SyntheticUniverseOptions } from './synthetic-generator';
export {
  SYNTHETIC_DEFAULT_START,
  SYNTHETIC_MODEL,
  deriveSymbolSeed,
  generateSyntheticSeries,
  generateSyntheticUniverse,
  roundToCents,
} from './synthetic-generator';
