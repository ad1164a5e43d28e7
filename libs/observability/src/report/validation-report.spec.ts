import { REPORT_MAX_CHART_POINTS } from './html-report-charts';
import { SWEEP_REPORT_MAX_HEATMAPS, trialHistogram, objectiveGrid, renderSweepReport, sweepHeatmapViews, sweepParameters } from './sweep-report';
import type { SweepReportTrial } from './sweep-report';
import { chosenParamPoints, foldOfCurvePoints, overfitRatioText, renderWalkForwardReport } from './walk-forward-report';
import { metrics, sweepInput, walkForwardInput } from './validation-report.spec-helper';

function trial(rank: number, params: Record<string, number | string>, objectiveValue: number | null): SweepReportTrial {
  return { rank, params, objectiveValue, metrics: metrics(objectiveValue) };
}

/** The sections' ids and the charts' names, in page order. */
function layout(html: string): { sections: string[]; charts: string[] } {
  return { sections: [...html.matchAll(/<section id="([a-z-]+)"/g)].map((m) => m[1] as string), charts: [...html.matchAll(/data-chart="([a-z-]+)"/g)].map((m) => m[1] as string) };
}

describe('sweepParameters', () => {
  it('keeps the varying parameters in the space order with their values in axis order', () => {
    const input = sweepInput();
    expect(sweepParameters(input)).toEqual([
      { name: 'fast', values: [5, 10, 15] },
      { name: 'slow', values: [20, 40] },
      { name: 'stop', values: [0.01, 0.02] },
    ]);
  });

  it('without a space sorts numbers before text and drops a parameter with one value', () => {
    const results = [trial(1, { b: 'x', a: 3, c: 1 }, 1), trial(2, { b: 'w', a: 1, c: 1 }, 0.5), trial(3, { b: 'x', a: 2, c: 1 }, 0.2)];
    expect(sweepParameters({ space: null, results })).toEqual([
      { name: 'b', values: ['w', 'x'] },
      { name: 'a', values: [1, 2, 3] },
    ]);
  });
});

describe('objectiveGrid', () => {
  const results = [trial(1, { x: 1, y: 1, z: 'a' }, 3), trial(2, { x: 1, y: 1, z: 'b' }, 2), trial(3, { x: 2, y: 1, z: 'b' }, null), trial(4, { x: 2, y: 2, z: 'a' }, -1)];

  it('holds the other parameters at the fixed values: one cell per trial, none where no trial matches', () => {
    expect(objectiveGrid(results, { x: 'x', y: 'y', fixed: { z: 'b' } })).toEqual([
      { x: 1, y: 1, value: 2, rank: 2, chosen: false },
      { x: 2, y: 1, value: null, rank: 3, chosen: false },
    ]);
  });

  it('without fixed values takes the best-ranked trial of each cell and marks the chosen one', () => {
    expect(objectiveGrid(results, { x: 'x', y: 'y', fixed: null })).toEqual([
      { x: 1, y: 1, value: 3, rank: 1, chosen: true },
      { x: 2, y: 1, value: null, rank: 3, chosen: false },
      { x: 2, y: 2, value: -1, rank: 4, chosen: false },
    ]);
  });
});

