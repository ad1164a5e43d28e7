import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { EpochMs } from '@quantbot/core';
import { formatIsoTime } from '@quantbot/core';
import { writeFileAtomically } from '@quantbot/observability';
import { isKillFilePresent, readOperatorFile } from './kill-file';
import type { Triggerable } from './kill-file';
import { KillSwitchError } from './kill-switch';

/**
 * An operator's request that one halted session trade again, left as a file beside the kill file
 * (`rearm-<session>.json`) because the session's own state may be held open by its running
 * process. The session reads it at its next poll (or its next start), applies it once through its
 * gateway's re-arm, and removes it, whatever the outcome: a request is never applied twice, and
 * one that was refused must be made again.
 *
 * @example
 * {"session":"sma-alpaca","reason":"outage over, books checked","by":"risk desk","requestedAt":"2024-03-05T15:10:00.000Z"}
 */
export interface RearmRequest {
  readonly session: string;
  readonly reason: string;
  readonly by: string;
  /** ISO 8601 time of the request. */
  readonly requestedAt: string;
}

/** Where the re-arm request of `session` lives: beside the kill file. */
export function rearmRequestPath(killFilePath: string, session: string): string {
  return join(dirname(killFilePath), `rearm-${encodeURIComponent(session)}.json`);
}

/** Builds a request stamped at `time`; throws `KillSwitchError` for an empty field. */
export function rearmRequest(session: string, reason: string, by: string, time: EpochMs | number): RearmRequest {
  const request = { session, reason, by, requestedAt: formatIsoTime(time) };
  validateRearmRequest(request, '(new request)');
  return request;
}

/** Writes the request atomically (temporary file, flushed, renamed): a reader sees all or nothing. */
export function writeRearmRequest(path: string, request: RearmRequest): void {
  validateRearmRequest(request, path);
  writeFileAtomically(path, `${JSON.stringify(request)}\n`);
}

/** Reads a request: null when there is none; throws `KillSwitchError` naming the file and field when damaged. */
export function readRearmRequest(path: string): RearmRequest | null {
  const record = readOperatorFile(path, 're-arm request', ['session', 'reason', 'by', 'requestedAt']);
  if (record === null) return null;
  const request = { session: record['session'], reason: record['reason'], by: record['by'], requestedAt: record['requestedAt'] };
  validateRearmRequest(request, path);
  return request as RearmRequest;
}

/** What a gateway offers an operator's re-arm. */
export interface Rearmable extends Triggerable {
  /** When the kill switch last escalated, if ever. */
  readonly triggeredAt: number | undefined;
  rearm(time: EpochMs | number, by: string, why?: string): boolean;
  rearmRefusal(time: EpochMs | number): string | undefined;
}

/** What became of a re-arm request: applied (the session is active again) or refused, and why. */
export interface RearmOutcome {
  readonly applied: boolean;
  /** The request, or null when the file could not be read. */
  readonly request: RearmRequest | null;
  /** Why it was refused; undefined when applied. */
  readonly refusal?: string;
}

/**
 * Watches one session's re-arm request. `poll(time)` applies a request found there once and
 * removes the file; it refuses (and still removes) a request that is damaged, names another
 * session, was made before the kill switch's latest escalation (the session halted again since:
 * the operator has not seen that halt), arrives while the kill file is still in place, or that
 * the gateway refuses (already active, inside the cooldown: the gateway audits that refusal).
 */
export class RearmRequestWatcher {
  readonly path: string;
  readonly #killFile: string;
  readonly #session: string;
  readonly #target: Rearmable;

  constructor(options: { readonly killFile: string; readonly session: string; readonly target: Rearmable }) {
    this.#killFile = options.killFile;
    this.#session = options.session;
    this.#target = options.target;
    this.path = rearmRequestPath(options.killFile, options.session);
  }

  /** Null when there is no request; otherwise the outcome (the request file is gone afterwards). */
  poll(time: EpochMs | number): RearmOutcome | null {
    let request: RearmRequest | null;
    try {
      request = readRearmRequest(this.path);
    } catch (error) {
      rmSync(this.path, { force: true });
      return { applied: false, request: null, refusal: `${(error as Error).message}; removed, make the request again` };
    }
    if (request === null) return null;
    rmSync(this.path, { force: true });
    const refusal = this.#refusal(request);
    if (refusal !== undefined) return { applied: false, request, refusal };
    if (this.#target.rearm(time, request.by, request.reason)) return { applied: true, request };
    return { applied: false, request, refusal: this.#target.rearmRefusal(time) ?? 'refused by the kill switch' };
  }

  #refusal(request: RearmRequest): string | undefined {
    if (request.session !== this.#session) return `the request names session '${request.session}', not '${this.#session}'`;
    if (isKillFilePresent(this.#killFile)) return `the kill file ${this.#killFile} is still in place; clear it first`;
    if (this.#target.state === 'active') return 'the session is already active';
    const requestedAt = Date.parse(request.requestedAt);
    const triggeredAt = this.#target.triggeredAt;
    if (triggeredAt !== undefined && requestedAt < triggeredAt) {
      return `the request (${request.requestedAt}) predates the latest escalation (${formatIsoTime(triggeredAt)}); look at that halt, then re-arm again`;
    }
    // The cooldown is the gateway's to judge: its refusal is audited there.
    return undefined;
  }
}

function validateRearmRequest(request: { session: unknown; reason: unknown; by: unknown; requestedAt: unknown }, path: string): void {
  for (const field of ['session', 'reason', 'by', 'requestedAt'] as const) {
    const value = request[field];
    if (typeof value !== 'string' || value.trim() === '') throw new KillSwitchError(`re-arm request ${path}: field ${field}: must be a non-empty string`);
  }
  if (Number.isNaN(Date.parse(request.requestedAt as string))) throw new KillSwitchError(`re-arm request ${path}: field requestedAt: '${String(request.requestedAt)}' is not an ISO 8601 time`);
}
