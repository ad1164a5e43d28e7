import { createServer } from 'node:http';
import type { ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { routeMarketData } from './fake-market-data';
import type { FakeBarStore } from './fake-market-data';
import type { FakeReply } from './fake-http';

export interface FakeMarketDataServerOptions {
  readonly store: FakeBarStore;
  readonly credentials: { readonly keyId: string; readonly secretKey: string };
  /** The server's clock, epoch ms: bars after it are not served. */
  readonly now: () => number;
  readonly port?: number;
  /** Default 127.0.0.1. */
  readonly host?: string;
}

export interface FakeMarketDataServer {
  readonly url: string;
  readonly port: number;
  /** Requests received, as `METHOD path?query`, in order. */
  readonly requests: readonly string[];
  close(): Promise<void>;
}

/**
 * A stand-alone fake of Alpaca's market-data host (data.alpaca.markets is a different host from
 * the Trading API): real `node:http` on loopback, serving `routeMarketData` over `store`.
 * Requests without the right `APCA-API-KEY-ID` / `APCA-API-SECRET-KEY` get 403, as Alpaca's
 * market-data API answers them; other paths 404.
 */
export async function startFakeMarketDataServer(options: FakeMarketDataServerOptions): Promise<FakeMarketDataServer> {
  const { store, credentials, now } = options;
  const requests: string[] = [];

  const write = (res: ServerResponse, reply: FakeReply): void => {
    const text = reply.body === undefined ? '' : JSON.stringify(reply.body);
    res.writeHead(reply.status, { ...(reply.headers ?? {}), ...(reply.body === undefined ? {} : { 'content-type': 'application/json; charset=UTF-8' }) });
    res.end(text);
  };

  const server = createServer((req, res) => {
    // Drain any body; these endpoints are GET only.
    req.resume();
    req.on('end', () => {
      try {
        const method = req.method ?? 'GET';
        const url = new URL(req.url ?? '/', 'http://fake.local');
        requests.push(`${method} ${url.pathname}${url.search}`);
        if (req.headers['apca-api-key-id'] !== credentials.keyId || req.headers['apca-api-secret-key'] !== credentials.secretKey) {
          write(res, { status: 403, body: { code: 40310000, message: 'forbidden' } });
          return;
        }
        write(res, routeMarketData(method, url, store, now()) ?? { status: 404, body: { code: 40400000, message: 'endpoint not found' } });
      } catch {
        write(res, { status: 500, body: { code: 50000000, message: 'internal server error' } });
      }
    });
  });

  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    requests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
