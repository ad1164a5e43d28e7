import { WebSocket } from 'undici';
import { QuantbotError } from '@quantbot/core';
import type { SeededRng } from '@quantbot/core';

/** A stream could not be used: refused credentials, or a server that breaks the protocol. */
export class AlpacaStreamError extends QuantbotError {
  readonly fatal: boolean;

  constructor(message: string, fatal: boolean, options?: { cause?: unknown }) {
    super('ALPACA_STREAM', message, options);
    this.fatal = fatal;
  }
}

export type StreamState = 'idle' | 'connecting' | 'authenticating' | 'subscribing' | 'ready' | 'reconnecting' | 'closed';

export interface StreamTiming {
  /** Wall clock or monotonic time in ms (heartbeat bookkeeping). */
  readonly now: () => number;
  /** Jitter of the reconnect backoff. */
  readonly rng: SeededRng;
  /** With nothing received for this long, send a probe. Default 15 000. */
  readonly heartbeatIntervalMs?: number;
  /** A probe not answered within this is a dead connection: drop it and reconnect. Default 5 000. */
  readonly heartbeatTimeoutMs?: number;
  /** Opening, authenticating and subscribing must finish within this. Default 10 000. */
  readonly connectTimeoutMs?: number;
  /** First reconnect delay; doubled per failed attempt, half jittered. Default 250. */
  readonly reconnectBaseMs?: number;
  readonly reconnectMaxMs?: number;
}

export interface StreamEvents {
  /** Every state change, for logs and health checks. */
  readonly onState?: (state: StreamState, detail: string) => void;
  /** A failure that the stream handles itself (it reconnects); for logs and counters. */
  readonly onError?: (error: AlpacaStreamError) => void;
}

/** What the concrete stream (trading or market data) tells the connection to do with a message. */
export type ProtocolStep =
  | { readonly kind: 'send'; readonly message: unknown }
  | { readonly kind: 'authenticated' }
  | { readonly kind: 'subscribed' }
  | { readonly kind: 'fatal'; readonly message: string }
  | { readonly kind: 'retry'; readonly message: string };

/**
 * One logical stream over a sequence of WebSocket connections: connect, authenticate,
 * subscribe, watch for silence, reconnect with jittered backoff, resubscribe. The protocol
 * (message shapes) is the subclass's; this class owns the lifecycle and its timers.
 */
export abstract class StreamConnection {
  readonly #url: string;
  readonly #timing: StreamTiming;
  readonly #events: StreamEvents;
  #state: StreamState = 'idle';
  #socket: WebSocket | undefined;
  #attempt = 0;
  #connections = 0;
  #lastMessageAt = 0;
  #probeSentAt: number | null = null;
  #heartbeatTimer: NodeJS.Timeout | undefined;
  #connectTimer: NodeJS.Timeout | undefined;
  #reconnectTimer: NodeJS.Timeout | undefined;
  #firstReady: { resolve: () => void; reject: (error: Error) => void } | undefined;
  #pending: Promise<void> = Promise.resolve();

  protected constructor(url: string, timing: StreamTiming, events: StreamEvents) {
    this.#url = url;
    this.#timing = timing;
    this.#events = events;
  }

  get state(): StreamState {
    return this.#state;
  }

  /** How many connections were opened so far (1 + reconnects). */
  get connections(): number {
    return this.#connections;
  }