describe('sweepHeatmapViews', () => {
  it('gives each pair the slice through the chosen trial, the best over the others, then every other slice', () => {
    const input = sweepInput();
    const { views, total } = sweepHeatmapViews(sweepParameters(input), input.results);
    // fast×slow: stop has 2 values (chosen 0.02 + 1 more); fast×stop: slow 2; slow×stop: fast 3 (chosen 10 + 2 more).
    expect(total).toBe(3 + 3 + 4);
    expect(views.map((v) => `${v.x}×${v.y} ${v.fixed === null ? 'best' : JSON.stringify(v.fixed)}${v.throughChosen ? ' chosen' : ''}`)).toEqual([
      'fast×slow {"stop":0.02} chosen',
      'fast×slow best',
      'fast×slow {"stop":0.01}',
      'fast×stop {"slow":40} chosen',
      'fast×stop best',
      'fast×stop {"slow":20}',
      'slow×stop {"fast":10} chosen',
      'slow×stop best',
      'slow×stop {"fast":5}',
      'slow×stop {"fast":15}',
    ]);
  });

  it('under a cap keeps every pair’s first two views before further slices', () => {
    const input = sweepInput();
    const { views, total } = sweepHeatmapViews(sweepParameters(input), input.results, 7);
    expect(total).toBe(10);
    expect(views.map((v) => `${v.x}×${v.y}${v.fixed === null ? ' best' : v.throughChosen ? ' chosen' : ' more'}`)).toEqual([
      'fast×slow chosen',
      'fast×slow best',
      'fast×slow more',
      'fast×stop chosen',
      'fast×stop best',
      'slow×stop chosen',
      'slow×stop best',
    ]);
  });

  it('with two parameters has one view, all trials', () => {
    const results = [trial(1, { a: 1, b: 1 }, 1), trial(2, { a: 2, b: 1 }, 0)];
    expect(sweepHeatmapViews([{ name: 'a', values: [1, 2] }, { name: 'b', values: [1, 2] }], results)).toEqual({ views: [{ x: 'a', y: 'b', fixed: {}, throughChosen: true }], total: 1 });
  });
});

describe('trialHistogram', () => {
  it('bins finite values into 2·∛n equal bins, the last one holding the largest value, and counts the rest as missing', () => {
    const { bins, missing } = trialHistogram([0, 1, 2, 3, 4, 5, 6, 7, null, NaN]);
    expect(missing).toBe(2);
    expect(bins.map((b) => b.count)).toEqual([2, 2, 2, 2]); // 2·∛8 = 4 bins of width 1.75
    expect(bins[0]).toEqual({ from: 0, to: 1.75, count: 2 });
    expect(bins[3]?.to).toBe(7);
    expect(bins.reduce((s, b) => s + b.count, 0)).toBe(8);
  });

  it('gives equal values one bin of width 1, and no values no bin', () => {
    expect(trialHistogram([2, 2, 2])).toEqual({ bins: [{ from: 1.5, to: 2.5, count: 3 }], missing: 0 });
    expect(trialHistogram([null])).toEqual({ bins: [], missing: 1 });
  });

  it('never draws more than maxBins bars', () => {
    expect(trialHistogram(Array.from({ length: 10_000 }, (_, i) => i)).bins).toHaveLength(30); // 2·∛10,000 ≈ 43
  });
});

