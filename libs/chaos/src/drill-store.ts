import { cpSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import { join } from 'node:path';
import { openLiveStateStore } from '@quantbot/live';
import type {
  LiveAuditRecord,
  LiveAuditVerification,
  LiveFillRecord,
  LiveOperatorAction,
  LiveJournalWindow,
  LiveOrderRecord,
  LiveRefusal,
  LiveRefusalRequest,
  LiveSaveBatch,
  LiveStateStore,
  LiveStateStoreHandle,
  ListedCheckpoint,
  SetAsideCheckpoint,
  StoredCheckpoint,
} from '@quantbot/live';
import { openDatabase, parseDatabaseUrl } from '@quantbot/storage';
import { sql } from 'kysely';
import { DrillError } from './drill-error';

/**
 * Where a drill's session keeps its state: the embedded database (PGlite in a temporary data
 * directory, the users' default) or a Postgres server (`url`), in a schema of its own that the
 * drill drops at the end.
 */
export type DrillStorage =
  | {
      readonly kind: 'embedded';
      /**
       * A database to copy instead of creating one: creating takes about 12 s, copying under one
       * (`runDrills` shares one among the drills of a run).
       */
      readonly template?: EmbeddedTemplate;
    }
  | { readonly kind: 'server'; readonly url: string };

/**
 * An embedded database with the live state migrations applied, closed, in `dataDir`: created the
 * first time `path()` is asked for, then copied by each drill.
 */
export class EmbeddedTemplate {
  readonly dataDir: string;
  #created: Promise<string> | undefined;

  constructor(dataDir: string) {
    this.dataDir = dataDir;
  }

  path(): Promise<string> {
    this.#created ??= openLiveStateStore({ dataDir: this.dataDir }).then(async (handle) => {
      await handle.close();
      return this.dataDir;
    });
    return this.#created;
  }
}

/**
 * A TCP relay on 127.0.0.1 in front of a Postgres server: the session connects through it, so a
 * drill can take the database away for real. `cut()` destroys every connection and refuses new
 * ones (the client sees the server go, as when it crashes or the network drops); `restore()`
 * lets connections through again.
 */
export class TcpRelay {
  readonly #server: Server;
  readonly #target: { readonly host: string; readonly port: number };
  readonly #sockets = new Set<Socket>();
  #isCut = false;

