// Vega is an optional peer dependency of @quantbot/observability: a project that renders no
// report does not install it. Without it a report fails with an error that says what to install.
jest.mock('vega', () => {
  throw new Error("Cannot find module 'vega'");
});

import { ReportRenderError } from './html-report-charts';
import { renderRunReport } from './html-report';

describe('renderRunReport without vega installed', () => {
  it('fails with a ReportRenderError that says to install vega and vega-lite', async () => {
    const t0 = Date.UTC(2021, 0, 4);
    const rendering = renderRunReport({
      title: 'no charts',
      runId: 'run-1',
      summary: { totalReturn: 0 },
      equity: { time: [t0, t0 + 86_400_000], equity: [100, 101] },
      trades: [],
      executionQuality: {},
      dataQuality: { mode: 'warn', calendar: 'nyse', summary: {}, findings: [], repairs: 0 },
      guardrails: { state: 'active', accepted: 0, rejected: 0, rejectedByCode: {} },
      generatedAt: '2024-05-06T07:08:09.000Z',
    });
    await expect(rendering).rejects.toThrow(ReportRenderError);
    await expect(rendering).rejects.toThrow(/need the packages vega and vega-lite: install them \(npm install vega vega-lite\)/);
  });
});
