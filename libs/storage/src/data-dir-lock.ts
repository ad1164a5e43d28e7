import { randomBytes } from 'node:crypto';
import { linkSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { StorageError, describeCause } from './storage-error';

/** The lock file's name inside an embedded data directory; it holds the owner's pid. */
export const DATA_DIR_LOCK_FILE = '.quantbot.lock';

const MAX_ATTEMPTS = 3;

/** An embedded data directory held by this process. */
export interface DataDirLock {
  /** The lock file. */
  readonly path: string;
  /** The pid written into it. */
  readonly pid: number;
  /** Removes the lock file if it is still ours; calling it again does nothing. */
  release(): void;
}

/** For tests: the pid to write and how to tell whether a pid is running. */
export interface DataDirLockOptions {
  readonly pid?: number;
  readonly isProcessAlive?: (pid: number) => boolean;
}

/**
 * Takes `<dataDir>/.quantbot.lock` for this process, so that one embedded database is never
 * opened twice (two PGlite instances on one directory corrupt it). The file is created
 * atomically with its content (written beside it, then hard-linked into place), so a reader
 * never sees an empty lock.
 *
 * - If the file names a running process (this one included: a second handle in the same
 *   process is refused too), throws {@link StorageError} `STORAGE_LOCKED` naming the directory
 *   and the pid.
 * - If it names a process that is gone, or holds no pid, the lock is stale and is taken over.
 *   Two processes taking over at once are serialised by a short-lived `.quantbot.lock.break`
 *   file, so only one of them wins.
 *
 * A pid reused by an unrelated process after a crash makes a stale lock look alive; the message
 * says to delete the file by hand in that case.
 */
export function acquireDataDirLock(dataDir: string, options: DataDirLockOptions = {}): DataDirLock {
  const pid = options.pid ?? process.pid;
  const isAlive = options.isProcessAlive ?? isProcessAlive;
  const path = join(dataDir, DATA_DIR_LOCK_FILE);
  const content = `${pid}\n`;
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    if (createExclusively(path, content, dataDir)) return heldLock(path, pid, content);
    const holder = readLockText(path);
    if (holder === undefined) continue; // released between our attempt and the read: try again
    const holderPid = parsePid(holder);
    if (holderPid !== undefined && isAlive(holderPid)) throw lockedError(dataDir, path, holderPid, pid);
    breakStaleLock(path, holder, content, dataDir, isAlive);
  }
  const holderPid = parsePid(readLockText(path) ?? '');
  throw new StorageError(
    'STORAGE_LOCKED',
    `${dataDir}: cannot take the lock file ${path}${holderPid !== undefined ? ` (held by process ${holderPid})` : ''}: other processes keep taking it`,
  );
}

/** Whether a process with this pid is running (one we may not signal counts as running). */
export function isProcessAlive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as { code?: unknown }).code === 'EPERM';
  }
}

function heldLock(path: string, pid: number, content: string): DataDirLock {
  let released = false;
  return Object.freeze({
    path,
    pid,
    release(): void {
      if (released) return;
      released = true;
      if (readLockText(path) === content) unlinkQuietly(path);
    },
  });
}

function lockedError(dataDir: string, path: string, holderPid: number, ownPid: number): StorageError {
  if (holderPid === ownPid) {
    return new StorageError(
      'STORAGE_LOCKED',
      `${dataDir} is already open in this process (pid ${ownPid}, lock file ${path}): close the other handle first`,
    );
  }
  return new StorageError(
    'STORAGE_LOCKED',
    `${dataDir} is in use by process ${holderPid} (lock file ${path}): close that program first, ` +
      'or delete the lock file if no such program is running',
  );
}

/** Creates `path` holding `content` unless it exists; false when it already exists. */
function createExclusively(path: string, content: string, dataDir: string): boolean {
  const staging = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    writeFileSync(staging, content, { flag: 'wx' });
    linkSync(staging, path);
    return true;
  } catch (error) {
    if ((error as { code?: unknown }).code === 'EEXIST') return false;
    throw new StorageError('STORAGE_DATA_DIR_INVALID', `${dataDir}: cannot create the lock file ${path}: ${describeCause(error)}`, {
      cause: error,
    });
  } finally {
    unlinkQuietly(staging);
  }
}

function breakStaleLock(path: string, staleText: string, content: string, dataDir: string, isAlive: (pid: number) => boolean): void {
  const guard = `${path}.break`;
  if (!createExclusively(guard, content, dataDir)) {
    // Someone else is breaking it; if they died doing so, clear their guard and let the caller retry.
    const guardPid = parsePid(readLockText(guard) ?? '');
    if (guardPid === undefined || !isAlive(guardPid)) unlinkQuietly(guard);
    return;
  }
  try {
    if (readLockText(path) === staleText) unlinkQuietly(path);
  } finally {
    unlinkQuietly(guard);
  }
}

function readLockText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ENOENT') return undefined;
    throw new StorageError('STORAGE_DATA_DIR_INVALID', `cannot read the lock file ${path}: ${describeCause(error)}`, { cause: error });
  }
}

function parsePid(text: string): number | undefined {
  const trimmed = text.trim();
  if (!/^\d+$/.test(trimmed)) return undefined;
  const pid = Number(trimmed);
  return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
}

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // Already gone: nothing to undo.
  }
}