  private constructor(server: Server, target: { readonly host: string; readonly port: number }) {
    this.#server = server;
    this.#target = target;
    server.on('connection', (client) => this.#relay(client));
  }

  static async start(target: { readonly host: string; readonly port: number }): Promise<TcpRelay> {
    const server = createServer();
    const relay = new TcpRelay(server, target);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    return relay;
  }

  get port(): number {
    return (this.#server.address() as AddressInfo).port;
  }

  get isCut(): boolean {
    return this.#isCut;
  }

  cut(): void {
    this.#isCut = true;
    for (const socket of this.#sockets) socket.destroy();
    this.#sockets.clear();
  }

  restore(): void {
    this.#isCut = false;
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #relay(client: Socket): void {
    if (this.#isCut) {
      client.destroy();
      return;
    }
    const upstream = connect(this.#target.port, this.#target.host);
    this.#sockets.add(client);
    this.#sockets.add(upstream);
    const end = (): void => {
      client.destroy();
      upstream.destroy();
      this.#sockets.delete(client);
      this.#sockets.delete(upstream);
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    client.pipe(upstream);
    upstream.pipe(client);
  }
}

/**
 * The session's state store in a drill, on real storage, with a database outage on demand.
 * `store` is what the session uses; `armOutage()` takes the database away as the next save that
 * journals an order begins (that step's order has reached the broker, its checkpoint cannot be
 * written): on a server the relay is cut, embedded the database is closed under the session.
 * The save then fails with the driver's own error. `recover()` brings it back (the relay lets
 * connections through; embedded, the data directory is opened again, as a restarted process does).
 */
export class DrillStore {
  readonly storage: DrillStorage;
  readonly #dir: string;
  readonly #schema: string;
  readonly #relay: TcpRelay | undefined;
  #handle: LiveStateStoreHandle;
  #armed = false;
  #outages = 0;
  readonly store: LiveStateStore;

  private constructor(storage: DrillStorage, dir: string, schema: string, relay: TcpRelay | undefined, handle: LiveStateStoreHandle) {
    this.storage = storage;
    this.#dir = dir;
    this.#schema = schema;
    this.#relay = relay;
    this.#handle = handle;
    this.store = new OutageStore(this);
  }

  /** Opens the storage; `schema` names the server schema (dropped by `close`). */
  static async open(storage: DrillStorage, dir: string, schema: string): Promise<DrillStore> {
    if (storage.kind === 'embedded') {
      if (storage.template !== undefined) cpSync(await storage.template.path(), join(dir, 'state'), { recursive: true });
      return new DrillStore(storage, dir, schema, undefined, await openLiveStateStore({ dataDir: join(dir, 'state') }));
    }
    const address = parseDatabaseUrl(storage.url, 'DrillStorage.url');
    const relay = await TcpRelay.start({ host: address.host, port: address.port });
    try {
      const handle = await openLiveStateStore({ url: throughRelay(storage.url, relay.port), schema, poolSize: 2 });
      return new DrillStore(storage, dir, schema, relay, handle);
    } catch (error) {
      await relay.close();
      throw error;
    }
  }

  /** The store of the database as it is now (after a recovery, the reopened one). */
  get current(): LiveStateStore {
    return this.#handle.store;
  }

  /** How many outages have begun. */
  get outages(): number {
    return this.#outages;
  }

  /** The next save that journals an order begins with the database going away. */
  armOutage(): void {
    this.#armed = true;
  }

  /** Called by the store before each save. */
  async beforeSave(batch: LiveSaveBatch): Promise<void> {
    if (!this.#armed || batch.orders.length === 0) return;
    this.#armed = false;
    this.#outages++;
    if (this.#relay !== undefined) this.#relay.cut();
    else await this.#handle.close();
  }

  /** Brings the database back. */
  async recover(): Promise<void> {
    this.#armed = false;
    if (this.#relay !== undefined) {
      this.#relay.restore();
      return;
    }
    this.#handle = await openLiveStateStore({ dataDir: join(this.#dir, 'state') });
  }

  describe(): string {
    return this.#handle.describe();
  }

  /** Closes the database and, on a server, drops the drill's schema. */
  async close(): Promise<void> {
    this.#relay?.restore();
    await this.#handle.close();
    await this.#relay?.close();
    if (this.storage.kind === 'server') await dropSchema(this.storage.url, this.#schema);
  }
}

/** The drill's store as the session sees it: every call goes to the database as it is now. */
class OutageStore implements LiveStateStore {
  readonly #drill: DrillStore;

  constructor(drill: DrillStore) {
    this.#drill = drill;
  }

  async save(sessionId: string, batch: LiveSaveBatch, savedAt: number): Promise<void> {
    await this.#drill.beforeSave(batch);
    await this.#drill.current.save(sessionId, batch, savedAt);
  }
  latestCheckpoint(sessionId: string): Promise<StoredCheckpoint | undefined> {
    return this.#drill.current.latestCheckpoint(sessionId);
  }
  setAside(sessionId: string, seq: number, reason: string, at: number): Promise<void> {
    return this.#drill.current.setAside(sessionId, seq, reason, at);
  }
  setAsideCheckpoints(sessionId: string): Promise<readonly SetAsideCheckpoint[]> {
    return this.#drill.current.setAsideCheckpoints(sessionId);
  }
  orders(sessionId: string, window?: LiveJournalWindow): Promise<readonly LiveOrderRecord[]> {
    return this.#drill.current.orders(sessionId, window);
  }
  fills(sessionId: string, window?: LiveJournalWindow): Promise<readonly LiveFillRecord[]> {
    return this.#drill.current.fills(sessionId, window);
  }
  audit(sessionId: string, window?: LiveJournalWindow): Promise<readonly LiveAuditRecord[]> {
    return this.#drill.current.audit(sessionId, window);
  }
  checkpoints(sessionId: string): Promise<readonly ListedCheckpoint[]> {
    return this.#drill.current.checkpoints(sessionId);
  }
  refusal(sessionId: string): Promise<LiveRefusal | undefined> {
    return this.#drill.current.refusal(sessionId);
  }
  refuse(sessionId: string, request: LiveRefusalRequest, at: number): Promise<LiveRefusal> {
    return this.#drill.current.refuse(sessionId, request, at);
  }
  accept(sessionId: string, checkpointSeq: number, action: LiveOperatorAction, at: number): Promise<void> {
    return this.#drill.current.accept(sessionId, checkpointSeq, action, at);
  }
  reset(sessionId: string, action: LiveOperatorAction, at: number): Promise<void> {
    return this.#drill.current.reset(sessionId, action, at);
  }
  verifyAudit(sessionId: string): Promise<LiveAuditVerification> {
    return this.#drill.current.verifyAudit(sessionId);
  }
}

/** `url` with its host and port replaced by the relay's. */
function throughRelay(url: string, port: number): string {
  const parsed = new URL(url);
  parsed.hostname = '127.0.0.1';
  parsed.port = String(port);
  return parsed.toString();
}

async function dropSchema(url: string, schema: string): Promise<void> {
  if (!/^[a-z_][a-z0-9_]*$/.test(schema)) throw new DrillError(`not a drill schema name: ${schema}`);
  const handle = await openDatabase({ url });
  try {
    await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(handle.db);
  } finally {
    await handle.close();
  }
}