describe('renderSweepReport', () => {
  let rendered: Promise<string> | undefined;
  /** The page of `sweepInput()`, rendered once for the tests that read it. */
  const samplePage = (): Promise<string> => (rendered ??= renderSweepReport(sweepInput()));

  it('lays out the sections with one heatmap per view, CSS-only selectors, and nothing loaded', async () => {
    const html = await samplePage();
    expect(layout(html)).toEqual({ sections: ['objective', 'ranking', 'sharpe-distribution', 'settings'], charts: [...new Array<string>(10).fill('objective-heatmap'), 'trial-sharpe'] });
    expect(html).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org)/);
    expect(html).toContain('<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; style-src \'unsafe-inline\'; img-src data:">');
    // One radio per pair of axes and per view, and a CSS rule that shows each.
    expect(html.match(/name="hm-axes"/g)).toHaveLength(3);
    expect(html).toContain('#hm-p2-v3:checked ~ #hm-view-2-3 { display: block; }');
    expect(html).toContain('<label for="hm-p0-v0">at the chosen trial: stop=0.02</label>');
  });

  it('ranks every trial with the objective and DSR/PBO, formatted like the run summary, and escapes text', async () => {
    const html = await samplePage();
    expect(html.match(/<tr(?: class="chosen")?><td class="num">\d+<\/td>/g)).toHaveLength(12);
    expect(html).toContain('<tr class="chosen"><td class="num">1</td><td>10</td><td>40</td><td>0.02</td><td class="num pos"><strong>1.400</strong></td>');
    expect(html).toContain('Deflated Sharpe ratio (DSR)</span><span class="stat-value">0.620</span>');
    expect(html).toContain('Probability of backtest overfitting (PBO)</span><span class="stat-value">0.250</span>');
    expect(html).toContain('<td class="num pos">10.00%</td>'); // totalReturn 0.1 as the summary prints it
    expect(html).toContain('<td class="num">12.50%</td>'); // maxDrawdownPct 12.5, a fall shown without a sign or tone
    expect(html).toContain('fast must be below slow &lt;b&gt;');
    expect(html).toContain('synthetic &lt;data&gt; &amp; more');
    expect(html).toContain('1 trial(s) without a Sharpe ratio');
  });

  it('caps the ranked table and says how many trials were left out', async () => {
    const base = sweepInput();
    const results = Array.from({ length: 250 }, (_, i) => trial(i + 1, { n: i }, 1 - i / 1000));
    const html = await renderSweepReport({ ...base, space: null, results, trials: 250 });
    expect(html).toContain('Showing the best 200 of 250 trials; 50 left out');
    expect(layout(html).charts).toEqual(['objective-line', 'trial-sharpe']);
  });

  it('draws a line for one numeric parameter, bars for one text parameter, and says when nothing varies', async () => {
    const base = sweepInput();
    const numeric = await renderSweepReport({ ...base, space: null, results: [trial(1, { n: 2 }, 1), trial(2, { n: 1 }, 0.5), trial(3, { n: 3 }, null)] });
    expect(numeric).toMatch(/data-chart="objective-line"><svg[\s\S]*?class="mark-line role-mark/);
    const text = await renderSweepReport({ ...base, space: null, results: [trial(1, { mode: 'b' }, 1), trial(2, { mode: 'a' }, 0.5)] });
    expect(text).toMatch(/data-chart="objective-line"><svg[\s\S]*?class="mark-rect role-mark/);
    const none = await renderSweepReport({ ...base, space: null, results: [trial(1, { n: 1 }, 1)] });
    expect(none).toContain('No parameter takes more than one value among the 1 trial(s)');
  });

  it('says so when DSR and PBO are undefined', async () => {
    const html = await renderSweepReport(
      sweepInput({ space: null, results: [trial(1, { n: 1 }, 1)], statistics: { deflatedSharpe: { value: null, reason: 'one trial' }, pbo: { value: null, reason: 'PBO needs at least 2 trials' } } }),
    );
    expect(html).toContain('<span class="stat-value">— (one trial)</span>');
    expect(html).toContain('— (PBO needs at least 2 trials)');
  });
});

describe('foldOfCurvePoints', () => {
  it('numbers each point by the fold whose test window holds it, 0 outside every window', () => {
    const folds = [
      { index: 0, testStart: '2020-01-02T00:00:00.000Z', testEnd: '2020-01-03T00:00:00.000Z' },
      { index: 1, testStart: '2020-01-06T00:00:00.000Z', testEnd: '2020-01-07T00:00:00.000Z' },
    ];
    const t = (d: string): number => Date.parse(`2020-01-${d}T00:00:00.000Z`);
    expect(Array.from(foldOfCurvePoints([t('01'), t('02'), t('03'), t('04'), t('06'), t('07'), t('08')], folds))).toEqual([0, 1, 1, 0, 2, 2, 0]);
  });
});

describe('overfitRatioText', () => {
  it.each([
    [{ overfitRatio: 2.5, overfitRatioStatus: 'finite' }, '2.500'],
    [{ overfitRatio: null, overfitRatioStatus: 'infinite' }, '∞ (no out-of-sample edge)'],
    [{ overfitRatio: null, overfitRatioStatus: 'no-in-sample-edge' }, 'undefined (no in-sample edge)'],
  ])('%j is %s', (overall, text) => {
    expect(overfitRatioText(overall)).toBe(text);
  });
});

describe('chosenParamPoints', () => {
  it('lists the numeric chosen parameters by fold, numbered from 1', () => {
    expect(chosenParamPoints([{ index: 0, chosenParams: { a: 1, m: 'x' } }, { index: 1, chosenParams: { a: 2, m: 'y' } }])).toEqual({
      params: ['a'],
      points: [
        { fold: 1, param: 'a', value: 1 },
        { fold: 2, param: 'a', value: 2 },
      ],
    });
  });
});

