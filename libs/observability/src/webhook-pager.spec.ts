import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Clock } from '@quantbot/core';
import { ConfigError, epochMs } from '@quantbot/core';
import { pagingConfigFromEnv, redactWebhookUrl } from './paging-config';
import { SloMonitor } from './slo-monitor';
import { parseSloConfig } from './slo-config';
import type { PagerAlert, PagingFailure, PagingPathDown, WebhookPagerOptions, WebhookPayload } from './webhook-pager';
import { WebhookPager, webhookNotifier } from './webhook-pager';

const clock: Clock = { now: () => epochMs(Date.UTC(2025, 0, 2, 15, 0)) };

interface Received {
  readonly path: string;
  readonly contentType: string | undefined;
  readonly body: WebhookPayload;
}

interface Receiver {
  readonly url: string;
  readonly port: number;
  readonly received: Received[];
  close(): Promise<void>;
}

/** A webhook receiver on 127.0.0.1; `answer` decides each response (it may leave the request hanging). */
async function startReceiver(answer: (response: ServerResponse, count: number) => void): Promise<Receiver> {
  const received: Received[] = [];
  const server: Server = createServer((request: IncomingMessage, response: ServerResponse) => {
    let text = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => (text += chunk));
    request.on('end', () => {
      received.push({ path: request.url ?? '', contentType: request.headers['content-type'], body: JSON.parse(text) as WebhookPayload });
      answer(response, received.length);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const ok = (response: ServerResponse): void => void response.writeHead(200, { 'content-type': 'text/plain' }).end('ok');

/** Everything the pager said, through every channel it has. */
interface Heard {
  readonly logs: string[];
  readonly failures: PagingFailure[];
  readonly down: PagingPathDown[];
  readonly restored: number[];
  readonly sent: WebhookPayload[];
  readonly delays: number[];
}

function pagerFor(url: string, options: Partial<WebhookPagerOptions> = {}): { pager: WebhookPager; heard: Heard } {
  const heard: Heard = { logs: [], failures: [], down: [], restored: [], sent: [], delays: [] };
  const log = (level: string) => (message: string, fields?: unknown) => heard.logs.push(`${level} ${message} ${JSON.stringify(fields ?? {})}`);
  const pager = new WebhookPager({
    url,
    clock,
    session: '2025-01-02',
    timeoutMs: 2000,
    backoffBaseMs: 100,
    backoffMaxMs: 1000,
    sleep: (ms) => {
      heard.delays.push(ms);
      return Promise.resolve();
    },
    logger: { info: log('info'), warn: log('warn'), error: log('error') },
    onFailure: (failure) => heard.failures.push(failure),
    onPathDown: (down) => heard.down.push(down),
    onPathRestored: (time) => heard.restored.push(time),
    onSent: (payload) => heard.sent.push(payload),
    ...options,
  });
  return { pager, heard };
}

const alert = (key: string, severity: PagerAlert['severity'] = 'page'): PagerAlert => ({ key, severity, summary: `${key} is burning`, time: clock.now() });

/** A real alert from a monitor: one order, slow, five times. */
function monitorPage(): PagerAlert & { status: 'firing' | 'resolved' } {
  const config = parseSloConfig('{ "version": 1, "slos": { "marketDataStaleness": { "enabled": false }, "checkpointAge": { "enabled": false } } }');
  const monitor = new SloMonitor({ config, start: clock.now() });
  for (let i = 0; i < 5; i++) monitor.record({ kind: 'order-response', time: clock.now(), latencyMs: 3000, rejected: false });
  const change = monitor.evaluate(epochMs(clock.now() + 60_000)).find((c) => c.severity === 'page');
  if (change === undefined) throw new Error('expected a page');
  return change;
}

describe('WebhookPager against a healthy receiver', () => {
  let receiver: Receiver;
  beforeEach(async () => {
    receiver = await startReceiver(ok);
  });
  afterEach(() => receiver.close());

  it('pages exactly once per key, then resolves once, with the structured payload', async () => {
    const { pager, heard } = pagerFor(`${receiver.url}/hooks/abc`);
    const change = monitorPage();
    expect(pager.handle(change)).toBe('queued');
    expect(pager.page(change)).toBe('duplicate');
    await pager.idle();
    expect(pager.resolve({ ...change })).toBe('queued');
    expect(pager.resolve({ ...change })).toBe('not-open');
    await pager.idle();
    expect(receiver.received.map((r) => r.body.status)).toEqual(['firing', 'resolved']);
    const [first] = receiver.received;
    expect(first?.path).toBe('/hooks/abc');
    expect(first?.contentType).toBe('application/json');
    expect(first?.body).toEqual({
      text: `[PAGE] FIRING: ${change.summary} (session 2025-01-02)`,
      key: 'orderAckLatency/fast-burn',
      status: 'firing',
      severity: 'page',
      summary: change.summary,
      detail: null,
      slo: 'orderAckLatency',
      episode: 1,
      burnRates: { '1h': 100, '5m': 100 },
      budgetRemaining: -99,
      session: '2025-01-02',
      time: '2025-01-02T15:01:00.000Z',
      source: 'quantbot',
    });
    expect(receiver.received[1]?.body.text.startsWith('[PAGE] RESOLVED: ')).toBe(true);
    expect(heard.sent.map((p) => p.status)).toEqual(['firing', 'resolved']);
    expect(pager.stats()).toEqual({ sent: 2, failedAttempts: 0, failures: 0, dropped: 0, queued: 0, consecutiveFailures: 0, pathDown: false });
    // After the resolve, the same key pages again (a new incident).
    expect(pager.page(change)).toBe('queued');
    await pager.close();
    expect(receiver.received).toHaveLength(3);
  });

  it('drops alerts below the minimum severity (and their resolves)', async () => {
    const { pager } = pagerFor(receiver.url, { minSeverity: 'critical' });
    expect(pager.page(alert('a', 'warning'))).toBe('below-min-severity');
    expect(pager.resolve(alert('a', 'warning'))).toBe('not-open');
    expect(pager.page(alert('b', 'info'))).toBe('below-min-severity');
    expect(pager.page(alert('c', 'critical'))).toBe('queued');
    await pager.close();
    expect(receiver.received.map((r) => r.body.key)).toEqual(['c']);
  });

  it('adapts to the Notifier port: every notification is sent, filtered by severity, and notify never rejects', async () => {
    const { pager } = pagerFor(receiver.url, { minSeverity: 'warning' });
    const notifier = webhookNotifier(pager);
    await notifier.notify({ severity: 'critical', title: 'Halted', detail: 'daily loss limit', time: clock.now() });
    await notifier.notify({ severity: 'critical', title: 'Halted', detail: 'again', time: clock.now() });
    await notifier.notify({ severity: 'info', title: 'Started', detail: '', time: clock.now() });
    await pager.close();
    expect(receiver.received.map((r) => [r.body.key, r.body.severity, r.body.detail])).toEqual([
      ['notification/Halted', 'critical', 'daily loss limit'],
      ['notification/Halted', 'critical', 'again'],
    ]);
  });

  it('refuses messages after close', async () => {
    const { pager } = pagerFor(receiver.url);
    await pager.close();
    expect(pager.page(alert('x'))).toBe('closed');
    expect(receiver.received).toHaveLength(0);
  });
});

describe('WebhookPager against a failing path', () => {
  let receiver: Receiver | undefined;
  afterEach(async () => {
    await receiver?.close();
    receiver = undefined;
  });

  it('aborts an attempt that outlasts the timeout, retries it and counts the failure', async () => {
    receiver = await startReceiver(() => undefined); // never answers
    const { pager, heard } = pagerFor(receiver.url, { timeoutMs: 150, maxAttempts: 2 });
    expect(pager.page(alert('slow'))).toBe('queued');
    await pager.idle();
    expect(receiver.received).toHaveLength(2);
    expect(heard.delays).toHaveLength(1);
    expect(pager.failures()).toBe(1);
    expect(heard.failures).toEqual([{ key: 'slow', status: 'firing', attempts: 2, reason: 'no answer within 150 ms', time: clock.now() }]);
    expect(pager.stats()).toMatchObject({ sent: 0, failedAttempts: 2, failures: 1 });
    await pager.close();
  });

  it('retries 5xx with exponential backoff and jitter, then fails and raises the path-down condition once', async () => {
    let healthy = false;
    receiver = await startReceiver((response) => void response.writeHead(healthy ? 200 : 503).end());
    const { pager, heard } = pagerFor(receiver.url, { maxAttempts: 3, pathDownAfter: 3 });
    pager.page(alert('first'));
    await pager.idle();
    expect(receiver.received).toHaveLength(3);
    expect(heard.delays).toHaveLength(2);
    expect(heard.delays[0]).toBeGreaterThanOrEqual(50);
    expect(heard.delays[0]).toBeLessThanOrEqual(100);
    expect(heard.delays[1]).toBeGreaterThanOrEqual(100);
    expect(heard.delays[1]).toBeLessThanOrEqual(200);
    expect(heard.failures.map((f) => [f.key, f.attempts, f.reason])).toEqual([['first', 3, 'HTTP 503']]);
    expect(heard.down).toHaveLength(1);
    expect(heard.down[0]).toMatchObject({ consecutiveFailures: 3, reason: 'HTTP 503', notification: { severity: 'critical', title: 'Alert path down' } });
    // Still down: no second path-down; then the receiver heals and the path is restored.
    pager.page(alert('second'));
    await pager.idle();
    expect(heard.down).toHaveLength(1);
    expect(pager.stats()).toMatchObject({ failures: 2, failedAttempts: 6, consecutiveFailures: 6, pathDown: true });
    healthy = true;
    pager.page(alert('third'));
    await pager.idle();
    expect(heard.restored).toEqual([clock.now()]);
    expect(pager.stats()).toMatchObject({ sent: 1, consecutiveFailures: 0, pathDown: false });
    await pager.close();
  });

  it('by default makes 4 attempts with delays from 1 s doubling (upper half jittered) and raises path-down after 3', async () => {
    receiver = await startReceiver((response) => void response.writeHead(502).end());
    const { pager, heard } = pagerFor(receiver.url, { backoffBaseMs: undefined, backoffMaxMs: undefined });
    pager.page(alert('defaults'));
    await pager.idle();
    expect(receiver.received).toHaveLength(4);
    expect(heard.delays).toHaveLength(3);
    heard.delays.forEach((delay, i) => {
      expect(delay).toBeGreaterThanOrEqual(500 * 2 ** i);
      expect(delay).toBeLessThanOrEqual(1000 * 2 ** i);
    });
    expect(heard.down).toHaveLength(1);
    expect(heard.logs.filter((line) => line.startsWith('error paging: 3 consecutive attempts'))).toHaveLength(1);
    await pager.close();
  });

  it('caps the backoff at backoffMaxMs', async () => {
    receiver = await startReceiver((response) => void response.writeHead(503).end());
    const { pager, heard } = pagerFor(receiver.url, { maxAttempts: 8, backoffBaseMs: 100, backoffMaxMs: 300 });
    pager.page(alert('capped'));
    await pager.idle();
    expect(heard.delays).toHaveLength(7);
    expect(Math.max(...heard.delays)).toBeLessThanOrEqual(300);
    expect(heard.delays.slice(2).every((delay) => delay >= 150)).toBe(true);
    await pager.close();
  });

  it('holds 100 messages by default', async () => {
    receiver = await startReceiver(() => undefined);
    const { pager } = pagerFor(receiver.url, { timeoutMs: 60_000 });
    for (let i = 0; i <= 101; i++) pager.page(alert(`k${i}`));
    expect(pager.stats()).toMatchObject({ queued: 100, dropped: 1 });
    await pager.close(10);
  });

  it('does not retry an answer that will not change (404)', async () => {
    receiver = await startReceiver((response) => void response.writeHead(404).end('no such hook'));
    const { pager, heard } = pagerFor(receiver.url, { maxAttempts: 4 });
    pager.page(alert('gone'));
    await pager.idle();
    expect(receiver.received).toHaveLength(1);
    expect(heard.delays).toEqual([]);
    expect(heard.failures.map((f) => f.reason)).toEqual(['HTTP 404']);
    await pager.close();
  });

  it('counts refused connections as failures and never throws into the caller', async () => {
    const port = await closedPort();
    const { pager, heard } = pagerFor(`http://127.0.0.1:${port}/hook`, { maxAttempts: 2, pathDownAfter: 2 });
    expect(pager.page(alert('refused'))).toBe('queued');
    await pager.idle();
    expect(heard.failures).toHaveLength(1);
    expect(heard.failures[0]?.reason).toBe('ECONNREFUSED');
    expect(heard.down).toHaveLength(1);
    await pager.close();
  });

  it('keeps the queue bounded: when full it drops the oldest info or warning first, and counts drops', async () => {
    const release: (() => void)[] = [];
    receiver = await startReceiver((response) => release.push(() => ok(response)));
    const { pager } = pagerFor(receiver.url, { minSeverity: 'info', queueCapacity: 2 });
    pager.page(alert('c1', 'critical')); // in flight at once
    pager.page(alert('w1', 'warning'));
    pager.page(alert('c2', 'critical'));
    pager.page(alert('c3', 'critical')); // full: w1 goes
    pager.page(alert('c4', 'critical')); // full, nothing low: the oldest (c2) goes
    expect(pager.stats()).toMatchObject({ dropped: 2, queued: 2 });
    // Release each request as it arrives (bounded: four at most).
    for (let i = 0; i < 4 && (receiver.received.length < 3 || release.length > 0); i++) {
      await until(() => release.length > 0);
      release.shift()?.();
      await until(() => release.length > 0 || pager.stats().queued === 0);
    }
    await pager.idle();
    expect(receiver.received.map((r) => r.body.key)).toEqual(['c1', 'c3', 'c4']);
    await pager.close();
  });

  it('close waits a bounded time, then aborts the send in flight and counts what is left as dropped', async () => {
    receiver = await startReceiver(() => undefined);
    const { pager } = pagerFor(receiver.url, { timeoutMs: 60_000 });
    pager.page(alert('a'));
    pager.page(alert('b'));
    const stats = await pager.close(50);
    expect(stats).toMatchObject({ sent: 0, dropped: 1, failures: 1, queued: 0 });
    expect(receiver.received.map((r) => r.body.key)).toEqual(['a']);
  });

  it('survives callbacks that throw', async () => {
    receiver = await startReceiver((response) => void response.writeHead(500).end());
    const boom = (): never => {
      throw new Error('callback bug');
    };
    const { pager } = pagerFor(receiver.url, { maxAttempts: 1, pathDownAfter: 1, onFailure: boom, onPathDown: boom, logger: { info: boom, warn: boom, error: boom } });
    expect(pager.page(alert('x'))).toBe('queued');
    await pager.idle();
    expect(pager.failures()).toBe(1);
    await pager.close();
  });
});

describe('secrets of the webhook URL', () => {
  const TOKEN = 'T0KEN-SECRET-9f8e7d';
  const QUERY = 'QUERY-SECRET-1a2b3c';

  it('never appear in logs, failures, path-down notices or the target', async () => {
    const failing = await startReceiver((response) => void response.writeHead(503).end(`bad hook /services/${TOKEN}`));
    const port = await closedPort();
    try {
      for (const base of [failing.url, `http://127.0.0.1:${port}`]) {
        const url = `${base}/services/${TOKEN}?token=${QUERY}`;
        const { pager, heard } = pagerFor(url, { maxAttempts: 2, pathDownAfter: 2 });
        pager.page(alert('secret-test'));
        await pager.idle();
        await pager.close();
        expect(heard.failures).toHaveLength(1);
        expect(heard.down).toHaveLength(1);
        const everything = JSON.stringify([heard.logs, heard.failures, heard.down, pager.target, pager.stats()]);
        expect(heard.logs.length).toBeGreaterThan(2);
        expect(everything).not.toContain(TOKEN);
        expect(everything).not.toContain(QUERY);
        expect(everything).not.toContain('/services/');
        expect(pager.target).toBe(`${base}/…`);
      }
      // The receiver did get the real URL.
      expect(failing.received[0]?.path).toBe(`/services/${TOKEN}?token=${QUERY}`);
    } finally {
      await failing.close();
    }
  });

  it('redactWebhookUrl shows scheme and host only', () => {
    expect(redactWebhookUrl(`https://user:pa55word@hooks.example:8443/services/${TOKEN}?token=${QUERY}#frag`)).toBe('https://hooks.example:8443/…');
    expect(redactWebhookUrl('not a url')).toBe('[invalid URL]');
  });

  it('configuration errors never show the URL', () => {
    for (const url of [`ftp://user:pa55word@hooks.example/${TOKEN}?q=${QUERY}`, `https://exa mple/${TOKEN}`]) {
      let message = '';
      try {
        pagingConfigFromEnv({ SLO_PAGING_ENABLED: 'true', SLO_PAGING_WEBHOOK_URL: url });
      } catch (error) {
        message = (error as Error).message;
      }
      expect(message.startsWith('SLO_PAGING_WEBHOOK_URL: ')).toBe(true);
      expect(message).not.toContain(TOKEN);
      expect(message).not.toContain('pa55word');
    }
    expect(() => new WebhookPager({ url: `ftp://hooks.example/${TOKEN}`, clock })).toThrow(new ConfigError('url', 'must be http or https, got ftp://hooks.example/…'));
  });
});

describe('pagingConfigFromEnv', () => {
  it('defaults to disabled, critical, 5 s', () => {
    expect(pagingConfigFromEnv({})).toEqual({ enabled: false, webhookUrl: null, minSeverity: 'critical', timeoutMs: 5000 });
    expect(pagingConfigFromEnv({ SLO_PAGING_ENABLED: '', SLO_PAGING_MIN_SEVERITY: ' ' }).enabled).toBe(false);
  });

  it('reads every variable', () => {
    expect(
      pagingConfigFromEnv({ SLO_PAGING_ENABLED: 'TRUE', SLO_PAGING_WEBHOOK_URL: 'https://hooks.example/x/y', SLO_PAGING_MIN_SEVERITY: 'Page', SLO_PAGING_TIMEOUT_SECONDS: '2.5' }),
    ).toEqual({ enabled: true, webhookUrl: 'https://hooks.example/x/y', minSeverity: 'page', timeoutMs: 2500 });
    expect(pagingConfigFromEnv({ SLO_PAGING_ENABLED: '1', SLO_PAGING_WEBHOOK_URL: 'http://127.0.0.1:9/h' }).enabled).toBe(true);
    expect(pagingConfigFromEnv({ SLO_PAGING_ENABLED: '0' }).enabled).toBe(false);
  });

  it.each([
    [{ SLO_PAGING_ENABLED: 'yes' }, 'SLO_PAGING_ENABLED: must be true, false, 1 or 0, got "yes"'],
    [{ SLO_PAGING_ENABLED: 'true' }, 'SLO_PAGING_WEBHOOK_URL: is required when SLO_PAGING_ENABLED is true'],
    [{ SLO_PAGING_MIN_SEVERITY: 'urgent' }, 'SLO_PAGING_MIN_SEVERITY: must be one of info, warning, critical, page, got "urgent"'],
    [{ SLO_PAGING_TIMEOUT_SECONDS: '0' }, 'SLO_PAGING_TIMEOUT_SECONDS: must be a positive number of seconds, got "0"'],
    [{ SLO_PAGING_TIMEOUT_SECONDS: 'soon' }, 'SLO_PAGING_TIMEOUT_SECONDS: must be a positive number of seconds, got "soon"'],
    [{ SLO_PAGING_WEBHOOK_URL: 'mailto:ops@example.com' }, 'SLO_PAGING_WEBHOOK_URL: must be an http or https URL, got mailto://…'],
  ])('refuses %j', (env, message) => {
    expect(() => pagingConfigFromEnv(env)).toThrow(message);
  });
});

/** Polls `condition` on the event loop, bounded to 2000 turns of about 1 ms. */
async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 2000 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 1));
}
