import { existsSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import type { JsonValue } from '@quantbot/core';
import { formatIsoTime, orderEventRecordJson } from '@quantbot/core';
import type { BacktestReport, BacktestResult, RunRecorder, SleeveEquityCurves } from '@quantbot/engine';
import type { BarFileHash } from '@quantbot/market-data';
import type { StrategyNotice } from '@quantbot/strategies';
import type { FileSetHash, PreparedArtifact, RunArtifact, RunArtifactContent, RunAuditAnchor, RunData, RunManifest, TradeRecord } from '@quantbot/observability';
import { RUN_ARTIFACT_FILES, equityCsvChunks, fileSetHash, gitCommit, hashDirectoryFiles, hashFiles, jsonLinesChunks, toJsonLines, writeRunArtifactsStreaming } from '@quantbot/observability';
import type { RunReportInput } from '@quantbot/observability/report';

/** The report a run folder may hold besides its recorded artifacts. */
export const REPORT_FILE = 'report.html';

/**
 * The strategy's notices, one JSON line each (`time`, `strategy`, `code`, `message`): written, and
 * covered by the digest, only when the strategy raised any, so a run recorded before notices
 * existed re-runs to the same digest.
 */
export const NOTICES_FILE = 'notices.jsonl';

/** A manager run's extra artifact: each sleeve's equity at every step's close. */
export const SLEEVE_EQUITY_FILE = 'sleeve_equity.csv';

/**
 * Sleeve equity curves as CSV: `time,<sleeve>,<sleeve>,...`, one row per step, times in ISO 8601
 * and equity as JavaScript prints it (read back bit for bit).
 */
export function sleeveEquityCsv(curves: SleeveEquityCurves): string {
  const lines = [['time', ...curves.sleeves.map((s) => s.name)].join(',')];
  for (let k = 0; k < curves.time.length; k++) {
    lines.push([formatIsoTime(curves.time[k] as number), ...curves.sleeves.map((s) => String(s.equity[k]))].join(','));
  }
  return `${lines.join('\n')}\n`;
}

/** What a finished backtest leaves in `results/runs/<run_id>/`. */
export interface BacktestRunRecord {
  readonly root: string;
  readonly runId: string;
  /** The run's JSON document (summary.json holds it without the run id). */
  readonly document: BacktestReport & { readonly lookahead?: unknown };
  readonly result: BacktestResult;
  readonly recorder: RunRecorder;
  readonly startedAt: Date;
  readonly finishedAt: Date;
  readonly cwd: string;
  /** The command line to record, such as `['backtester', 'run', '--data', 'orcl.csv']`. */
  readonly commandLine: readonly string[];
  readonly parameters: JsonValue;
  readonly seed: number;
  /** The data file or folder; undefined for synthetic data (its seed and size define it). */
  readonly dataPath: string | undefined;
  /**
   * The bar files as hashed while they were read (`readBarPath` with `hash`): when `dataPath` is
   * one of them (a single file), its hash is taken from here instead of reading the file again.
   */
  readonly dataHashes?: readonly BarFileHash[];
  /** The audit log's anchor (its head before and after the run), or null without an audit log. */
  readonly audit: RunAuditAnchor | null;
  /** Render `report.html` into the folder too. */
  readonly withReport: boolean;
  /** The prices, fills and indicators the report draws (see `marketFromUniverse`); without them its price-based charts say so. */
  readonly market?: RunReportInput['market'];
  /** The strategy's notices, in the order raised (`notices.jsonl` when any). */
  readonly notices?: readonly StrategyNotice[];
  /**
   * The journals as the recorder handed them over during the run (a `RunRecorder` with a sink
   * feeding an `ArtifactCompressor`): written as they are instead of from `recorder`'s records.
   */
  readonly journal?: { readonly decisions: PreparedArtifact; readonly orders: PreparedArtifact };
  /** `equity.csv` made off this thread (`ArtifactCompressor.equityCsv` of `result`), written as it is. */
  readonly equity?: PreparedArtifact;
  /** More deterministic artifacts (a manager run's `sleeve_equity.csv`), listed in the manifest and its digest. */
  readonly extraArtifacts?: readonly { readonly name: string; readonly content: string }[];
  /**
   * `document` as `JSON.stringify(document, null, 2)` prints it, when the caller made it (to print
   * it): `summary.json` is then cut from this text (the same less the summary's run id) instead of
   * serializing the document a second time.
   */
  readonly documentJson?: string;
}

/**
 * Picks a run id that names no folder yet: `<UTC time>-<config hash>`, with `-2`, `-3`, … when
 * the same configuration ran in the same second.
 */
export function uniqueRunId(root: string, base: string): string {
  if (!existsSync(join(root, base))) return base;
  for (let n = 2; ; n++) {
    const id = `${base}-${n}`;
    if (!existsSync(join(root, id))) return id;
  }
}

/**
 * Writes the run folder atomically (see `writeRunArtifacts`): summary, decisions, orders,
 * trades, equity and the manifest, plus `report.html` when asked. Every artifact but
 * `summary.json` is compressible: stored as `<name>.gz` from 1 MiB up (`readRun` reads both). Everything but the report is
 * deterministic and enters the digest; `summary.json` leaves the run id out (the manifest has it)
 * so that the same inputs and seed give the same digest.
 */
export async function writeBacktestRun(record: BacktestRunRecord): Promise<RunManifest> {
  const { document, result, recorder } = record;
  const { documentJson } = record;
  const artifacts: RunArtifact[] = [
    // Each made in pieces as it is written and compressed (see writeRunArtifactsStreaming): a
    // long run never holds a whole file's text.
    { name: RUN_ARTIFACT_FILES.summary, content: () => summaryFileContent(document, documentJson), deterministic: true },
    { name: RUN_ARTIFACT_FILES.decisions, content: record.journal?.decisions ?? ((): RunArtifactContent => jsonLinesChunks(recorder.decisions)), deterministic: true, compressible: true },
    { name: RUN_ARTIFACT_FILES.orders, content: record.journal?.orders ?? ((): RunArtifactContent => jsonLinesChunks(recorder.orders, orderEventRecordJson)), deterministic: true, compressible: true },
    { name: RUN_ARTIFACT_FILES.trades, content: () => jsonLinesChunks(document.trades), deterministic: true, compressible: true },
    { name: RUN_ARTIFACT_FILES.equity, content: record.equity ?? ((): RunArtifactContent => equityCsvChunks({ time: result.time, equity: result.equity })), deterministic: true, compressible: true },
  ];
  const notices = record.notices ?? [];
  if (notices.length > 0) {
    const lines = notices.map((n) => ({ time: formatIsoTime(n.time), strategy: n.strategy, code: n.code, message: n.message }));
    artifacts.push({ name: NOTICES_FILE, content: toJsonLines(lines), deterministic: true, compressible: true });
  }
  for (const extra of record.extraArtifacts ?? []) artifacts.push({ name: extra.name, content: extra.content, deterministic: true, compressible: true });
  if (record.withReport) {
    const input = reportInput(record.runId, document, result, document.trades as unknown as TradeRecord[], formatIsoTime(record.finishedAt.getTime()));
    // The report renderer (and its charting code) loads only for a run that asks for a report.
    const { renderRunReportHtml } = await import('./run-report-html');
    const html = await renderRunReportHtml(record.market !== undefined ? { ...input, market: record.market } : input);
    artifacts.push({ name: REPORT_FILE, content: html, deterministic: false });
  }
  const data = hashData(record.dataPath, record.dataHashes);
  return writeRunArtifactsStreaming({
    root: record.root,
    runId: record.runId,
    artifacts,
    manifest: {
      startedAt: record.startedAt.toISOString(),
      finishedAt: record.finishedAt.toISOString(),
      codeVersion: gitCommit(record.cwd) ?? gitCommit(resolve(__dirname, '..', '..', '..')),
      commandLine: [...record.commandLine],
      parameters: { ...(record.parameters as Record<string, JsonValue>), cwd: record.cwd },
      seed: record.seed,
      dataHash: data?.sha256 ?? null,
      dataFiles: data?.files ?? null,
      audit: record.audit,
    },
  });
}

/** What the report adds to a run folder's records: its prices (see `loadRunMarket`) and a benchmark. */
export interface RunReportExtras {
  readonly market?: RunReportInput['market'];
  /** Why `market` is absent, printed on the page. */
  readonly marketNote?: string;
  readonly benchmark?: RunReportInput['benchmark'];
}

/** Builds the report page's input from a run folder read back with `readRun`, with its prices and benchmark when given. */
export function reportInputFromRun(run: RunData, generatedAt: string, extras: RunReportExtras = {}): RunReportInput {
  const document = (run.summary ?? {}) as Partial<BacktestReport>;
  return {
    ...reportInput(run.manifest.runId, document, run.equity, run.trades, generatedAt),
    ...(extras.market !== undefined ? { market: extras.market } : {}),
    ...(extras.marketNote !== undefined ? { marketNote: extras.marketNote } : {}),
    ...(extras.benchmark !== undefined ? { benchmark: extras.benchmark } : {}),
  };
}

function reportInput(
  runId: string,
  document: Partial<BacktestReport>,
  equity: { readonly time: ArrayLike<number>; readonly equity: ArrayLike<number> },
  trades: readonly TradeRecord[],
  generatedAt: string,
): RunReportInput {
  const summary = document.summary ?? {};
  const dq = document.dataQuality;
  const strategy = typeof summary['strategy'] === 'string' ? summary['strategy'] : 'backtest';
  const symbols = typeof summary['symbols'] === 'string' ? summary['symbols'] : '';
  return {
    title: `${strategy} on ${symbols}`,
    runId,
    summary,
    equity,
    trades,
    executionQuality: document.executionQuality ?? {},
    dataQuality: {
      mode: dq?.mode ?? 'off',
      calendar: dq?.calendar ?? null,
      summary:
        dq?.report !== null && dq?.report !== undefined
          ? { symbols: dq.report.summary.symbols, bars: dq.report.summary.bars, findings: dq.report.summary.findings, ...dq.report.summary.bySeverity }
          : null,
      findings: (dq?.report?.findings ?? []).map((f) => ({
        symbol: f.symbol,
        check: f.check,
        severity: f.severity,
        time: f.time === null ? null : typeof f.time === 'number' ? formatIsoTime(f.time) : String(f.time),
        message: f.message,
      })),
      repairs: dq?.repairs.length ?? 0,
    },
    guardrails: (document.guardrails as unknown as Record<string, unknown> | undefined) ?? null,
    generatedAt,
  };
}

/** What `summary.json` holds: the run's document without the summary's run id (the manifest has it). */
function summaryDocument(document: BacktestRunRecord['document']): BacktestRunRecord['document'] {
  return { ...document, summary: withoutRunId(document.summary) };
}

function withoutRunId(summary: BacktestReport['summary']): BacktestReport['summary'] {
  return Object.fromEntries(Object.entries(summary).filter(([key]) => key !== 'runId'));
}

/** The top-level summary key as two-space indentation prints it, on a line of its own. */
const SUMMARY_KEY = '\n  "summary": {';

/**
 * `summary.json`'s content: `JSON.stringify` of {@link summaryDocument} with two-space indentation
 * and a final line break. Given `documentJson` (that of `document`, same indentation), it is cut
 * from that text instead of serializing the document again: the summary's run id line left out
 * when the run id is the summary's first key and not its only one (as the backtest report makes
 * it), written as bytes straight from the two parts (no joined copy of a large text); else
 * serialized afresh. A line break and two spaces before a key only occur for a top-level key
 * (line breaks in strings are escaped, deeper keys are indented further), so the cut cannot land
 * anywhere else.
 */
export function summaryFileContent(document: BacktestRunRecord['document'], documentJson?: string): string | Uint8Array {
  if (documentJson !== undefined && !Object.hasOwn(document.summary, 'runId')) return `${documentJson}\n`;
  const runIdLine = `\n    "runId": ${JSON.stringify(document.summary['runId'])},`;
  const at = documentJson?.indexOf(`${SUMMARY_KEY}${runIdLine}`) ?? -1;
  if (documentJson === undefined || at < 0) return `${JSON.stringify(summaryDocument(document), null, 2)}\n`;
  const cut = at + SUMMARY_KEY.length;
  return utf8Bytes([documentJson.slice(0, cut), documentJson.slice(cut + runIdLine.length), '\n']);
}

/** The UTF-8 bytes of texts written one after the other. */
function utf8Bytes(texts: readonly string[]): Buffer {
  const bytes = Buffer.allocUnsafe(texts.reduce((total, text) => total + Buffer.byteLength(text, 'utf8'), 0));
  let offset = 0;
  for (const text of texts) offset += bytes.write(text, offset, 'utf8');
  return bytes;
}

/** The sha256 of a data file or of a folder's files (see `hashFiles`); null for synthetic data. */
export function dataHash(dataPath: string | undefined): string | null {
  return hashData(dataPath)?.sha256 ?? null;
}

/**
 * The hash of a data file or of a folder's files, with each file's hash; undefined for synthetic
 * data. A single file found in `hashed` (hashed while it was read) is not read again: its hash is
 * that of the bytes the run parsed. A folder is always hashed whole (`hashDirectoryFiles` covers
 * every file in it, not only the bar files read).
 */
export function hashData(dataPath: string | undefined, hashed: readonly BarFileHash[] = []): FileSetHash | undefined {
  if (dataPath === undefined) return undefined;
  if (statSync(dataPath).isDirectory()) return hashDirectoryFiles(dataPath);
  const path = resolve(dataPath);
  const known = hashed.find((file) => resolve(file.file) === path);
  // As `hashFiles([dataPath])` names it: relative to its own folder.
  return known !== undefined ? fileSetHash([{ name: basename(path), sha256: known.sha256, bytes: known.bytes }]) : hashFiles([dataPath]);
}
