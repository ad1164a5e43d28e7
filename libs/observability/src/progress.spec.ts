import { ConfigError } from '@quantbot/core';
import type { ProgressStream } from './progress';
import { PROGRESS_DEFAULT_COLUMNS, createPhaseProgress, createProgress, terminalColumns } from './progress';

/** A fake terminal (or pipe) that records every write. */
function fakeStream(isTTY: boolean | undefined, columns = 80): ProgressStream & { writes: string[] } {
  const writes: string[] = [];
  return {
    isTTY,
    columns,
    writes,
    write: (text: string) => {
      writes.push(text);
      return true;
    },
  };
}

/** A clock the test moves by hand, in ms. */
function manualClock(): { now: () => number; advance: (ms: number) => void } {
  let time = 1_000;
  return { now: () => time, advance: (ms) => (time += ms) };
}

describe('createProgress', () => {
  it('draws a bar on a TTY with percentage, count/total and rate, redrawn in place', () => {
    const stream = fakeStream(true);
    const clock = manualClock();
    const progress = createProgress({ stream, total: 1000, label: 'backtest ORCL', now: clock.now });
    clock.advance(2_000);
    progress.tick(500);
    expect(stream.writes).toHaveLength(1);
    const line = stream.writes[0] as string;
    expect(line.startsWith('\rbacktest ORCL [')).toBe(true);
    expect(line).toContain(']  50% 500/1000 250/s eta 2s');
    expect(line).toContain('#'.repeat(15) + '-'.repeat(15));
  });

  it('redraws at most every 100 ms of the injected clock', () => {
    const stream = fakeStream(true);
    const clock = manualClock();
    const progress = createProgress({ stream, total: 100, label: 'x', now: clock.now });
    progress.tick(); // first tick draws
    for (let i = 0; i < 9; i++) {
      clock.advance(10);
      progress.tick();
    }
    expect(stream.writes).toHaveLength(1);
    clock.advance(10); // 100 ms since the first draw
    progress.tick();
    expect(stream.writes).toHaveLength(2);
    expect(stream.writes[1]).toContain('11/100');
  });

  it('ends the line on done with the final state, once', () => {
    const stream = fakeStream(true);
    const clock = manualClock();
    const progress = createProgress({ stream, total: 3, label: 'x', now: clock.now });
    progress.tick();
    progress.tick();
    progress.tick();
    clock.advance(1_000);
    progress.done();
    progress.done();
    progress.tick();
    expect(stream.writes.slice(-2)[0]).toContain('100% 3/3 3.0/s');
    expect(stream.writes[stream.writes.length - 1]).toBe('\n');
    expect(stream.writes.filter((text) => text === '\n')).toHaveLength(1);
  });

  it('writes only a final plain line for short work on a stream that is not a TTY', () => {
    for (const isTTY of [false, undefined]) {
      const stream = fakeStream(isTTY);
      const clock = manualClock();
      const progress = createProgress({ stream, total: 10, label: 'sweep x', now: clock.now });
      progress.tick(5);
      clock.advance(2_000);
      progress.tick(5);
      expect(stream.writes).toEqual([]);
      progress.done();
      expect(stream.writes).toEqual(['sweep x 100% 10/10 5.0/s in 2.0s\n']);
    }
  });

  it('writes a plain line every 10 s of the injected clock on long work, without a bar or control characters', () => {
    const stream = fakeStream(false);
    const clock = manualClock();
    const progress = createProgress({ stream, total: 100, label: 'backtest ORCL', now: clock.now });
    for (let i = 0; i < 100; i++) {
      clock.advance(250); // 25 s in all
      progress.tick();
    }
    progress.done();
    expect(stream.writes).toEqual([
      'backtest ORCL  40% 40/100 4.0/s eta 15s\n',
      'backtest ORCL  80% 80/100 4.0/s eta 5s\n',
      'backtest ORCL 100% 100/100 4.0/s in 25.0s\n',
    ]);
    expect(stream.writes.join('').includes('\r')).toBe(false);
    expect(stream.writes.join('').includes('\u001b')).toBe(false);
  });

  it('takes the interval of plain lines from logIntervalMs and refuses one that is not positive', () => {
    const stream = fakeStream(false);
    const clock = manualClock();
    const progress = createProgress({ stream, total: 4, label: 'x', now: clock.now, logIntervalMs: 1_000 });
    clock.advance(1_000);
    progress.tick();
    expect(stream.writes).toEqual(['x  25% 1/4 1.0/s eta 3s\n']);
    expect(() => createProgress({ stream, total: 4, label: 'x', logIntervalMs: 0 })).toThrow(/^logIntervalMs:/);
  });

  it('writes nothing at all when disabled (--quiet), on a terminal or not', () => {
    for (const isTTY of [true, false]) {
      const stream = fakeStream(isTTY);
      const clock = manualClock();
      const progress = createProgress({ stream, total: 10, label: 'x', enabled: false, now: clock.now });
      progress.tick(5);
      clock.advance(60_000);
      progress.update(10, 20);
      progress.done();
      expect(stream.writes).toEqual([]);
    }
  });

  it('fits the line into 80 columns when the terminal reports a width of 0 or none', () => {
    for (const columns of [0, undefined, Number.NaN, -5]) {
      const writes: string[] = [];
      const stream = { isTTY: true, ...(columns !== undefined ? { columns } : {}), write: (t: string) => (writes.push(t), true) };
      const clock = manualClock();
      const progress = createProgress({ stream, total: 1000, label: 'walk-forward sma-cross', now: clock.now });
      clock.advance(1_000);
      progress.tick(500);
      const line = (writes[0] as string).slice(1);
      expect(line.length).toBe(79);
      expect(line).toContain('[');
      expect(line).toContain(' 50% 500/1000 500/s eta 1s');
    }
    expect(terminalColumns(0)).toBe(PROGRESS_DEFAULT_COLUMNS);
    expect(terminalColumns(120)).toBe(120);
  });

  it('takes an absolute count and a new total from update, with an ETA', () => {
    const stream = fakeStream(true);
    const clock = manualClock();
    // A walk-forward learns its total (folds × trials) from the first report.
    const progress = createProgress({ stream, total: 0, label: 'walk-forward x', now: clock.now });
    clock.advance(3_000);
    progress.update(30, 120);
    expect(stream.writes[0]).toContain(' 25% 30/120 10.0/s eta 9s');
    clock.advance(9_000);
    progress.update(120);
    progress.done();
    expect(stream.writes.slice(-2)[0]).toContain('100% 120/120 10.0/s in 12.0s');
    expect(() => progress.update(-1)).toThrow(/^completed:/);
    expect(() => progress.update(1, 2.5)).toThrow(/^total:/);
  });

  it('fits the line into a narrow terminal, dropping the bar first', () => {
    const stream = fakeStream(true, 30);
    const clock = manualClock();
    const progress = createProgress({ stream, total: 10, label: 'walk-forward', now: clock.now });
    clock.advance(1_000);
    progress.tick(5);
    const line = (stream.writes[0] as string).slice(1);
    expect(line.length).toBeLessThanOrEqual(29);
    expect(line).not.toContain('[');
    expect(line.startsWith('walk-forward  50% 5/10')).toBe(true);
  });

  it('wipes the rest of a longer previous line with spaces', () => {
    const stream = fakeStream(true);
    const clock = manualClock();
    const progress = createProgress({ stream, total: 100, label: 'x', now: clock.now });
    clock.advance(1_000);
    progress.tick(1); // rate and eta make this line long
    clock.advance(10_000_000);
    progress.done();
    const [first, last] = stream.writes;
    expect((last as string).length).toBeGreaterThanOrEqual((first as string).length);
  });

  it('shows 100% for an empty job and caps overshoot at 100%', () => {
    const stream = fakeStream(true);
    createProgress({ stream, total: 0, label: 'x', now: manualClock().now }).done();
    expect(stream.writes[0]).toContain('100% 0/0');
    const over = fakeStream(true);
    const progress = createProgress({ stream: over, total: 2, label: 'x', now: manualClock().now });
    progress.tick(5);
    expect(over.writes[0]).toContain('100% 5/2');
  });

  it('refuses a negative or fractional total with a ConfigError naming total', () => {
    expect(() => createProgress({ stream: fakeStream(true), total: -1, label: 'x' })).toThrow(ConfigError);
    expect(() => createProgress({ stream: fakeStream(false), total: 1.5, label: 'x' })).toThrow(/^total:/);
  });
});

