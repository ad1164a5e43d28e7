import type { FlagSpec, FlagValues } from '@quantbot/cli';
import { BACKTEST_RUN_FLAGS, RUN_FILE_FLAGS, formatFlagHelp } from '@quantbot/cli';
import { DEFAULT_KILL_FILE } from './kill-switch-command';
import { LIVE_DEFAULT_KILL_SWITCH, describeKillSwitch } from './live-guardrails';
import { BROKER_OUTAGE_EXIT_CODE } from './live-notices';
import { DEFAULT_STATUS_EVERY } from './trader-output';

export const RUN_FLAGS: readonly FlagSpec[] = [
  { name: 'strategy', kind: 'string', valueName: 'name|file', description: 'strategy to trade (default sma-crossover), or a strategy file (./my-strategy.ts; paper only: refused with --live; with --experiment its days count only for an experiment of this exact file; docs/strategies.md)' },
  { name: 'params', kind: 'string', valueName: 'k=v,...', description: 'strategy parameters, e.g. fast=10,slow=30' },
  {
    name: 'manager',
    kind: 'string',
    valueName: 'file',
    description:
      "trade several strategies in one portfolio: a manager file of sleeves (strategy, params, allocation, killSwitch), as the backtester's, instead of --strategy and --params; paper only (refused with --live and --experiment); 'live-trader sleeve' halts, flattens or resumes one sleeve",
  },
  { name: 'symbols', kind: 'string', valueName: 'A,B', description: 'symbols to trade (required with --broker alpaca)' },
  { name: 'broker', kind: 'string', valueName: 'sim|alpaca', description: 'sim: the execution simulator on replayed bars, no account (default); alpaca: Alpaca paper, or the fake with --alpaca-url' },
  { name: 'session', kind: 'string', valueName: 'id', description: 'names the saved state and prefixes client order ids (default <strategy>-<broker>)' },
  { name: 'alpaca-url', kind: 'string', valueName: 'url', description: 'trading API root of another server; its market data and streams are taken from it too. Loopback is the local fake; Alpaca paper is paper; any other host is live money and needs --live' },
  { name: 'feed', kind: 'string', valueName: 'iex|sip', description: 'Alpaca market-data feed (default iex)' },
  { name: 'live', kind: 'boolean', description: 'trade real money (api.alpaca.markets, or --alpaca-url); needs --confirm-live, --max-notional, --max-position and --experiment' },
  { name: 'confirm-live', kind: 'string', valueName: 'session', description: 'with --live: repeat the session id to confirm' },
  {
    name: 'experiment',
    kind: 'string',
    valueName: 'id',
    description:
      'the research-registry experiment promoted (to paper, or with --live to live) for this strategy and these parameters: each New York day traded is recorded as its evidence (required with --live; docs/going-live.md)',
  },
  { name: 'shadow-profile', kind: 'string', valueName: 'name', description: 'with --experiment: the execution profile the shadow simulator fills each decision under, for drift (idealistic, realistic, stressed; default realistic)' },
  { name: 'promotion-gates', kind: 'string', valueName: 'file', description: 'with --experiment: the gate file whose drift thresholds and capital ramp apply (default config/promotion-gates.json when present)' },
  { name: 'max-notional', kind: 'number', valueName: 'usd', description: 'cap on any order notional (required with --live; same as --risk maxOrderNotional)' },
  { name: 'max-position', kind: 'number', valueName: 'shares', description: 'cap on any position, in shares (required with --live; same as --risk maxPositionQty)' },
  { name: 'risk', kind: 'string', valueName: 'k=v,...', description: 'pre-trade limits, as the backtester: maxOrderNotional, maxPositionQty, maxPositionPctEquity, maxGrossExposurePct, maxGrossNotional, priceBandPct, allowShort, maxGapAdjustedExposurePct, gapRisk.<SYM>, ...' },
  { name: 'allow-symbols', kind: 'string', valueName: 'A,B', description: 'only these symbols may be traded' },
  { name: 'deny-symbols', kind: 'string', valueName: 'A,B', description: 'these symbols may not be traded' },
  { name: 'kill-switch', kind: 'string', valueName: 'k=v,...', description: `drawdown and daily-loss levels, cooldown, re-arm policy, as the backtester (live default ${describeKillSwitch(LIVE_DEFAULT_KILL_SWITCH)} when no halt level is given)` },
  { name: 'sizing', kind: 'string', valueName: 'rule', description: 'how --sizing-pct sizes a new position: percent-of-cash (default: of the cash left) or percent-of-equity (of cash plus open positions)' },
  { name: 'sizing-pct', kind: 'number', valueName: 'pct', description: 'percent per new position, of cash or equity as --sizing says (default 10)' },
  { name: 'data-halt', kind: 'string', valueName: 'k=v,...|off', description: 'halt when the data behind an open position cannot be trusted: maxStalenessMs (default 345600000, 4 days), spikeReturn (a fraction, default 0.25); off turns it off (default on)' },
  { name: 'orphans', kind: 'string', valueName: 'cancel|adopt', description: 'open orders at the broker that this session did not send, on its symbols (default cancel)' },
  { name: 'max-outage-ms', kind: 'number', valueName: 'ms', description: `alpaca: stop with exit ${BROKER_OUTAGE_EXIT_CODE} once the broker (either stream or REST) has been unreachable this long in market hours (default 60000)` },
  { name: 'clock-poll-ms', kind: 'number', valueName: 'ms', description: 'while the market is closed, ask the broker\'s clock again this often (default 60000)' },
  { name: 'slo-config', kind: 'string', valueName: 'file', description: 'the SLOs and their burn-rate alerts (default config/slo.json when present, else the built-in defaults; docs/operations.md); paging: SLO_PAGING_ENABLED, SLO_PAGING_WEBHOOK_URL, SLO_PAGING_MIN_SEVERITY, SLO_PAGING_TIMEOUT_SECONDS' },
  { name: 'incident-ack-minutes', kind: 'number', valueName: 'min', description: 'an incident (opened by a critical or page alert) not acknowledged this long is paged again, one severity higher, and again every such period (default 15)' },
  { name: 'step-timeout-ms', kind: 'number', valueName: 'ms', description: 'alpaca: decide on a minute this long after its first bar even if a symbol has no bar yet (the IEX feed has none for a minute without trades; default 10000)' },
  { name: 'history-minutes', kind: 'number', valueName: 'n', description: 'minutes of bars to warm a new Alpaca session up with (default 600)' },
  { name: 'data', kind: 'string', valueName: 'file|dir', description: 'sim: bar files to replay (default: seeded synthetic data)' },
  { name: 'seed', kind: 'number', valueName: 'n', description: 'sim: seed of the synthetic data (default 42)' },
  // The data-quality gate's flags, as `backtester run` has them.
  ...BACKTEST_RUN_FLAGS.filter((flag) => ['data-quality', 'max-bar-move-pct', 'calendar', 'repair'].includes(flag.name)).map((flag) => ({ ...flag, description: `sim: ${flag.description}` })),
  { name: 'warmup-bars', kind: 'number', valueName: 'n', description: 'sim: bars of the data used only to warm up (default 100)' },
  { name: 'interval-ms', kind: 'number', valueName: 'ms', description: 'sim: real time between replayed bars (default 0)' },
  { name: 'cash', kind: 'number', valueName: 'usd', description: 'sim: starting cash (default 100000)' },
  { name: 'stop-after', kind: 'number', valueName: 'bars', description: 'stop cleanly after this many bars' },
  { name: 'state-dir', kind: 'string', valueName: 'dir', description: 'embedded state database directory (default .quantbot/live; DATABASE_URL selects a server)' },
  { name: 'state-schema', kind: 'string', valueName: 'name', description: 'Postgres schema of the state (default quantbot_live)' },
  { name: 'kill-file', kind: 'string', valueName: 'path', description: `the kill file to obey, read at start, before every bar and on a timer (default ${DEFAULT_KILL_FILE})` },
  { name: 'kill-file-poll-ms', kind: 'number', valueName: 'ms', description: 'read the kill file and re-arm requests this often while no bar arrives (default 1000)' },
  { name: 'metrics-port', kind: 'number', valueName: 'port', description: 'serve Prometheus metrics at http://<metrics-host>:<port>/metrics while trading (0: a free port; the URL is printed at the start)' },
  { name: 'metrics-host', kind: 'string', valueName: 'address', description: 'with --metrics-port: the address to bind (default 127.0.0.1, this host only)' },
  { name: 'status-every', kind: 'string', valueName: 'n|ms|s|m|off', description: `print a status line on stderr every n steps (10), or this often (500ms, 30s, 5m); off: never (default ${DEFAULT_STATUS_EVERY})` },
  { name: 'quiet', kind: 'boolean', description: 'print only warnings, errors and the final summary' },
  { name: 'json', kind: 'boolean', description: 'print JSON lines only: {"type":"info"|"warning"|"error","message":...}, {"type":"status",...}, and the final summary' },
  { name: 'help', kind: 'boolean', description: 'show this help' },
];

