/**
 * The root of every error Quantbot's libraries throw. `code` is stable and machine-readable;
 * the message names the place (file and line, symbol and time, flag or field).
 */
export class QuantbotError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** Where in an input a problem was found. Every field is optional; the message uses those present. */
export interface DataLocation {
  readonly file?: string;
  readonly line?: number;
  readonly field?: string;
  readonly symbol?: string;
}

/** Input data that cannot be used as it is: a malformed file, a missing column, an unparseable value. */
export class DataError extends QuantbotError {
  readonly location: DataLocation;

  constructor(message: string, location: DataLocation = {}, options?: { cause?: unknown }) {
    super('DATA_INVALID', `${formatLocation(location)}${message}`, options);
    this.location = location;
  }
}

/**
 * A configuration value that is unknown or out of range. In a library, `key` is the option field
 * at fault, as the caller spelt it (`startingCash`, `execution.feeBps`, `sizing.percent-of-cash`),
 * never a command-line flag: an app that took the value from a flag names the flag in its own
 * message (see {@link ConfigError.withKey}). The message is `<key>: <reason>`.
 */
export class ConfigError extends QuantbotError {
  readonly key: string;
  /** What is wrong, without the key: `must be a positive amount, got 0`. */
  readonly reason: string;

  constructor(key: string, reason: string, options?: { cause?: unknown }) {
    super('CONFIG_INVALID', `${key}: ${reason}`, options);
    this.key = key;
    this.reason = reason;
  }

  /** The same error under another key (an app's flag for a library's field), with this one as its cause. */
  withKey(key: string): ConfigError {
    return new ConfigError(key, this.reason, { cause: this });
  }
}

/** An operation the portfolio ledger refuses because it would corrupt the books. */
export class LedgerError extends QuantbotError {
  constructor(message: string) {
    super('LEDGER_INVALID', message);
  }
}

/**
 * An order lifecycle transition that the order state machine does not allow, or an event that
 * does not belong to the order it is applied to. Names the order (`orderId`, undefined when not
 * known), the state it was in and the event.
 */
export class OrderStateError extends QuantbotError {
  readonly orderId: string | undefined;
  readonly state: string;
  readonly event: string;

  constructor(orderId: string | undefined, state: string, event: string, detail?: string) {
    const which = orderId === undefined ? 'order' : `order ${orderId}`;
    super('ORDER_STATE_INVALID', `${which}: event '${event}' is not allowed in state '${state}'${detail === undefined ? '' : ` (${detail})`}`);
    this.orderId = orderId;
    this.state = state;
    this.event = event;
  }
}

/** A read of data that lies in the future of the current decision time. */
export class LookaheadError extends QuantbotError {
  constructor(message: string) {
    super('LOOKAHEAD', message);
  }
}

function formatLocation(location: DataLocation): string {
  const parts: string[] = [];
  if (location.file !== undefined) {
    parts.push(location.line !== undefined ? `${location.file}:${location.line}` : location.file);
  } else if (location.line !== undefined) {
    parts.push(`line ${location.line}`);
  }
  if (location.symbol !== undefined) parts.push(`symbol ${location.symbol}`);
  if (location.field !== undefined) parts.push(`field ${location.field}`);
  return parts.length > 0 ? `${parts.join(', ')}: ` : '';
}
