/**
 * The program of the worker thread that runs PGlite, as plain CommonJS source (it is run with
 * `new Worker(source, { eval: true })`, so it needs no build step and runs the same from `src`
 * under Jest as from `dist`).
 *
 * Protocol, one message per request and per reply:
 * - request `{ id, op: 'query', sql, params }`, `{ id, op: 'exec', sql }` or `{ id, op: 'close' }`;
 * - reply `{ id, ok: true, result }` or `{ id, ok: false, error }`, where `error` holds the
 *   message and the Postgres fields (`code`, `detail`, `constraint`…) of what was thrown;
 * - once PGlite is open (or has failed to open), a reply with `id` 0, whose result carries a
 *   `Date` so the client can tell whether messages arrive in its own realm.
 *
 * `workerData` is `{ pgliteEntry, dataDir, textTypeOids }`: the resolved path of
 * `@electric-sql/pglite`, the data directory, and the type oids to read as text
 * (`TEXT_TYPE_OIDS` of `type-parsers.ts`, so both backends follow one table).
 */
export const PGLITE_WORKER_SOURCE = String.raw`
'use strict';
const { parentPort, workerData } = require('node:worker_threads');

const keepText = (text) => text;
// The types read as text on both backends (TEXT_TYPE_OIDS of type-parsers.ts); arrays follow.
const parsers = Object.fromEntries(workerData.textTypeOids.map((oid) => [oid, keepText]));
const ERROR_FIELDS = ['name', 'message', 'code', 'severity', 'detail', 'hint', 'position', 'where',
  'schema', 'table', 'column', 'dataType', 'constraint', 'routine'];

function serializeError(error) {
  const out = { name: 'Error', message: String(error) };
  if (error !== null && typeof error === 'object') {
    for (const key of ERROR_FIELDS) {
      const value = error[key];
      if (typeof value === 'string' || typeof value === 'number') out[key] = value;
    }
  }
  return out;
}

function reply(id, ok, payload) {
  try {
    parentPort.postMessage(ok ? { id, ok, result: payload } : { id, ok, error: serializeError(payload) });
  } catch (error) {
    // A value the structured clone cannot carry: report that instead of dying.
    parentPort.postMessage({ id, ok: false, error: serializeError(error) });
  }
}

function plain(result) {
  return { rows: result.rows, affectedRows: result.affectedRows, command: result.command };
}

let database;

async function handle(request) {
  if (request.op === 'query') return plain(await database.query(request.sql, request.params));
  if (request.op === 'exec') return (await database.exec(request.sql)).map(plain);
  if (request.op === 'close') {
    await database.close();
    return null;
  }
  throw new Error('unknown request ' + String(request.op));
}

parentPort.on('message', (request) => {
  if (database === undefined) {
    reply(request.id, false, new Error('the embedded database is not open'));
    return;
  }
  handle(request).then((result) => reply(request.id, true, result), (error) => reply(request.id, false, error));
});

try {
  const { PGlite } = require(workerData.pgliteEntry);
  PGlite.create({ dataDir: workerData.dataDir, parsers }).then(
    (opened) => {
      database = opened;
      reply(0, true, { probe: new Date(0) });
    },
    (error) => reply(0, false, error),
  );
} catch (error) {
  reply(0, false, error);
}
`;
