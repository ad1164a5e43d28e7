import { join } from 'node:path';
import { DataError } from '@quantbot/core';
import type { RunListing } from '@quantbot/observability';
import { parseEquityCsv, readArtifactText } from '@quantbot/observability';
import type { SweepReportInput, WalkForwardReportInput } from '@quantbot/observability/report';
import type { SweepArtifact, WalkForwardArtifact } from '@quantbot/validation';
import { VALIDATION_SCHEMA_VERSION } from '@quantbot/validation';
import { OOS_EQUITY_FILE } from './validation-run-folder';

/** The document of each run kind the report command reports besides backtests. */
export const SWEEP_FILE = 'sweep.json';
export const WALK_FORWARD_FILE = 'walk_forward.json';

/** The report input of a sweep run folder: its `sweep.json`, with the run id and data label from its manifest. */
export function sweepReportInput(run: RunListing, generatedAt: string): SweepReportInput {
  const doc = readDocument<SweepArtifact>(run, SWEEP_FILE, 'sweep', ['results', 'period']);
  return { ...doc, runId: run.runId, source: dataLabel(run), generatedAt };
}

/**
 * The report input of a walk-forward run folder: its `walk_forward.json` and, when the manifest
 * lists it, the stitched out-of-sample curve of `oos_equity.csv` (null for older runs).
 */
export function walkForwardReportInput(run: RunListing, generatedAt: string): WalkForwardReportInput {
  const doc = readDocument<WalkForwardArtifact>(run, WALK_FORWARD_FILE, 'walk-forward', ['folds', 'overall']);
  let oosEquity: WalkForwardReportInput['oosEquity'] = null;
  // Stored plain, or as oos_equity.csv.gz when it is large.
  const curve = readArtifactText(run.dir, run.manifest, OOS_EQUITY_FILE);
  if (curve !== undefined) oosEquity = parseEquityCsv(curve.text, curve.file);
  return { ...doc, runId: run.runId, source: dataLabel(run), oosEquity, generatedAt };
}

function readDocument<T>(run: RunListing, name: string, kind: string, fields: readonly string[]): T {
  const artifact = readArtifactText(run.dir, run.manifest, name);
  const file = artifact?.file ?? join(run.dir, name);
  if (artifact === undefined) throw new DataError('the manifest does not list it', { file });
  let doc: unknown;
  try {
    doc = JSON.parse(artifact.text);
  } catch (error) {
    if (error instanceof DataError) throw error;
    throw new DataError(`not JSON: ${error instanceof Error ? error.message : String(error)}`, { file });
  }
  const record = doc as Record<string, unknown> | null;
  if (record === null || typeof record !== 'object' || record['kind'] !== kind) throw new DataError(`expected a ${kind} document (kind "${kind}")`, { file, field: 'kind' });
  if (record['schemaVersion'] !== VALIDATION_SCHEMA_VERSION) throw new DataError(`schemaVersion ${String(record['schemaVersion'])} is not the one this version reads (${VALIDATION_SCHEMA_VERSION})`, { file, field: 'schemaVersion' });
  for (const field of fields) if (record[field] === undefined || record[field] === null) throw new DataError('missing', { file, field });
  return doc as T;
}

function dataLabel(run: RunListing): string {
  const parameters = run.manifest.parameters as Record<string, unknown> | null;
  const data = parameters !== null && typeof parameters === 'object' && !Array.isArray(parameters) ? parameters['data'] : undefined;
  return typeof data === 'string' ? data : 'data not recorded';
}