export const RUN_USAGE = `usage: live-trader run [flags]

Trades a strategy on paper, bar by bar, with the same engine, gateway and strategy code as a
backtest. State (checkpoint, orders, fills, audit) is saved after every bar; a restart continues
where the last process stopped, after reconciling with the broker. SIGINT/SIGTERM stop cleanly.

flags:
${formatFlagHelp([...RUN_FLAGS, ...RUN_FILE_FLAGS])}

A run file (--config) holds these flags by name without the dashes (relative paths from its
folder); flags given here override it. It never holds credentials: they come from the environment.

A checkpoint that is unreadable, edited in the database (it fails its integrity hash) or saved
without a hash is refused, and the refusal stands on every later start until an operator runs
'live-trader state accept' or 'state reset'. One process trades a session at a time (embedded:
the data directory's lock; server: a Postgres advisory lock on the session).

exit codes: 0 stopped cleanly, 1 failure, 2 usage or configuration error, 3 refused to trade
(a refused checkpoint, the session already traded by another process, or a live run that is not
allowed), 4 the broker cannot be reached at the start, 5 broker outage: the broker was unreachable
for --max-outage-ms of market hours, or a stop was asked for while it was (open orders cancelled
as far as it answered; positions may be open).`;


/** The flags of `live-trader run` whose values are paths: relative ones in a run file are resolved from its folder. */
export const RUN_PATH_FLAGS: readonly string[] = ['manager', 'data', 'promotion-gates', 'slo-config', 'state-dir', 'kill-file'];

/**
 * The defaults `--print-config` fills in for flags not set, as `live-trader run` applies them
 * (those that depend on other flags or the environment, such as the session id or the state
 * store, are left out).
 */
export function runDefaults(flags: FlagValues): FlagValues {
  const broker = flags['broker'] ?? 'sim';
  const all: Record<string, string | number | boolean> = {
    ...(flags['manager'] === undefined ? { strategy: 'sma-crossover' } : {}),
    broker: typeof broker === 'string' ? broker : 'sim',
    sizing: 'percent-of-cash',
    'sizing-pct': 10,
    orphans: 'cancel',
    'kill-file': DEFAULT_KILL_FILE,
    'status-every': DEFAULT_STATUS_EVERY,
  };
  if (broker === 'alpaca') {
    Object.assign(all, { feed: 'iex', 'max-outage-ms': 60000, 'clock-poll-ms': 60000, 'history-minutes': 600 });
  } else {
    Object.assign(all, { seed: 42, 'warmup-bars': 100, 'interval-ms': 0, cash: 100000 });
  }
  return all;
}