  /**
   * Connects and resolves once authenticated, subscribed and caught up (`onReady`). Rejects when
   * the server refuses the credentials (no retry: the same key would be refused again) or when
   * the first catch-up fails (the stream is then closed); any other failure of the first
   * connection is retried like a later one.
   */
  start(): Promise<void> {
    if (this.#state !== 'idle') return Promise.reject(new AlpacaStreamError('stream already started', true));
    return new Promise<void>((resolve, reject) => {
      this.#firstReady = { resolve, reject };
      this.#open();
    });
  }

  /** Closes the stream for good and waits for in-flight message handling. */
  async close(): Promise<void> {
    if (this.#state === 'closed') return;
    this.#setState('closed', 'closed by the caller');
    this.#clearTimers();
    this.#drop();
    this.#firstReady?.reject(new AlpacaStreamError('stream closed before it was ready', true));
    this.#firstReady = undefined;
    await this.#pending;
  }

  /** Sends a message on the current connection (no-op while disconnected). */
  protected send(message: unknown): void {
    const socket = this.#socket;
    if (socket !== undefined && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message));
  }

  protected abstract onOpened(): ProtocolStep[];
  protected abstract onMessage(payload: unknown, state: StreamState): ProtocolStep[];
  /** The messages that (re)establish the subscription after authentication. */
  protected abstract subscribeMessages(): unknown[];
  /** A message whose answer proves the connection alive (e.g. repeating the subscription). */
  protected abstract probeMessage(): unknown;
  /** Called once subscribed; `reconnected` is false for the first connection. Awaited in order. */
  protected abstract onReady(reconnected: boolean): Promise<void>;

  /** Runs `task` after every earlier one: message handling stays in arrival order across awaits. */
  protected enqueue(task: () => Promise<void> | void): void {
    this.#pending = this.#pending.then(task).catch((error: unknown) => {
      this.#events.onError?.(
        error instanceof AlpacaStreamError ? error : new AlpacaStreamError(`stream handler failed: ${String(error)}`, false, { cause: error }),
      );
    });
  }

  // ---------------------------------------------------------------- lifecycle

  #open(): void {
    if (this.#state === 'closed') return;
    this.#connections++;
    this.#setState('connecting', `connection ${this.#connections}`);
    const socket = new WebSocket(this.#url);
    socket.binaryType = 'arraybuffer';
    this.#socket = socket;
    this.#connectTimer = setTimeout(() => {
      this.#lost(new AlpacaStreamError(`no ready stream within ${this.#timing.connectTimeoutMs ?? 10_000} ms`, false));
    }, this.#timing.connectTimeoutMs ?? 10_000);

    socket.addEventListener('open', () => {
      if (socket !== this.#socket) return;
      this.#lastMessageAt = this.#timing.now();
      this.#setState('authenticating', 'socket open');
      this.#apply(this.onOpened());
    });
    socket.addEventListener('message', (event) => {
      if (socket !== this.#socket) return;
      this.#lastMessageAt = this.#timing.now();
      this.#probeSentAt = null;
      let payload: unknown;
      try {
        const data: unknown = event.data;
        const text = typeof data === 'string' ? data : new TextDecoder().decode(data as ArrayBuffer);
        // An empty frame is a keep-alive: it proved the connection alive (above), nothing more.
        if (text.trim() === '') return;
        payload = JSON.parse(text) as unknown;
      } catch (error) {
        this.#events.onError?.(new AlpacaStreamError('a stream message is not valid JSON; ignored', false, { cause: error }));
        return;
      }
      this.#apply(this.onMessage(payload, this.#state));
    });
    socket.addEventListener('close', (event) => {
      if (socket !== this.#socket) return;
      this.#lost(new AlpacaStreamError(`connection closed (code ${event.code}${event.reason ? `: ${event.reason}` : ''})`, false));
    });
    socket.addEventListener('error', () => {
      if (socket !== this.#socket) return;
      this.#lost(new AlpacaStreamError('connection failed', false));
    });
  }

  #apply(steps: ProtocolStep[]): void {
    for (const step of steps) {
      if (this.#state === 'closed') return;
      switch (step.kind) {
        case 'send':
          this.send(step.message);
          break;
        case 'authenticated':
          this.#setState('subscribing', 'authenticated');
          for (const message of this.subscribeMessages()) this.send(message);
          break;
        case 'subscribed':
          if (this.#state === 'subscribing') this.#ready();
          break;
        case 'fatal':
          this.#fatal(new AlpacaStreamError(step.message, true));
          return;
        case 'retry':
          this.#lost(new AlpacaStreamError(step.message, false));
          return;
      }
    }
  }

  #ready(): void {
    clearTimeout(this.#connectTimer);
    const reconnected = this.#connections > 1;
    this.#attempt = 0;
    this.#setState('ready', reconnected ? 'resubscribed' : 'subscribed');
    this.#startHeartbeat();
    const first = this.#firstReady;
    this.#firstReady = undefined;
    const connection = this.#socket;
    this.enqueue(async () => {
      try {
        await this.onReady(reconnected);
      } catch (error) {
        // A recovery that fails must never leave the stream looking ready with a gap behind it,
        // nor `start()` waiting forever: the first one rejects `start()` (the caller fails
        // closed); a later one drops the connection, and the next connection recovers again.
        const failure = new AlpacaStreamError(`recovery after ${reconnected ? 'reconnecting' : 'connecting'} failed: ${(error as Error).message ?? String(error)}`, false, { cause: error });
        if (first !== undefined) this.#failStart(first, failure);
        else if (connection === this.#socket) this.#lost(failure);
        return;
      }
      first?.resolve();
    });
  }

  /** The first connection could not be made ready: the stream closes, `start()` rejects with `error`. */
  #failStart(first: { reject: (error: Error) => void }, error: AlpacaStreamError): void {
    this.#events.onError?.(error);
    this.#setState('closed', error.message);
    this.#clearTimers();
    this.#drop();
    first.reject(error);
  }

  #startHeartbeat(): void {
    clearInterval(this.#heartbeatTimer);
    const interval = this.#timing.heartbeatIntervalMs ?? 15_000;
    const timeout = this.#timing.heartbeatTimeoutMs ?? 5_000;
    this.#probeSentAt = null;
    this.#heartbeatTimer = setInterval(
      () => {
        const now = this.#timing.now();
        if (this.#probeSentAt !== null) {
          if (now - this.#probeSentAt >= timeout) {
            this.#lost(new AlpacaStreamError(`no answer to a heartbeat probe within ${timeout} ms: connection presumed dead`, false));
          }
          return;
        }
        if (now - this.#lastMessageAt >= interval) {
          this.#probeSentAt = now;
          this.send(this.probeMessage());
        }
      },
      Math.max(10, Math.min(interval, timeout) / 4),
    );
  }

  /** The connection is gone or unusable: drop it and schedule the next attempt. */
  #lost(error: AlpacaStreamError): void {
    if (this.#state === 'closed' || this.#state === 'reconnecting') return;
    this.#events.onError?.(error);
    this.#clearTimers();
    this.#drop();
    const base = this.#timing.reconnectBaseMs ?? 250;
    const max = this.#timing.reconnectMaxMs ?? 30_000;
    const step = Math.min(max, base * 2 ** this.#attempt);
    const delay = Math.round(step / 2 + (this.#timing.rng.nextFloat() * step) / 2);
    this.#attempt++;
    this.#setState('reconnecting', `${error.message}; retry in ${delay} ms`);
    this.#reconnectTimer = setTimeout(() => {
      this.#reconnectTimer = undefined;
      if (this.#state === 'reconnecting') this.#open();
    }, delay);
  }

  #fatal(error: AlpacaStreamError): void {
    this.#events.onError?.(error);
    this.#setState('closed', error.message);
    this.#clearTimers();
    this.#drop();
    this.#firstReady?.reject(error);
    this.#firstReady = undefined;
  }

  #drop(): void {
    const socket = this.#socket;
    this.#socket = undefined;
    if (socket === undefined) return;
    try {
      socket.close();
    } catch {
      // Closing a socket that never opened throws in some states; it is being discarded anyway.
    }
  }

  #clearTimers(): void {
    clearTimeout(this.#connectTimer);
    clearInterval(this.#heartbeatTimer);
    clearTimeout(this.#reconnectTimer);
    this.#heartbeatTimer = undefined;
    this.#reconnectTimer = undefined;
  }

  #setState(state: StreamState, detail: string): void {
    this.#state = state;
    this.#events.onState?.(state, detail);
  }
}
