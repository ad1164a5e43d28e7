/**
 * @quantbot/market-data: CSV bar loading (`parseOhlcvCsv`, `loadBarFile`, `loadBarPath`),
 * multi-symbol alignment (`alignUniverse`) and a seeded synthetic generator
 * (`generateSyntheticUniverse`). See the README for formats, symbol inference and the model.
 */
export { MS_PER_DAY, describeBarDateProblem, formatBarDate, parseBarDate } from './bar-date';
export type { OhlcvCsvOptions } from './ohlcv-csv-parser';
export { parseOhlcvCsv } from './ohlcv-csv-parser';
export { BAR_FILE_EXTENSIONS, inferSymbolFromFileName, loadBarFile, loadBarPath } from './bar-file-loader';
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
