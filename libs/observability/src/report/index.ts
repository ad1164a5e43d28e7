// @quantbot/observability/report: the HTML run report, the factor tear sheet and their charts. Its
// own entry point because the charts are drawn with Vega: nothing that imports the main entry loads it.
export { renderRunReport, REPORT_MAX_TRADE_ROWS, REPORT_MAX_FINDING_ROWS, REPORT_MAX_HEATMAP_YEARS } from './html-report';
export type { RunReportInput, RunReportFinding } from './html-report';
export { REPORT_MAX_PRICE_SYMBOLS, REPORT_TOP_DRAWDOWNS, PRICE_ZOOM_BARS } from './run-report-sections';
export type { RunReportBenchmark, RunReportIndicator, RunReportMarket, RunReportSymbolPrices } from './run-report-sections';
export { annualReturns, barReturns, benchmarkStatistics, drawdownPeriods, exposureSeries, histogram, rollingBeta, rollingSharpe, rollingVolatility, tradeExcursion } from './run-analytics';
export type { AnnualReturn, BenchmarkStatistics, BookFill, DrawdownPeriod, ExposureSeries, HistogramBin, PriceBars, TradeExcursion } from './run-analytics';
export { drawdownSeries, monthlyReturns, chartSampleIndices, REPORT_MAX_CHART_POINTS, ReportRenderError } from './html-report-charts';
export type { MonthlyReturn, ReportChartName } from './html-report-charts';
export { renderFactorTearSheet, TEAR_SHEET_MAX_FINDING_ROWS } from './factor-tear-sheet';
export type { FactorTearSheetInput, FactorTearSheetIc, FactorTearSheetDatedValues, FactorTearSheetFinding } from './factor-tear-sheet';
export { cumulativeSpread, rollingMean, FACTOR_IC_ROLLING_WINDOW } from './factor-tear-sheet-charts';
export type { CumulativeSpreadPoint } from './factor-tear-sheet-charts';
export { renderSweepReport, sweepParameters, sweepHeatmapViews, objectiveGrid, trialHistogram, SWEEP_REPORT_MAX_TRIAL_ROWS, SWEEP_REPORT_MAX_HEATMAPS, SWEEP_REPORT_MAX_INVALID_ROWS, SWEEP_REPORT_MAX_HISTOGRAM_BINS } from './sweep-report';
export type { SweepReportInput, SweepReportTrial, SweepParameter, SweepHeatmapView, ObjectiveGridCell } from './sweep-report';
export { renderWalkForwardReport, foldOfCurvePoints, overfitRatioText, chosenParamPoints } from './walk-forward-report';
export type { WalkForwardReportInput, WalkForwardReportFold, WalkForwardReportOverall } from './walk-forward-report';
export type { ReportMetrics, ReportParamValue, ReportSelectionStatistics, ReportOptionalStatistic } from './validation-report-page';
