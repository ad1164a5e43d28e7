import { readFileSync, rmSync } from 'node:fs';
import type { EpochMs } from '@quantbot/core';
import { formatIsoTime } from '@quantbot/core';
import { writeFileAtomically } from '@quantbot/observability';
import type { KillSwitchLevel, KillSwitchSource } from './kill-switch';
import { KillSwitchError } from './kill-switch';
import type { TradingState } from './risk-types';

/**
 * An operator's standing order to stop trading, left as a file where every trading process
 * looks: its presence is the trigger. A process that finds it escalates its kill switch to the
 * file's level and stays there; removing the file does not resume trading: only a re-arm does,
 * and a re-arm while the file is still there is undone at the next poll.
 *
 * @example
 * {"level":"halted","reason":"broker outage","by":"risk desk","requestedAt":"2024-03-05T14:30:00.000Z"}
 */
export interface KillFileRequest {
  readonly level: KillSwitchLevel;
  readonly reason: string;
  readonly by: string;
  /** ISO 8601 time of the request. */
  readonly requestedAt: string;
}

const LEVELS: readonly KillSwitchLevel[] = ['reducing', 'halted', 'flatten'];

/**
 * Writes the kill file atomically (`writeFileAtomically`: a temporary file, flushed, then renamed
 * over the path), so a reader sees the whole request or none. Creates the folder. Throws
 * `KillSwitchError` for an unknown level or an empty reason.
 */
export function writeKillFile(path: string, request: KillFileRequest): void {
  validateRequest(request, path);
  writeFileAtomically(path, `${JSON.stringify(request)}\n`);
}

/**
 * Reads the kill file: null when there is none. A file that exists but cannot be understood
 * throws `KillSwitchError` naming the file and the field; callers that guard trading treat that
 * as a halt (see {@link KillFileWatcher}), never as no file.
 */
export function readKillFile(path: string): KillFileRequest | null {
  const record = readOperatorFile(path, 'kill file', ['level', 'reason', 'by', 'requestedAt']);
  if (record === null) return null;
  const request = { level: record['level'], reason: record['reason'], by: record['by'], requestedAt: record['requestedAt'] };
  validateRequest(request, path);
  return request as KillFileRequest;
}

/**
 * Reads an operator's file (the kill file, a re-arm request) as a JSON object: null when there is
 * none; `KillSwitchError` naming `what` and the file when it cannot be read or is not an object
 * (`fields` are named in the message as what was expected).
 */
export function readOperatorFile(path: string, what: string, fields: readonly string[]): Readonly<Record<string, unknown>> | null {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new KillSwitchError(`${what} ${path}: cannot be read (${(error as Error).message})`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new KillSwitchError(`${what} ${path}: not JSON (expected {${fields.map((f) => `"${f}"`).join(',')}})`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new KillSwitchError(`${what} ${path}: expected a JSON object`);
  return parsed as Record<string, unknown>;
}

/** Removes the kill file; true when there was one. */
export function clearKillFile(path: string): boolean {
  const existed = readKillFileSafely(path) !== 'absent';
  rmSync(path, { force: true });
  return existed;
}

/** What a watcher can escalate: the order gateway or a kill switch. */
export interface Triggerable {
  readonly state: TradingState;
  trigger(level: KillSwitchLevel, reason: string, time: EpochMs | number, source?: KillSwitchSource): boolean;
}

/**
 * Polls a kill file for a trading loop (once per bar or tick: one `readFileSync` that usually
 * fails with ENOENT). When the file is there, escalates the target to its level as an
 * `external` trigger; when it is there but unreadable or invalid, halts (fail safe: a damaged
 * stop order still stops). Returns the target's state after the poll.
 */
export class KillFileWatcher {
  readonly path: string;
  readonly #target: Triggerable;

  constructor(path: string, target: Triggerable) {
    this.path = path;
    this.#target = target;
  }

  poll(time: EpochMs | number): TradingState {
    let request: KillFileRequest | null;
    try {
      request = readKillFile(this.path);
    } catch (error) {
      this.#target.trigger('halted', `${(error as Error).message}; halting until it is fixed or removed`, time, 'external');
      return this.#target.state;
    }
    if (request !== null) {
      this.#target.trigger(request.level, `kill file ${this.path}: ${request.reason} (by ${request.by} at ${request.requestedAt})`, time, 'external');
    }
    return this.#target.state;
  }
}

/** Builds a request stamped at `time`. */
export function killFileRequest(level: KillSwitchLevel, reason: string, by: string, time: EpochMs | number): KillFileRequest {
  const request = { level, reason, by, requestedAt: formatIsoTime(time) };
  validateRequest(request, '(new request)');
  return request;
}

/** Whether a kill file is in place at `path`: a damaged one counts as in place (it halts). */
export function isKillFilePresent(path: string): boolean {
  return readKillFileSafely(path) === 'present';
}

function readKillFileSafely(path: string): 'absent' | 'present' {
  try {
    return readKillFile(path) === null ? 'absent' : 'present';
  } catch {
    return 'present';
  }
}

function validateRequest(request: { level: unknown; reason: unknown; by: unknown; requestedAt: unknown }, path: string): void {
  if (typeof request.level !== 'string' || !(LEVELS as readonly string[]).includes(request.level)) {
    throw new KillSwitchError(`kill file ${path}: field level: '${String(request.level)}' is not one of ${LEVELS.join(', ')}`);
  }
  for (const field of ['reason', 'by', 'requestedAt'] as const) {
    const value = request[field];
    if (typeof value !== 'string' || value.trim() === '') throw new KillSwitchError(`kill file ${path}: field ${field}: must be a non-empty string`);
  }
  if (!Number.isFinite(Date.parse(request.requestedAt as string))) {
    throw new KillSwitchError(`kill file ${path}: field requestedAt: '${String(request.requestedAt)}' is not an ISO 8601 time`);
  }
}
