import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DATA_DIR_LOCK_FILE, acquireDataDirLock, isProcessAlive } from './data-dir-lock';
import { StorageError } from './storage-error';

describe('acquireDataDirLock', () => {
  let dir: string;
  let lockFile: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'qb-lock-'));
    lockFile = join(dir, DATA_DIR_LOCK_FILE);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const alive = (...pids: number[]) => (pid: number) => pids.includes(pid);

  it('writes the pid into .quantbot.lock and removes it on release (twice is harmless)', () => {
    const lock = acquireDataDirLock(dir, { pid: 4242, isProcessAlive: alive(4242) });
    expect(lock.path).toBe(lockFile);
    expect(readFileSync(lockFile, 'utf8')).toBe('4242\n');
    lock.release();
    expect(existsSync(lockFile)).toBe(false);
    lock.release();
    expect(existsSync(lockFile)).toBe(false);
  });

  it('leaves no staging files behind', () => {
    acquireDataDirLock(dir, { pid: 4242 }).release();
    expect(existsSync(lockFile)).toBe(false);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('refuses while another running process holds it, naming the directory and the pid', () => {
    acquireDataDirLock(dir, { pid: 1111, isProcessAlive: alive(1111, 2222) });
    const attempt = () => acquireDataDirLock(dir, { pid: 2222, isProcessAlive: alive(1111, 2222) });
    expect(attempt).toThrow(StorageError);
    expect(attempt).toThrow(expect.objectContaining({ code: 'STORAGE_LOCKED', message: expect.stringContaining(`${dir} is in use by process 1111`) }));
    expect(readFileSync(lockFile, 'utf8')).toBe('1111\n');
  });

  it('refuses a second lock in the same process', () => {
    acquireDataDirLock(dir, { pid: 1111, isProcessAlive: alive(1111) });
    expect(() => acquireDataDirLock(dir, { pid: 1111, isProcessAlive: alive(1111) })).toThrow(/already open in this process \(pid 1111/);
  });

  it('takes over a lock whose process is gone', () => {
    writeFileSync(lockFile, '1111\n');
    const lock = acquireDataDirLock(dir, { pid: 2222, isProcessAlive: alive(2222) });
    expect(readFileSync(lockFile, 'utf8')).toBe('2222\n');
    lock.release();
    expect(existsSync(lockFile)).toBe(false);
  });

  it.each([[''], ['not a pid\n'], ['-5\n'], ['0\n']])('takes over a lock file holding %j', (content) => {
    writeFileSync(lockFile, content);
    acquireDataDirLock(dir, { pid: 2222, isProcessAlive: alive(2222) });
    expect(readFileSync(lockFile, 'utf8')).toBe('2222\n');
  });

  it('takes over despite a break guard left by a process that died while breaking', () => {
    writeFileSync(lockFile, '1111\n');
    writeFileSync(`${lockFile}.break`, '3333\n');
    acquireDataDirLock(dir, { pid: 2222, isProcessAlive: alive(2222) });
    expect(readFileSync(lockFile, 'utf8')).toBe('2222\n');
    expect(existsSync(`${lockFile}.break`)).toBe(false);
  });

  it('does not remove a lock another process has taken over since', () => {
    const lock = acquireDataDirLock(dir, { pid: 1111, isProcessAlive: alive(1111) });
    writeFileSync(lockFile, '2222\n');
    lock.release();
    expect(readFileSync(lockFile, 'utf8')).toBe('2222\n');
  });

  it('reports a directory where the lock cannot be created', () => {
    const missing = join(dir, 'missing');
    expect(() => acquireDataDirLock(missing, { pid: 1111 })).toThrow(
      expect.objectContaining({ code: 'STORAGE_DATA_DIR_INVALID', message: expect.stringContaining(`${missing}: cannot create the lock file`) }),
    );
  });

  it('refuses a lock held by a real running process, and takes it over once that process has exited', async () => {
    const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    const childPid = child.pid;
    if (childPid === undefined) throw new Error('could not start a child process');
    try {
      writeFileSync(lockFile, `${childPid}\n`);
      expect(isProcessAlive(childPid)).toBe(true);
      expect(() => acquireDataDirLock(dir)).toThrow(`is in use by process ${childPid}`);
    } finally {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill();
      await exited;
    }
    expect(isProcessAlive(childPid)).toBe(false);
    const lock = acquireDataDirLock(dir);
    expect(readFileSync(lockFile, 'utf8')).toBe(`${process.pid}\n`);
    lock.release();
  });
});

describe('isProcessAlive', () => {
  it('knows this process is running', () => {
    expect(isProcessAlive(process.pid)).toBe(true);
  });

  it.each([0, -1, 1.5, Number.NaN])('says %p is not a running process (never signals a process group)', (pid) => {
    expect(isProcessAlive(pid)).toBe(false);
  });
});