describe('createPhaseProgress', () => {
  it('on a pipe writes a line only for phases that took at least 1 s of the injected clock', () => {
    const stream = fakeStream(false);
    const clock = manualClock();
    const phases = createPhaseProgress({ stream, label: 'backtest', now: clock.now });
    phases.phase('reading data');
    clock.advance(2_400);
    phases.phase('checking data');
    clock.advance(999);
    phases.phase('writing the run folder');
    clock.advance(1_000);
    phases.done();
    phases.done();
    expect(stream.writes).toEqual(['backtest: reading data in 2.4s\n', 'backtest: writing the run folder in 1.0s\n']);
  });

  it('on a terminal shows the phase under way in place, keeps long ones and wipes short ones', () => {
    const stream = fakeStream(true, 0);
    const clock = manualClock();
    const phases = createPhaseProgress({ stream, label: 'backtest', now: clock.now });
    phases.phase('reading data');
    clock.advance(100);
    phases.phase('checking data');
    clock.advance(3_000);
    phases.done();
    expect(stream.writes).toEqual([
      '\rbacktest: reading data…',
      `\r${' '.repeat('backtest: reading data…'.length)}\r`,
      '\rbacktest: checking data…',
      '\rbacktest: checking data in 3.0s\n',
    ]);
  });

  it('writes nothing when disabled, and refuses a negative minPhaseMs', () => {
    const stream = fakeStream(true);
    const clock = manualClock();
    const phases = createPhaseProgress({ stream, label: 'x', enabled: false, now: clock.now });
    phases.phase('reading data');
    clock.advance(60_000);
    phases.done();
    expect(stream.writes).toEqual([]);
    expect(() => createPhaseProgress({ stream, label: 'x', minPhaseMs: -1 })).toThrow(/^minPhaseMs:/);
  });
});
