import { ConfigError } from '@quantbot/core';
import { parsePaperDays } from '@quantbot/research-registry';
import type { ResearchAction } from './research-action';
import { EXPERIMENT_FLAG, PAYLOAD_FILE_FLAG, PAYLOAD_FLAG, RECORDED_BY_FLAG, SNAPSHOT_FLAG, experimentFlag, numberFlag, recordOptions, stringFlag } from './research-action';
import { readPayload, withFlagFields } from './payload';

/** `record-paper`: paper-trading days of a snapshot, one from flags or many from a payload. */
export const RECORD_PAPER_ACTION: ResearchAction = {
  name: 'record-paper',
  summary: 'record paper-trading days by hand (source manual: shown, never counted by a gate)',
  flags: [
    EXPERIMENT_FLAG,
    SNAPSHOT_FLAG,
    RECORDED_BY_FLAG,
    { name: 'date', kind: 'string', valueName: 'YYYY-MM-DD', description: 'the trading date' },
    { name: 'pnl', kind: 'number', valueName: 'amount', description: 'the day’s P&L (account currency)' },
    { name: 'quality-score', kind: 'number', valueName: '0..100', description: 'execution quality score' },
    { name: 'slippage-bps', kind: 'number', valueName: 'bps', description: 'average slippage vs arrival price' },
    { name: 'fill-rate', kind: 'number', valueName: '0..1', description: 'filled / ordered quantity' },
    { name: 'drawdown-pct', kind: 'number', valueName: 'pct', description: 'drawdown from the equity peak at the close, percent' },
    { name: 'equity', kind: 'number', valueName: 'amount', description: 'equity at the close (optional)' },
    PAYLOAD_FLAG,
    PAYLOAD_FILE_FLAG,
  ],
  help: `A day: {"date": "2024-01-02", "dailyPnl": 120.5, "qualityScore": 92, "averageSlippageBps": 3.1,
  "fillRate": 0.99, "drawdownPct": 0.8, "equity": 100120.5}; a payload may hold one day, an array of
days, or {"days": [...]}. All days are written or none. Refused (exit 1, nothing written): a date already
recorded; a date that is not an NYSE trading day (weekend, holiday); a date after today; a date on or
before the day of the snapshot's paper promotion (or a snapshot never promoted to paper). Days recorded
here are marked source "manual": they are shown (as "N manual day(s) not counted") but never counted by
a gate; the paper gates count only the days the trader records itself.
  record-paper --experiment exp-1 --date 2024-01-02 --pnl 120.5 --quality-score 92 --slippage-bps 3.1 --fill-rate 0.99 --drawdown-pct 0.8`,
  async prepare({ flags, io, env }) {
    const experimentId = experimentFlag(flags);
    const payload = readPayload(flags, io);
    const fields = [
      { field: 'date', flag: 'date', value: stringFlag(flags, 'date') },
      { field: 'dailyPnl', flag: 'pnl', value: numberFlag(flags, 'pnl') },
      { field: 'qualityScore', flag: 'quality-score', value: numberFlag(flags, 'quality-score') },
      { field: 'averageSlippageBps', flag: 'slippage-bps', value: numberFlag(flags, 'slippage-bps') },
      { field: 'fillRate', flag: 'fill-rate', value: numberFlag(flags, 'fill-rate') },
      { field: 'drawdownPct', flag: 'drawdown-pct', value: numberFlag(flags, 'drawdown-pct') },
      { field: 'equity', flag: 'equity', value: numberFlag(flags, 'equity') },
    ];
    const value = payload.value as { days?: unknown } | undefined;
    const given = fields.find((f) => f.value !== undefined);
    if (given !== undefined && (Array.isArray(value) || (typeof value === 'object' && value !== null && value.days !== undefined))) {
      throw new ConfigError(`--${given.flag}`, 'day flags cannot be combined with a payload of several days');
    }
    if (value === undefined && given === undefined) throw new ConfigError('--date', 'is required: give a day with flags, or --payload / --payload-file');
    const days = parsePaperDays(withFlagFields(payload.value, fields), payload.source);
    const choice = recordOptions(flags, env);
    return {
      run: async ({ registry }) => {
        const recorded = await registry.recordPaperDays(experimentId, days, choice);
        const all = await registry.listPaperDays(experimentId, { snapshotId: recorded[0]?.snapshotId ?? '' });
        const range = recorded.length === 1 ? recorded[0]?.date : `${recorded[0]?.date}..${recorded.at(-1)?.date}`;
        return {
          exitCode: 0,
          json: { days: recorded, recordedDays: all.length },
          text: [`recorded ${recorded.length} manual paper day(s) ${range} for ${experimentId} snapshot ${recorded[0]?.snapshotId} by ${choice.recordedBy}; ${all.length} day(s) recorded in all`],
        };
      },
    };
  },
};
