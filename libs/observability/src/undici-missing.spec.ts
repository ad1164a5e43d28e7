// undici is an optional peer dependency of @quantbot/observability: a project that pages nothing
// (a backtest) does not install it. Without it the pager counts a failure that says what to install.
jest.mock('undici', () => {
  throw new Error("Cannot find module 'undici'");
});

import { epochMs } from '@quantbot/core';
import type { PagingFailure } from './webhook-pager';
import { WebhookPager } from './webhook-pager';

describe('WebhookPager without undici installed', () => {
  it('counts a failure that says to install undici, without retrying or throwing into the caller', async () => {
    const failures: PagingFailure[] = [];
    const pager = new WebhookPager({
      url: 'https://hooks.example/services/T0KEN-SECRET',
      clock: { now: () => epochMs(0) },
      sleep: () => Promise.resolve(),
      onFailure: (failure) => failures.push(failure),
    });
    expect(pager.page({ key: 'k', severity: 'page', summary: 's', time: epochMs(0) })).toBe('queued');
    await pager.idle();
    expect(failures).toHaveLength(1);
    expect(failures[0]?.attempts).toBe(1);
    expect(failures[0]?.reason).toMatch(/^paging needs the package undici: install it \(npm install undici@7\.30\.2\)/);
    expect(failures[0]?.reason).not.toContain('T0KEN-SECRET');
    expect(await pager.close()).toMatchObject({ sent: 0, failures: 1 });
  });
});
