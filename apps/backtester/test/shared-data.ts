import { readFileSync } from 'node:fs';
import { realMarketDataFile } from '@quantbot/core/testing';

/**
 * The path of one file of the real daily bars the regression tests read (`QUANTBOT_TEST_DATA_DIR`,
 * else `../shared/data` beside the repository). Tests that call it are declared with
 * `itWithPrerequisite(realMarketDataPrerequisite(), it)` or `describeWithPrerequisite`: skipped
 * with a printed reason when the data is absent, failing when it is required (`CI=true`).
 */
export function sharedDataFile(name: string): string {
  return realMarketDataFile(name);
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
