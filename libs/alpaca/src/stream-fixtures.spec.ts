import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { WebSocket, request } from 'undici';
import { startFakeAlpacaServer } from './fake';

const KEY = 'PKFIXSTREAM';
const SECRET = 'fixture-stream-secret';

/** Same key set; where both sides are non-null, the same JSON type. */
function expectSameShape(actual: Record<string, unknown>, expected: Record<string, unknown>, where: string): void {
  expect([where, Object.keys(actual).sort()]).toEqual([where, Object.keys(expected).sort()]);
  for (const key of Object.keys(expected)) {
    if (actual[key] === null || expected[key] === null) continue;
    expect([`${where}.${key}`, typeof actual[key]]).toEqual([`${where}.${key}`, typeof expected[key]]);
  }
}

describe("the fake's trade_updates messages have the shape of Alpaca's documented fill", () => {
  it('sends a fill over a binary frame with the documented fields', async () => {
    const server = await startFakeAlpacaServer({ credentials: { keyId: KEY, secretKey: SECRET }, now: () => Date.parse('2024-03-05T15:00:00Z') });
    const socket = new WebSocket(`${server.url.replace('http', 'ws')}/stream`);
    socket.binaryType = 'arraybuffer';
    const messages: { binary: boolean; body: Record<string, unknown> }[] = [];
    socket.addEventListener('message', (event) => {
      const data: unknown = event.data;
      const binary = typeof data !== 'string';
      const text = binary ? new TextDecoder().decode(data as ArrayBuffer) : (data as string);
      messages.push({ binary, body: JSON.parse(text) as Record<string, unknown> });
    });
    try {
      await new Promise<void>((resolve, reject) => {
        socket.addEventListener('open', () => resolve());
        socket.addEventListener('error', () => reject(new Error('websocket failed')));
      });
      const waitFor = async (n: number): Promise<void> => {
        const deadline = performance.now() + 3_000;
        while (messages.length < n) {
          if (performance.now() > deadline) throw new Error(`only ${messages.length} messages`);
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
      };
      socket.send(JSON.stringify({ action: 'auth', key: KEY, secret: SECRET }));
      await waitFor(1);
      expect(messages[0]?.body).toEqual({ stream: 'authorization', data: { action: 'authenticate', status: 'authorized' } });
      socket.send(JSON.stringify({ action: 'listen', data: { streams: ['trade_updates'] } }));
      await waitFor(2);
      expect(messages[1]?.body).toEqual({ stream: 'listening', data: { streams: ['trade_updates'] } });
      server.state.setPrice('AAPL', 179.08);
      const res = await request(`${server.url}/v2/orders`, {
        method: 'POST',
        headers: { 'APCA-API-KEY-ID': KEY, 'APCA-API-SECRET-KEY': SECRET, 'content-type': 'application/json' },
        body: JSON.stringify({ symbol: 'AAPL', qty: '100', side: 'buy', type: 'market', time_in_force: 'day' }),
      });
      await res.body.dump();
      await waitFor(4);
      expect(messages.every((m) => m.binary)).toBe(true);
      const fill = messages[3]?.body as { stream: string; data: Record<string, unknown> };
      const expected = JSON.parse(readFileSync(join(__dirname, '..', 'test-fixtures', 'trade-update-fill.json'), 'utf8')) as {
        data: Record<string, unknown>;
      };
      expect(fill.stream).toBe('trade_updates');
      expectSameShape(fill.data, expected.data, 'data');
      expectSameShape(fill.data['order'] as Record<string, unknown>, expected.data['order'] as Record<string, unknown>, 'data.order');
      expect(fill.data).toMatchObject({ event: 'fill', price: '179.08', qty: '100', position_qty: '100' });
      expect((messages[2]?.body['data'] as Record<string, unknown>)['event']).toBe('new');
    } finally {
      socket.close();
      await server.close();
    }
  });
});
