import { readFileSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { EpochMs } from '@quantbot/core';
import { QuantbotError, formatIsoTime } from '@quantbot/core';
import type { SleeveCommandOutcome, StrategyManager } from '@quantbot/engine';
import { writeFileAtomically } from '@quantbot/observability';

/** What an operator asks of one sleeve of a running manager session. */
export type SleeveAction = 'halt' | 'flatten' | 'resume';

/** Every sleeve action, for parsing. */
export const SLEEVE_ACTIONS: readonly SleeveAction[] = Object.freeze(['halt', 'flatten', 'resume']);

/**
 * An operator's request about one sleeve of a session that trades a strategy manager, left as a
 * file beside the kill file (`sleeve-<session>.<sleeve>.json`), the channel of the kill file and
 * the re-arm requests: the session reads it at its next poll of the controls (before every bar, and
 * on a timer between bars) or its next start, applies it once, audits the outcome and removes the
 * file, whatever the outcome.
 *
 * @example
 * {"session":"managed","sleeve":"breakout","action":"halt","reason":"slippage review","by":"risk desk","requestedAt":"2024-03-05T15:10:00.000Z"}
 */
export interface SleeveRequest {
  readonly session: string;
  readonly sleeve: string;
  readonly action: SleeveAction;
  readonly reason: string;
  readonly by: string;
  /** ISO 8601 time of the request. */
  readonly requestedAt: string;
}

/** A sleeve request that cannot be used: unreadable, not JSON, a field missing or wrong. Names the file and field. */
export class SleeveRequestError extends QuantbotError {
  constructor(message: string) {
    super('SLEEVE_REQUEST_INVALID', message);
  }
}

const NAME = /^[A-Za-z0-9_-]{1,40}$/;
const PREFIX = 'sleeve-';

/** Where the request about sleeve `sleeve` of session `session` lives: beside the kill file. */
export function sleeveRequestPath(killFilePath: string, session: string, sleeve: string): string {
  return join(dirname(killFilePath), `${PREFIX}${session}.${sleeve}.json`);
}

/** Builds a request stamped at `time`; `SleeveRequestError` naming the field for a bad one. */
export function sleeveRequest(fields: Omit<SleeveRequest, 'requestedAt'>, time: EpochMs | number): SleeveRequest {
  const request = { ...fields, requestedAt: formatIsoTime(time) };
  validate(request, '(new request)');
  return request;
}

/** Writes the request atomically (a reader sees all of it or none). */
export function writeSleeveRequest(path: string, request: SleeveRequest): void {
  validate(request, path);
  writeFileAtomically(path, `${JSON.stringify(request)}\n`);
}

/** Reads a request: null when there is none; `SleeveRequestError` naming the file and field when it is damaged. */
export function readSleeveRequest(path: string): SleeveRequest | null {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new SleeveRequestError(`sleeve request ${path}: cannot be read (${(error as Error).message})`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new SleeveRequestError(`sleeve request ${path}: not JSON`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new SleeveRequestError(`sleeve request ${path}: expected a JSON object`);
  const record = parsed as Record<string, unknown>;
  const request = { session: record['session'], sleeve: record['sleeve'], action: record['action'], reason: record['reason'], by: record['by'], requestedAt: record['requestedAt'] };
  validate(request, path);
  return request as SleeveRequest;
}

/** The requests waiting for `session` beside the kill file, by path (sorted). */
export function pendingSleeveRequests(killFilePath: string, session?: string): readonly string[] {
  const dir = dirname(killFilePath);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const prefix = session === undefined ? PREFIX : `${PREFIX}${session}.`;
  return names
    .filter((n) => n.startsWith(prefix) && n.endsWith('.json'))
    .sort()
    .map((n) => join(dir, n));
}

/** What became of one sleeve request. */
export interface SleeveRequestOutcome {
  readonly path: string;
  /** The request, or null when its file could not be read. */
  readonly request: SleeveRequest | null;
  readonly applied: boolean;
  /** The sleeve's state afterwards (`unknown` when there is no such sleeve, or no manager). */
  readonly state: string;
  readonly refusal?: string;
}

/**
 * Watches a session's sleeve requests. `poll(time)` applies each request found (halt, flatten or
 * resume, through the manager) once, removes its file and returns the outcomes. A damaged request,
 * one that names another session, a sleeve the manager does not have, or one the sleeve's state
 * does not allow is refused (and removed): it must be made again. A session that trades one
 * strategy, not a manager, refuses every request.
 */
export class SleeveRequestWatcher {
  readonly #killFile: string;
  readonly #session: string;
  readonly #manager: StrategyManager | undefined;

  constructor(options: { readonly killFile: string; readonly session: string; readonly manager: StrategyManager | undefined }) {
    this.#killFile = options.killFile;
    this.#session = options.session;
    this.#manager = options.manager;
  }

  poll(time: EpochMs | number): readonly SleeveRequestOutcome[] {
    const outcomes: SleeveRequestOutcome[] = [];
    for (const path of pendingSleeveRequests(this.#killFile, this.#session)) {
      let request: SleeveRequest | null;
      try {
        request = readSleeveRequest(path);
      } catch (error) {
        rmSync(path, { force: true });
        outcomes.push({ path, request: null, applied: false, state: 'unknown', refusal: `${(error as Error).message}; removed, make the request again` });
        continue;
      }
      if (request === null) continue;
      rmSync(path, { force: true });
      outcomes.push({ path, request, ...this.#apply(request, time) });
    }
    return outcomes;
  }

  #apply(request: SleeveRequest, time: number): Omit<SleeveRequestOutcome, 'path' | 'request'> {
    if (request.session !== this.#session) return { applied: false, state: 'unknown', refusal: `the request names session '${request.session}', not '${this.#session}'` };
    const manager = this.#manager;
    if (manager === undefined) return { applied: false, state: 'unknown', refusal: `session ${this.#session} trades one strategy, not a strategy manager: it has no sleeves` };
    const command = { reason: request.reason, by: request.by, time };
    const outcome: SleeveCommandOutcome =
      request.action === 'resume' ? manager.resumeSleeve(request.sleeve, command) : manager.haltSleeve(request.sleeve, { ...command, action: request.action });
    return { applied: outcome.applied, state: outcome.state, ...(outcome.refusal !== undefined ? { refusal: outcome.refusal } : {}) };
  }
}

function validate(fields: object, path: string): void {
  const request = fields as { readonly [key: string]: unknown };
  for (const field of ['session', 'sleeve', 'action', 'reason', 'by', 'requestedAt']) {
    const value = request[field];
    if (typeof value !== 'string' || value.trim() === '') throw new SleeveRequestError(`sleeve request ${path}: field ${field}: must be a non-empty string`);
  }
  for (const field of ['session', 'sleeve']) {
    if (!NAME.test(request[field] as string)) throw new SleeveRequestError(`sleeve request ${path}: field ${field}: '${String(request[field])}' must be 1-40 letters, digits, '-' or '_'`);
  }
  if (!SLEEVE_ACTIONS.includes(request['action'] as SleeveAction)) throw new SleeveRequestError(`sleeve request ${path}: field action: expected ${SLEEVE_ACTIONS.join(', ')}, got '${String(request['action'])}'`);
  if (Number.isNaN(Date.parse(request['requestedAt'] as string))) throw new SleeveRequestError(`sleeve request ${path}: field requestedAt: '${String(request['requestedAt'])}' is not an ISO 8601 time`);
}
