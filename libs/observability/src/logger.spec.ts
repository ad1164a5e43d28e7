import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { ConfigError, QuantbotError } from '@quantbot/core';
import type { LogLevel } from './logger';
import { createLogger } from './logger';

const SECRET = 'sk-live-5f3a9c0b';
const FIXED_TIME = new Date('2024-01-02T03:04:05.000Z');

/** A console stand-in that keeps everything written to it. */
class CapturingStream extends Writable {
  text = '';

  override _write(chunk: Buffer | string, _encoding: BufferEncoding, callback: () => void): void {
    this.text += chunk.toString();
    callback();
  }
}

function readJsonLines(path: string): { [key: string]: unknown }[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as { [key: string]: unknown });
}

describe('createLogger', () => {
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'quantbot-logger-'));
  });

  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes JSON lines to a log file in folders it creates, complete once close resolves', async () => {
    const logFile = join(dir, 'deep', 'er', 'run.jsonl');
    const logger = createLogger({ logFile, console: false, now: () => FIXED_TIME, context: { runId: 'abc' } });
    for (let i = 0; i < 500; i++) logger.info('step', { i });
    await logger.close();
    const lines = readJsonLines(logFile);
    expect(lines).toHaveLength(500);
    expect(lines[0]).toEqual({ time: '2024-01-02T03:04:05.000Z', level: 'info', message: 'step', context: { runId: 'abc' }, fields: { i: 0 } });
    expect(lines[499]).toEqual(expect.objectContaining({ fields: { i: 499 } }));
  });

  it('appends to an existing log file', async () => {
    const logFile = join(dir, 'run.jsonl');
    writeFileSync(logFile, '{"earlier":true}\n');
    const logger = createLogger({ logFile, console: false, now: () => FIXED_TIME });
    logger.warn('again');
    await logger.close();
    expect(readJsonLines(logFile)).toEqual([{ earlier: true }, { time: '2024-01-02T03:04:05.000Z', level: 'warn', message: 'again' }]);
  });

  it('writes one readable line per entry to the console stream', async () => {
    const console = new CapturingStream();
    const logger = createLogger({ console, now: () => FIXED_TIME, context: { runId: 'abc', strategy: 'sma' } });
    logger.child({ symbol: 'ORCL' }).info('order submitted', { qty: 10, side: 'buy', note: 'two words' });
    logger.error('line\nbreak');
    await logger.close();
    expect(console.text).toBe(
      '2024-01-02T03:04:05.000Z info  [run=abc strategy=sma symbol=ORCL] order submitted qty=10 side=buy note="two words"\n' +
        '2024-01-02T03:04:05.000Z error [run=abc strategy=sma] line\\nbreak\n',
    );
  });

  it('never lets a configured secret or an apiKey field reach the file or the console, even inside errors', async () => {
    const logFile = join(dir, 'logs', 'secret.jsonl');
    const console = new CapturingStream();
    const logger = createLogger({ logFile, console, secrets: [SECRET], now: () => FIXED_TIME, level: 'debug', context: { runId: 'r1' } });
    const cause = new Error(`socket closed while sending ${SECRET}`);
    const error = new QuantbotError('BROKER_FAILED', `POST /v2/orders with key ${SECRET} failed`, { cause });
    logger.error(`cannot submit: ${SECRET}`, { error, apiKey: 'PK-not-in-secrets-list', headers: { Authorization: `Bearer ${SECRET}` } });
    logger.child({ account: SECRET }).debug('child', { nested: [{ secretKey: 'also-hidden-value' }], text: `APCA-API-SECRET-KEY: ${SECRET}` });
    await logger.close();

    const fileText = readFileSync(logFile, 'utf8');
    for (const output of [fileText, console.text]) {
      expect(output).not.toContain(SECRET);
      expect(output).not.toContain('PK-not-in-secrets-list');
      expect(output).not.toContain('also-hidden-value');
      expect(output).toContain('[REDACTED]');
    }
    const [first] = readJsonLines(logFile);
    const fields = first?.['fields'] as { [key: string]: { [key: string]: unknown } };
    // The error still says what happened, and its stack is kept (redacted) in the file.
    expect(fields['error']?.['message']).toBe('POST /v2/orders with key [REDACTED] failed');
    expect(fields['error']?.['stack']).toEqual(expect.stringContaining('POST /v2/orders with key [REDACTED] failed'));
    expect(fields['error']?.['code']).toBe('BROKER_FAILED');
    expect(console.text).toContain('error="QuantbotError: POST /v2/orders with key [REDACTED] failed"');
  });

  it.each<[LogLevel, string[]]>([
    ['error', ['error']],
    ['warn', ['warn', 'error']],
    ['info', ['info', 'warn', 'error']],
    ['debug', ['debug', 'info', 'warn', 'error']],
  ])('at level %s writes only %j', async (level, expected) => {
    const logFile = join(dir, `${level}.jsonl`);
    const logger = createLogger({ level, logFile, console: false, now: () => FIXED_TIME });
    logger.debug('debug');
    logger.info('info');
    logger.warn('warn');
    logger.error('error');
    await logger.close();
    expect(readJsonLines(logFile).map((line) => line['message'])).toEqual(expected);
  });

  it('defaults to level info', async () => {
    const console = new CapturingStream();
    const logger = createLogger({ console, now: () => FIXED_TIME });
    logger.debug('hidden');
    logger.info('shown');
    await logger.close();
    expect(console.text).toBe('2024-01-02T03:04:05.000Z info  shown\n');
  });

  it('refuses an unknown level with a ConfigError naming level', () => {
    expect(() => createLogger({ level: 'verbose' as LogLevel, console: false })).toThrow(ConfigError);
    expect(() => createLogger({ level: 'verbose' as LogLevel, console: false })).toThrow(/^level: 'verbose' is not a log level/);
  });

  it('takes timestamps from the injected clock', async () => {
    const console = new CapturingStream();
    let tick = 0;
    const logger = createLogger({ console, now: () => new Date(Date.UTC(2024, 0, 1) + 1000 * tick++) });
    logger.info('a');
    logger.info('b');
    await logger.close();
    expect(console.text).toBe('2024-01-01T00:00:00.000Z info  a\n2024-01-01T00:00:01.000Z info  b\n');
  });

  it('lets a child override parent context and shares the outputs', async () => {
    const logFile = join(dir, 'child.jsonl');
    const logger = createLogger({ logFile, console: false, now: () => FIXED_TIME, context: { runId: 'r1', symbol: 'SPY' } });
    const child = logger.child({ symbol: 'ORCL' });
    child.info('from child');
    logger.info('from parent');
    await child.close();
    expect(readJsonLines(logFile).map((line) => line['context'])).toEqual([
      { runId: 'r1', symbol: 'ORCL' },
      { runId: 'r1', symbol: 'SPY' },
    ]);
  });

  it('drops entries logged after close and closes only once', async () => {
    const logFile = join(dir, 'closed.jsonl');
    const logger = createLogger({ logFile, console: false, now: () => FIXED_TIME });
    logger.info('before');
    const closing = logger.close();
    logger.info('after');
    await closing;
    await logger.close();
    expect(readJsonLines(logFile).map((line) => line['message'])).toEqual(['before']);
  });

  it('refuses a log file it cannot open with a LOG_OPEN_FAILED error naming the path', () => {
    const blocker = join(dir, 'not-a-folder');
    writeFileSync(blocker, 'x');
    const logFile = join(blocker, 'run.jsonl');
    expect(() => createLogger({ logFile, console: false })).toThrow(expect.objectContaining({ code: 'LOG_OPEN_FAILED', message: expect.stringContaining(logFile) }));
  });

  it('works with no outputs at all', async () => {
    const logger = createLogger({ console: false });
    logger.info('nowhere');
    await expect(logger.close()).resolves.toBeUndefined();
  });
});
