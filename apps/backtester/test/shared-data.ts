import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';

/**
 * The folder of real daily bars the regression tests read: QUANTBOT_DATA_DIR, or the shared
 * data folder beside the repository. Missing data is an error, never a skipped test.
 */
export function sharedDataDir(): string {
  const dir = process.env['QUANTBOT_DATA_DIR'] ?? resolve(__dirname, '../../../../shared/data');
  if (!existsSync(dir)) throw new Error(`real market data not found at ${dir} (set QUANTBOT_DATA_DIR)`);
  return dir;
}

/** The path of one shared data file. */
export function sharedDataFile(name: string): string {
  return resolve(sharedDataDir(), name);
}

/** A Yahoo-style CSV parsed naively (independently of the library's loader) for reference checks. */
export function readYahooCsv(name: string): { dates: string[]; open: number[]; close: number[] } {
  const text = readFileSync(sharedDataFile(name), 'utf8').trim();
  const [, ...rows] = text.split(/\r?\n/);
  const dates: string[] = [];
  const open: number[] = [];
  const close: number[] = [];
  for (const row of rows) {
    const cells = row.split(',');
    dates.push(cells[0] as string);
    open.push(Number(cells[1]));
    close.push(Number(cells[4]));
  }
  return { dates, open, close };
}
