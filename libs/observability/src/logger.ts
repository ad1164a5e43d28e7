import { closeSync, fsyncSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { Writable } from 'node:stream';
import { ConfigError, QuantbotError } from '@quantbot/core';
import winston from 'winston';
import type { Redactor } from './redaction';
import { createRedactor } from './redaction';
import { errorMessage } from './internal';

/** Log levels, most severe first; a logger at `info` writes `error`, `warn` and `info`. */
export const LOG_LEVELS = ['error', 'warn', 'info', 'debug'] as const;

/** One of {@link LOG_LEVELS}. */
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Options of {@link createLogger}. */
export interface LoggerOptions {
  /** The least severe level written. Default `info`. */
  readonly level?: LogLevel;
  /**
   * A JSON Lines file to append entries to (one object per line: `time`, `level`, `message`,
   * and `context` and `fields` when not empty). Its parent directories are created.
   */
  readonly logFile?: string;
  /**
   * Where to write readable one-line entries
   * (`2024-01-02T03:04:05.000Z info  [run=abc strategy=sma] message key=value`); `false` for
   * none. Default `process.stderr` (stdout stays free for a command's results).
   */
  readonly console?: LogStream | false;
  /** Context shown on every entry, such as `{ runId, strategy, symbol }`. */
  readonly context?: Readonly<Record<string, string>>;
  /** Secret values blanked out of every entry (see `createRedactor`). */
  readonly secrets?: readonly string[];
  /** The timestamp source. Default the wall clock; inject a fixed clock in tests. */
  readonly now?: () => Date;
}

/** Where readable lines go: a writable stream such as `process.stderr`, or anything with `write`. */
export interface LogStream {
  write(text: string): unknown;
}

/** Structured fields of one entry; `Error` values are written with their message and stack. */
export type LogFields = Readonly<Record<string, unknown>>;

/** A redacting logger. Entries logged after `close` are dropped. */
export interface Logger {
  error(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  debug(message: string, fields?: LogFields): void;
  /** A logger writing to the same outputs with `context` added to (and overriding) this one's. */
  child(context: Readonly<Record<string, string>>): Logger;
  /**
   * Flushes and closes the outputs shared by this logger, its parent and its children; when the
   * promise resolves the log file holds every entry and is synced to disk. It rejects with a
   * `QuantbotError` (code `LOG_WRITE_FAILED`) when a write to the file failed. Idempotent.
   */
  close(): Promise<void>;
}

const LEVEL_PRIORITY: { readonly [level in LogLevel]: number } = { error: 0, warn: 1, info: 2, debug: 3 };
/** Where winston's finalising formats put the text a transport writes (logform's MESSAGE). */
const MESSAGE = Symbol.for('message');
/** Context keys shown under a shorter name on the console. */
const CONSOLE_CONTEXT_NAMES: { readonly [key: string]: string } = { runId: 'run' };

/** The entry our logger hands to winston; the redaction format rewrites it in place. */
interface LogInfo {
  level: LogLevel;
  message: string;
  time: string;
  context: { [key: string]: unknown };
  fields: { [key: string]: unknown };
  [MESSAGE]?: string;
}

/** State shared by a logger and its children. */
interface LoggerCore {
  readonly winston: winston.Logger;
  readonly now: () => Date;
  readonly sinks: readonly LineSink[];
  closing: Promise<void> | undefined;
}

/**
 * Creates a {@link Logger} on top of winston. Every entry goes through one redaction step before
 * any output sees it: the message, the context and the fields (deeply, including `Error`
 * messages and stacks) lose the configured `secrets`, the values of secret-looking keys
 * (`apiKey`, `password`, …) and credentials in header-like text (`Authorization: Bearer …`).
 *
 * Throws a `ConfigError` naming `level` for an unknown level (and `secrets[i]` for a too short
 * secret), and a `QuantbotError` with code `LOG_OPEN_FAILED` when the log file cannot be opened.
 *
 * @example
 * const logger = createLogger({ logFile: 'results/logs/run-42.jsonl', context: { runId: 'run-42' }, secrets: [apiSecret] });
 * const log = logger.child({ symbol: 'ORCL' });
 * log.info('order submitted', { clientOrderId: 'c-1', qty: 10 });
 * await logger.close();
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? 'info';
  if (!(LOG_LEVELS as readonly string[]).includes(level)) {
    throw new ConfigError('level', `'${String(level)}' is not a log level; use one of ${LOG_LEVELS.join(', ')}`);
  }
  const redactor = createRedactor({ secrets: options.secrets ?? [] });
  const sinks: LineSink[] = [];
  const transports: winston.transport[] = [];
  if (options.logFile !== undefined) {
    const sink = new FileLineSink(options.logFile);
    sinks.push(sink);
    transports.push(new winston.transports.Stream({ stream: sink, eol: '\n', format: winston.format(formatJsonLine)() }));
  }
  const consoleStream = options.console ?? process.stderr;
  if (consoleStream !== false) {
    const sink = new StreamLineSink(consoleStream);
    sinks.push(sink);
    transports.push(new winston.transports.Stream({ stream: sink, eol: '\n', format: winston.format(formatConsoleLine)() }));
  }
  const logger = winston.createLogger({
    levels: LEVEL_PRIORITY,
    level,
    format: winston.format((info) => redactInfo(info as unknown as LogInfo, redactor) as unknown as winston.Logform.TransformableInfo)(),
    transports,
    // With no outputs winston would warn on every entry; a silent logger is what was asked for.
    silent: transports.length === 0,
    exitOnError: false,
  });
  const core: LoggerCore = { winston: logger, now: options.now ?? ((): Date => new Date()), sinks, closing: undefined };
  return makeLogger(core, { ...(options.context ?? {}) });
}

function makeLogger(core: LoggerCore, context: Readonly<Record<string, string>>): Logger {
  const write = (level: LogLevel, message: string, fields: LogFields | undefined): void => {
    if (core.closing !== undefined) return;
    const info: LogInfo = { level, message, time: formatTime(core.now()), context: { ...context }, fields: { ...(fields ?? {}) } };
    core.winston.log(info as unknown as winston.LogEntry);
  };
  return {
    error: (message, fields) => write('error', message, fields),
    warn: (message, fields) => write('warn', message, fields),
    info: (message, fields) => write('info', message, fields),
    debug: (message, fields) => write('debug', message, fields),
    child: (extra) => makeLogger(core, { ...context, ...extra }),
    close: () => {
      core.closing ??= closeCore(core);
      return core.closing;
    },
  };
}

async function closeCore(core: LoggerCore): Promise<void> {
  // Ending the winston logger ends every transport after the entries queued before it.
  await new Promise<void>((resolve) => {
    core.winston.once('finish', () => resolve());
    core.winston.end();
  });
  const failures: Error[] = [];
  for (const sink of core.sinks) {
    const failure = await sink.finish();
    if (failure !== undefined) failures.push(failure);
  }
  const [first] = failures;
  if (first !== undefined) throw first;
}

function redactInfo(info: LogInfo, redactor: Redactor): LogInfo {
  info.message = redactor.redactString(String(info.message));
  info.context = redactor.redactValue(info.context) as { [key: string]: unknown };
  info.fields = redactor.redactValue(info.fields) as { [key: string]: unknown };
  return info;
}

function formatJsonLine(info: winston.Logform.TransformableInfo): winston.Logform.TransformableInfo {
  const entry = info as unknown as LogInfo;
  const line: { [key: string]: unknown } = { time: entry.time, level: entry.level, message: entry.message };
  if (Object.keys(entry.context).length > 0) line['context'] = entry.context;
  if (Object.keys(entry.fields).length > 0) line['fields'] = entry.fields;
  entry[MESSAGE] = JSON.stringify(line, jsonReplacer);
  return info;
}

function formatConsoleLine(info: winston.Logform.TransformableInfo): winston.Logform.TransformableInfo {
  const entry = info as unknown as LogInfo;
  const context = Object.entries(entry.context)
    .map(([key, value]) => `${CONSOLE_CONTEXT_NAMES[key] ?? key}=${formatConsoleValue(value)}`)
    .join(' ');
  const fields = Object.entries(entry.fields).map(([key, value]) => ` ${key}=${formatConsoleValue(value)}`);
  const prefix = `${entry.time} ${entry.level.padEnd(5)} ${context === '' ? '' : `[${context}] `}`;
  entry[MESSAGE] = `${prefix}${escapeLineBreaks(entry.message)}${fields.join('')}`;
  return info;
}

/** A value as `key=value` shows it: bare when unambiguous, JSON otherwise, errors as `Name: message`. */
function formatConsoleValue(value: unknown): string {
  if (typeof value === 'string') return /^[^\s"'=\\]+$/.test(value) ? value : JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (value === null || value === undefined) return String(value);
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'InvalidDate' : value.toISOString();
  if (isErrorCopy(value)) return JSON.stringify(`${String(value['name'])}: ${String(value['message'])}`);
  return escapeLineBreaks(JSON.stringify(value, jsonReplacer) ?? String(value));
}

/** The redactor turns errors into plain `{ name, message, stack, … }` objects. */
function isErrorCopy(value: unknown): value is { readonly [key: string]: unknown } {
  return typeof value === 'object' && value !== null && 'message' in value && 'stack' in value && 'name' in value;
}

function jsonReplacer(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}

function escapeLineBreaks(text: string): string {
  return text.replace(/\r/g, '\\r').replace(/\n/g, '\\n');
}

function formatTime(date: Date): string {
  return Number.isNaN(date.getTime()) ? 'InvalidDate' : date.toISOString();
}

/** An output the winston Stream transport writes lines to; `finish` flushes and closes it. */
interface LineSink extends Writable {
  /** Ends the sink; resolves with the first write failure, if any. */
  finish(): Promise<Error | undefined>;
}

/**
 * Appends each line to a file with a synchronous write, so an entry is in the file as soon as
 * winston hands it over (and survives a crash of the process right after). Write failures are
 * kept, not thrown into winston's stream machinery, and reported by `finish`.
 */
class FileLineSink extends Writable implements LineSink {
  readonly #path: string;
  readonly #fd: number;
  #failure: Error | undefined;
  #closed = false;

  constructor(path: string) {
    super({ decodeStrings: true });
    this.#path = path;
    try {
      mkdirSync(dirname(path), { recursive: true });
      this.#fd = openSync(path, 'a');
    } catch (error) {
      throw new QuantbotError('LOG_OPEN_FAILED', `${path}: cannot open the log file: ${errorMessage(error)}`, { cause: error });
    }
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (this.#failure === undefined) {
      try {
        let written = 0;
        while (written < chunk.length) written += writeSync(this.#fd, chunk, written, chunk.length - written);
      } catch (error) {
        this.#failure = new QuantbotError('LOG_WRITE_FAILED', `${this.#path}: cannot write to the log file: ${errorMessage(error)}`, {
          cause: error,
        });
      }
    }
    callback();
  }

  async finish(): Promise<Error | undefined> {
    await endWritable(this);
    if (!this.#closed) {
      this.#closed = true;
      try {
        fsyncSync(this.#fd);
      } catch (error) {
        this.#failure ??= new QuantbotError('LOG_WRITE_FAILED', `${this.#path}: cannot sync the log file: ${errorMessage(error)}`, { cause: error });
      } finally {
        closeSync(this.#fd);
      }
    }
    return this.#failure;
  }
}

/** Forwards lines to a caller's stream (never ended here: it may be `process.stderr`). */
class StreamLineSink extends Writable implements LineSink {
  readonly #target: LogStream;

  constructor(target: LogStream) {
    super({ decodeStrings: false });
    this.#target = target;
  }

  override _write(chunk: Buffer | string, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.#target.write(typeof chunk === 'string' ? chunk : chunk.toString('utf8'));
    callback();
  }

  async finish(): Promise<Error | undefined> {
    await endWritable(this);
    return undefined;
  }
}

function endWritable(stream: Writable): Promise<void> {
  if (stream.writableFinished) return Promise.resolve();
  return new Promise((resolve) => {
    stream.once('finish', () => resolve());
    if (!stream.writableEnded) stream.end();
  });
}
