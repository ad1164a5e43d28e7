import { ConfigError, SeededRng } from '@quantbot/core';
import { AlpacaClient } from '../alpaca-client';
import type { SubmitOrderRequest } from '../alpaca-client';
import { startFakeAlpacaServer } from './fake-alpaca-server';
import type { FakeAlpacaServer, FakeAlpacaServerOptions, FakeBar } from './fake-alpaca-server';
import type { FakeFillMode } from './fake-order-engine';

const KEY = 'PKFILLMODE01';
const SECRET = 'fill-mode-secret-2718';
const NOW = Date.parse('2024-03-05T15:00:00Z');

const bar = (open: number, high: number, low: number, close: number, minute = 0, volume = 10_000): FakeBar => ({
  time: NOW + minute * 60_000,
  open,
  high,
  low,
  close,
  volume,
});

describe('the fake server fill modes', () => {
  let server: FakeAlpacaServer;
  let client: AlpacaClient;

  const start = async (options: Partial<FakeAlpacaServerOptions> = {}): Promise<void> => {
    server = await startFakeAlpacaServer({ credentials: { keyId: KEY, secretKey: SECRET }, now: () => NOW, seed: 8, ...options });
    client = new AlpacaClient({ credentials: { keyId: KEY, secretKey: SECRET, baseUrl: server.url, mode: 'custom' }, now: () => NOW, rng: new SeededRng(6), timeoutMs: 2_000 });
  };

  afterEach(async () => {
    await client.close();
    await server.close();
  });

  const submit = (request: Omit<SubmitOrderRequest, 'time_in_force'> & { time_in_force?: SubmitOrderRequest['time_in_force'] }): ReturnType<AlpacaClient['submitOrder']> =>
    client.submitOrder({ time_in_force: 'gtc', ...request });

  it.each<[FakeFillMode | undefined, string, number | null]>([
    [undefined, 'filled', 100],
    ['trade', 'filled', 100],
    ['bar', 'new', null],
  ])('fillOn %s: a market order submitted with a last price of 100 is %s at %s', async (fillOn, status, price) => {
    await start(fillOn === undefined ? {} : { fillOn });
    expect(server.state.fillOn).toBe(fillOn ?? 'trade');
    server.state.setPrice('AAPL', 100);
    const order = await submit({ symbol: 'AAPL', qty: 5, side: 'buy', type: 'market' });
    expect(order.status).toBe(status);
    expect(order.filledAvgPrice).toBe(price);
  });

  it('bar mode: trades fill nothing; the next bar fills a market order at its open, with no slippage and no fee', async () => {
    await start({ fillOn: 'bar', startingCash: 10_000 });
    server.state.setPrice('AAPL', 100);
    const order = await submit({ symbol: 'AAPL', qty: 10, side: 'buy', type: 'market', client_order_id: 'm-1' });
    server.state.setPrice('AAPL', 99);
    server.state.setPrice('AAPL', 101);
    expect((await client.getOrder(order.id)).status).toBe('new');
    server.state.pushBar('AAPL', bar(102, 104, 101, 103));
    expect(await client.getOrder(order.id)).toMatchObject({ status: 'filled', filledQty: 10, filledAvgPrice: 102 });
    expect(server.state.cash).toBe(10_000 - 10 * 102);
    // Valued at the bar's close afterwards.
    expect((await client.getAccount()).equity).toBeCloseTo(10_000 - 1_020 + 1_030, 9);
  });

  it.each<[string, Omit<SubmitOrderRequest, 'symbol' | 'qty' | 'time_in_force'>, FakeBar, number | null]>([
    ['buy limit below the open, reached by the low: the limit', { side: 'buy', type: 'limit', limit_price: 99 }, bar(100, 101, 98, 100), 99],
    ['buy limit above the open: the open', { side: 'buy', type: 'limit', limit_price: 105 }, bar(100, 101, 98, 100), 100],
    ['buy limit not reached: no fill', { side: 'buy', type: 'limit', limit_price: 97 }, bar(100, 101, 98, 100), null],
    ['sell limit above the open, reached by the high: the limit', { side: 'sell', type: 'limit', limit_price: 101 }, bar(100, 102, 99, 100), 101],
    ['sell limit below the open: the open', { side: 'sell', type: 'limit', limit_price: 95 }, bar(100, 102, 99, 100), 100],
    ['buy stop reached inside the bar: the stop', { side: 'buy', type: 'stop', stop_price: 101 }, bar(100, 102, 99, 100), 101],
    ['buy stop gapped through: the open', { side: 'buy', type: 'stop', stop_price: 101 }, bar(103, 104, 102, 103), 103],
    ['sell stop reached inside the bar: the stop', { side: 'sell', type: 'stop', stop_price: 99 }, bar(100, 101, 98, 100), 99],
    ['sell stop gapped through: the open', { side: 'sell', type: 'stop', stop_price: 99 }, bar(97, 98, 96, 97), 97],
    ['sell stop not reached: no fill', { side: 'sell', type: 'stop', stop_price: 95 }, bar(100, 101, 98, 100), null],
  ])('bar mode, %s', async (_name, request, next, price) => {
    await start({ fillOn: 'bar' });
    server.state.setPrice('SPY', 100);
    const order = await submit({ symbol: 'SPY', qty: 3, ...request });
    // A trade through every price fills nothing in bar mode.
    for (const p of [90, 110, 100]) server.state.setPrice('SPY', p);
    expect((await client.getOrder(order.id)).status).toBe('new');
    server.state.pushBar('SPY', next);
    const after = await client.getOrder(order.id);
    expect(after.status).toBe(price === null ? 'new' : 'filled');
    expect(after.filledAvgPrice).toBe(price);
  });

  it('bar mode: an order placed after a bar waits for the next one, and a replacement waits too', async () => {
    await start({ fillOn: 'bar' });
    server.state.pushBar('MSFT', bar(400, 401, 399, 400, 0));
    const order = await submit({ symbol: 'MSFT', qty: 2, side: 'buy', type: 'limit', limit_price: 380 });
    const replacement = await client.replaceOrder(order.id, { limit_price: 405, client_order_id: 'r-1' });
    expect(replacement.status).toBe('new');
    server.state.pushBar('MSFT', bar(402, 403, 401, 402, 1));
    expect(await client.getOrder(replacement.id)).toMatchObject({ status: 'filled', filledAvgPrice: 402 });
  });

  it('bar mode: closing a position is a market order for the next open', async () => {
    await start({ fillOn: 'bar' });
    await submit({ symbol: 'NVDA', qty: 4, side: 'buy', type: 'market' });
    server.state.pushBar('NVDA', bar(50, 51, 49, 50, 0));
    const close = await client.closePosition('NVDA');
    expect(close.status).toBe('new');
    server.state.pushBar('NVDA', bar(55, 56, 54, 55, 1));
    expect(await client.getOrder(close.id)).toMatchObject({ status: 'filled', filledAvgPrice: 55, side: 'sell' });
    expect(await client.listPositions()).toEqual([]);
    expect(server.state.cash).toBe(100_000 + 4 * 5);
  });

  it('bar mode with a participation cap: partial fills across bars; a triggered stop takes the next opens', async () => {
    await start({ fillOn: 'bar', barParticipation: 0.1 });
    const market = await submit({ symbol: 'AMD', qty: 250, side: 'buy', type: 'market' });
    const stop = await submit({ symbol: 'AMD', qty: 150, side: 'sell', type: 'stop', stop_price: 18 });
    server.state.pushBar('AMD', bar(20, 21, 19, 20, 0, 1_000)); // 100 each at most
    expect(await client.getOrder(market.id)).toMatchObject({ status: 'partially_filled', filledQty: 100, filledAvgPrice: 20 });
    expect((await client.getOrder(stop.id)).filledQty).toBe(0);
    server.state.pushBar('AMD', bar(19, 19.5, 17, 17.5, 1, 1_000)); // the stop triggers at 18
    expect(await client.getOrder(stop.id)).toMatchObject({ status: 'partially_filled', filledQty: 100, filledAvgPrice: 18 });
    server.state.pushBar('AMD', bar(18.5, 19, 18.2, 18.8, 2, 1_000)); // above the stop again: the triggered rest fills at the open
    expect(await client.getOrder(stop.id)).toMatchObject({ status: 'filled', filledQty: 150 });
    expect((await client.getOrder(stop.id)).filledAvgPrice).toBeCloseTo((100 * 18 + 50 * 18.5) / 150, 5);
    expect(await client.getOrder(market.id)).toMatchObject({ status: 'filled', filledQty: 250 });
  });

  it('trade mode keeps filling on trades, and a partly filled stop keeps filling after the price comes back', async () => {
    await start({ maxFillQty: 10 });
    server.state.setPrice('F', 12);
    const stop = await submit({ symbol: 'F', qty: 20, side: 'sell', type: 'stop', stop_price: 11 });
    server.state.setPrice('F', 10.9);
    server.state.setPrice('F', 11.5);
    expect(await client.getOrder(stop.id)).toMatchObject({ status: 'filled', filledQty: 20 });
    expect((await client.getOrder(stop.id)).filledAvgPrice).toBeCloseTo(11.2, 9);
  });

  it('refuses an unknown fill mode', async () => {
    await expect(startFakeAlpacaServer({ credentials: { keyId: KEY, secretKey: SECRET }, now: () => NOW, fillOn: 'tick' as FakeFillMode })).rejects.toThrow(ConfigError);
    await start(); // for afterEach
  });
});
