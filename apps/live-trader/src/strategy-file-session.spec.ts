import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CliIo } from '@quantbot/cli';
import { main } from './main';

// A strategy file outside the workspace trades a short paper session on the simulator; a restart
// with a changed file is refused like one with changed parameters, and the live safeguards
// (--live, --experiment) refuse a strategy file outright.

const STRATEGY = `import type { BarView, Strategy, StrategyContext, StrategyDefinition } from '@quantbot/strategies';

class Flip implements Strategy {
  readonly name = 'flip';
  readonly #every: number;
  constructor(every: number) {
    this.#every = every;
  }
  onBar(bar: BarView, ctx: StrategyContext): void {
    if (bar.visibleSteps % this.#every !== 0) return;
    if (ctx.position(bar.symbolIndex) === 0) ctx.buy(bar.symbolIndex);
    else ctx.closePosition(bar.symbolIndex);
  }
}

export const strategy: StrategyDefinition = {
  name: 'flip',
  version: '1.0.0',
  description: 'buys, then sells, every few bars',
  params: [{ name: 'every', kind: 'integer', default: 5, min: 2, max: 20, description: 'bars between flips' }],
  create: (values) => new Flip(values['every'] as number),
};
`;

describe('live-trader run --strategy ./file.ts on the simulator', () => {
  let cwd: string;
  beforeEach(() => {
    cwd = mkdtempSync(join(tmpdir(), 'quantbot-live-file-'));
    writeFileSync(join(cwd, 'flip.ts'), STRATEGY);
  });
  afterEach(() => rmSync(cwd, { recursive: true, force: true }));

  const cli = async (...argv: string[]) => {
    let out = '';
    let err = '';
    const io: CliIo = { out: (t) => (out += `${t}\n`), err: (t) => (err += `${t}\n`), cwd };
    const code = await main(argv, io, {}, new Date('2024-03-05T15:00:00Z'));
    return { code, out, err };
  };
  const session = ['run', '--broker', 'sim', '--symbols', 'AAA,BBB', '--session', 'flip-paper', '--state-dir', 'state', '--data-quality', 'warn'];

  it('trades a short session, and refuses to resume it on a changed file', async () => {
    const first = await cli(...session, '--strategy', './flip.ts', '--stop-after', '30');
    expect(first.err).toBe('');
    expect(first.code).toBe(0);
    const summary = JSON.parse(first.out.trim().split('\n').at(-1) as string) as { liveSteps: number; cash: number };
    expect(summary.liveSteps).toBe(30);
    // The file's strategy traded: cash moved from the starting 100 000.
    expect(summary.cash).not.toBe(100_000);
    appendFileSync(join(cwd, 'flip.ts'), '\n// changed\n');
    const changed = await cli(...session, '--strategy', './flip.ts', '--stop-after', '5');
    expect(changed.code).toBe(1);
    expect(changed.err).toMatch(/checkpoint strategy\.params: were .*"sha256":"[0-9a-f]{64}".*, now .*"sha256":"[0-9a-f]{64}".*; start a new session for new parameters/);
  }, 90_000);

  it('refuses a strategy file with --experiment and --live, naming the flag', async () => {
    const withExperiment = await cli(...session, '--strategy', './flip.ts', '--experiment', 'exp-1');
    expect(withExperiment.code).toBe(2);
    expect(withExperiment.err).toContain('--strategy: a strategy file (./flip.ts) cannot be combined with --experiment');
    const missing = await cli(...session, '--strategy', './nope.ts');
    expect(missing.code).toBe(2);
    expect(missing.err).toContain('./nope.ts: cannot read the strategy file (ENOENT)');
  });
});