describe('renderWalkForwardReport', () => {
  it('lays out the sections and charts, with the fold table, the overfit ratio and the verdict', async () => {
    const html = await renderWalkForwardReport(walkForwardInput());
    expect(layout(html)).toEqual({ sections: ['folds', 'chosen-parameters', 'oos-equity', 'overfitting', 'settings'], charts: ['fold-sharpe', 'chosen-params', 'oos-equity'] });
    expect(html).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org)/);
    expect(html.match(/<tr><td class="num">\d<\/td><td class="time period">/g)).toHaveLength(3);
    expect(html).toContain('<td class="time period">2020-04-10 →<br>2020-05-29</td><td class="num pos">1.500</td><td class="num pos">0.500</td><td class="num pos">20.00%</td><td class="num pos">5.00%</td><td class="num">12.50%</td>');
    expect(html).toContain('<td class="num pos">1.200</td><td class="num muted">—</td>'); // fold 2: undefined OOS Sharpe
    expect(html).toContain('Overfit ratio (IS / OOS)</div><div class="tile-value">3.000</div>');
    expect(html).toContain('<span class="badge badge-fail">FAIL</span>');
    expect(html).toContain('<li>overfit ratio 3.000 &gt; 2 &lt;b&gt;</li>');
    expect(html).toContain('Only numeric parameters are charted; mode is in the table.');
    // One equity line per fold.
    expect(html.match(/aria-roledescription="line mark"/g)?.length ?? 0).toBeGreaterThanOrEqual(3);
  });

  it('says how to get the stitched curve when the run folder has none', async () => {
    const html = await renderWalkForwardReport(walkForwardInput({ oosEquity: null }));
    expect(html).toContain('This run folder has no <code>oos_equity.csv</code>');
    expect(html).toMatch(/data-chart="oos-equity"><svg[\s\S]*?No data/);
  });
});

describe('report size limits', () => {
  it('draws at most SWEEP_REPORT_MAX_HEATMAPS heatmaps and says how many slices it left out', async () => {
    const base = sweepInput();
    const results: SweepReportTrial[] = [];
    for (const a of [1, 2, 3]) for (const b of [1, 2, 3]) for (const c of [1, 2, 3]) for (const d of [1, 2, 3]) results.push(trial(0, { a, b, c, d }, a + b / 10 + c / 100 + d / 1000));
    results.sort((x, y) => (y.objectiveValue as number) - (x.objectiveValue as number));
    const ranked = results.map((t, i) => ({ ...t, rank: i + 1 }));
    // 6 pairs × (the chosen slice, the best over the others and 8 more slices) = 60 views.
    expect(sweepHeatmapViews(sweepParameters({ space: null, results: ranked }), ranked).total).toBe(60);
    const html = await renderSweepReport({ ...base, space: null, results: ranked, trials: ranked.length });
    expect(layout(html).charts.filter((c) => c === 'objective-heatmap')).toHaveLength(SWEEP_REPORT_MAX_HEATMAPS);
    expect(html).toContain(`60 heatmaps could be drawn; the page holds the first ${SWEEP_REPORT_MAX_HEATMAPS}`);
    expect(html).toContain(`leaves ${60 - SWEEP_REPORT_MAX_HEATMAPS} slices out`);
  });

  it('draws a 1,000,000-bar stitched curve from at most REPORT_MAX_CHART_POINTS points', async () => {
    const input = walkForwardInput();
    const n = 1_000_000;
    const start = Date.parse(input.folds[0]?.testStart ?? '');
    const end = Date.parse(input.folds[2]?.testEnd ?? '');
    const time = Float64Array.from({ length: n }, (_, i) => start + ((end - start) * i) / (n - 1));
    const equity = Float64Array.from({ length: n }, (_, i) => 100_000 + Math.sin(i / 1000) * 1000);
    const html = await renderWalkForwardReport({ ...input, oosEquity: { time, equity } });
    const figure = /data-chart="oos-equity"[\s\S]*?<\/figure>/.exec(html)?.[0] ?? '';
    const vertices = [...figure.matchAll(/aria-roledescription="line mark" d="([^"]*)"/g)].reduce((sum, m) => sum + ((m[1] ?? '').match(/[ML]/g)?.length ?? 0), 0);
    expect(vertices).toBeGreaterThan(REPORT_MAX_CHART_POINTS / 2);
    expect(vertices).toBeLessThanOrEqual(REPORT_MAX_CHART_POINTS);
  });
});
