import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BacktestReport } from '@quantbot/engine';
import { ArtifactCompressor } from '@quantbot/observability';
import { runRecordedBacktest } from './backtest-run';
import { summaryFileContent } from './backtest-run-folder';

type RunDocument = Parameters<typeof summaryFileContent>[0];

/** summary.json's text as the function makes it, with the document's text given. */
const summaryText = (document: RunDocument): string => Buffer.from(summaryFileContent(document, JSON.stringify(document, null, 2))).toString('utf8');

/** A document shaped like a backtest's: the summary's run id first, nested `summary` keys deeper down. */
function documentWith(summary: BacktestReport['summary']): RunDocument {
  return {
    schemaVersion: 1,
    summary,
    trades: [],
    // Text that looks like the top-level key, inside a string (escaped) and deeper down (indented further).
    dataQuality: { mode: 'warn', calendar: null, report: { summary: { runId: 'not-this-one', bars: 3 }, note: '\n  "summary": {\n    "runId": "x",' }, repairs: [] },
  } as unknown as RunDocument;
}

/** summary.json's text as it always was: the document without the summary's run id, serialized. */
function serializedWithoutRunId(document: RunDocument): string {
  const summary = Object.fromEntries(Object.entries(document.summary).filter(([key]) => key !== 'runId'));
  return `${JSON.stringify({ ...document, summary }, null, 2)}\n`;
}

describe('summaryFileContent', () => {
  it("cuts the summary's run id out of the document's text: the same bytes as serializing the document without it", () => {
    const document = documentWith({ runId: '20240102T030405Z-abcdef12', strategy: 'sma-crossover', bars: 3 });
    const content = summaryFileContent(document, JSON.stringify(document, null, 2));
    // Bytes cut from the document's text, not a text serialized afresh.
    expect(content).toBeInstanceOf(Uint8Array);
    const text = Buffer.from(content).toString('utf8');
    expect(text).toBe(serializedWithoutRunId(document));
    expect(text).not.toContain('20240102T030405Z-abcdef12');
    expect(text).toContain('"runId": "not-this-one"');
    // Escapes and multi-byte characters in the run id and elsewhere.
    const unusual = documentWith({ runId: 'a "quoted"\nid ü', strategy: 'momentum – 12€' });
    expect(summaryText(unusual)).toBe(serializedWithoutRunId(unusual));
  });

  it('serializes afresh when the run id is not the first key or the only one, and keeps a summary without one', () => {
    const summaries: BacktestReport['summary'][] = [{ strategy: 'sma-crossover', runId: 'r-1' }, { runId: 'r-1' }];
    for (const summary of summaries) {
      const document = documentWith(summary);
      expect(summaryText(document)).toBe(serializedWithoutRunId(document));
      expect(summaryFileContent(document)).toBe(serializedWithoutRunId(document));
    }
    const noRunId = documentWith({ strategy: 'sma-crossover' });
    expect(summaryText(noRunId)).toBe(`${JSON.stringify(noRunId, null, 2)}\n`);
  });
});

describe('runRecordedBacktest', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'quantbot-run-folder-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("returns the document's text, and summary.json holds it less the summary's run id", async () => {
    const outcome = await runRecordedBacktest({ bars: 300, seed: 5 }, { cwd: dir, commandLine: ['backtester', 'run'], now: new Date('2024-01-02T03:04:05Z'), showProgress: false });
    expect(outcome.documentJson).toBe(JSON.stringify(outcome.document, null, 2));
    expect(outcome.document.trades.length).toBeGreaterThan(0);
    expect(readFileSync(join(outcome.runDir, 'summary.json'), 'utf8')).toBe(serializedWithoutRunId(outcome.document));
  });

  it('closes the compressor thread a run starts, and starts none for a run refused before its bar loop or writing a report', async () => {
    const start = jest.spyOn(ArtifactCompressor, 'start');
    const close = jest.spyOn(ArtifactCompressor.prototype, 'close');
    try {
      const options = { cwd: dir, commandLine: ['backtester', 'run'], now: new Date('2024-01-02T03:04:05Z'), showProgress: false };
      await runRecordedBacktest({ bars: 300, seed: 5 }, options);
      expect(start).toHaveBeenCalledTimes(1);
      expect(close).toHaveBeenCalledTimes(1);
      // Refused while the data are checked, then once the strategy is built: no thread.
      await expect(runRecordedBacktest({ bars: 300, seed: 5, dataQuality: 'loose' }, options)).rejects.toThrow(expect.objectContaining({ key: 'dataQuality' }));
      await expect(runRecordedBacktest({ bars: 300, seed: 5, params: { fast: 'many' } }, options)).rejects.toThrow(/fast/);
      // A run that writes a report keeps its records and starts no thread.
      await runRecordedBacktest({ bars: 300, seed: 5, report: true }, { ...options, allowReport: true });
      expect(start).toHaveBeenCalledTimes(1);
      expect(close).toHaveBeenCalledTimes(1);
    } finally {
      start.mockRestore();
      close.mockRestore();
    }
  });
});
