import { ConfigError, formatIsoTime } from '@quantbot/core';
import type { CapitalStageReadiness, CapitalStageState, DefectRecord, DefectSeverity, PromotionRecord } from '@quantbot/research-registry';
import { DEFECT_SEVERITIES, PromotionBlockedError, formatNumber } from '@quantbot/research-registry';
import type { FlagValues } from '@quantbot/cli';
import type { ActionResult, CliEnv, ResearchAction } from './research-action';
import { CONFIG_FLAG, EXPERIMENT_FLAG, SNAPSHOT_FLAG, experimentFlag, gatesFrom, requiredFlag, snapshotChoice, stringFlag } from './research-action';
import { formatTable } from './checklist-table';

const REASON_FLAG = { name: 'reason', kind: 'string', valueName: 'text', description: 'why (kept with the ramp row)' } as const;
const BY_FLAG = { name: 'by', kind: 'string', valueName: 'name', description: 'who does it' } as const;

/** A capital-ramp state as one line for people. */
export function stageLine(state: CapitalStageState): string {
  const halted = state.halted ? 'HALTED, ' : '';
  return `${state.experimentId} snapshot ${state.snapshotId}: ${halted}capital stage ${state.stageIndex} (${formatNumber(state.stagePct)} % of ${formatNumber(state.targetCapital)}), notional cap ${formatNumber(state.notionalCap)} since ${formatIsoTime(state.since)} (${state.lastAction} ${state.promotionId}${state.reason === null ? '' : `: ${state.reason}`})`;
}

/** The checks of a capital advance as a table. */
export function advanceTable(readiness: CapitalStageReadiness): string[] {
  return formatTable(
    ['check', 'status', 'why'],
    readiness.checks.map((c) => [c.check, c.passed ? 'PASS' : 'FAIL', c.detail]),
  );
}

/** `promote --to live --stage next`: the advance, or exit 1 with why not. */
export async function advanceResult(run: () => Promise<{ readonly state: CapitalStageState; readonly readiness: CapitalStageReadiness }>): Promise<ActionResult> {
  try {
    const { state, readiness } = await run();
    return { exitCode: 0, json: { advanced: true, state, readiness }, text: [`${state.promotionId}: advanced to capital stage ${state.stageIndex}`, stageLine(state), ...advanceTable(readiness)] };
  } catch (error) {
    if (!(error instanceof PromotionBlockedError) || error.capitalStage === null) throw error;
    const readiness = error.capitalStage;
    return {
      exitCode: 1,
      json: { advanced: false, state: readiness.state, blockers: readiness.blockers, readiness },
      text: [`refused: ${readiness.state.experimentId} stays at capital stage ${readiness.state.stageIndex}: ${readiness.blockers.length} blocker(s)`, ...advanceTable(readiness)],
    };
  }
}

/** `stage show`: the current stage, its cap, and every ramp row. */
const STAGE_SHOW_ACTION: ResearchAction = {
  name: 'stage show',
  summary: 'show the live capital ramp: stage, notional cap, history of ramp rows',
  flags: [EXPERIMENT_FLAG, SNAPSHOT_FLAG, CONFIG_FLAG],
  help: `The snapshot is the one last promoted to live unless --snapshot names another. Exit 0; an
experiment never promoted to live with a target capital has no ramp ("no capital ramp").`,
  async prepare({ flags, io }) {
    const experimentId = experimentFlag(flags);
    const choice = snapshotChoice(flags);
    const gates = gatesFrom(flags, io.cwd);
    return {
      gates,
      run: async ({ registry }) => {
        const state = await registry.capitalStage(experimentId, choice);
        if (state === null) return { exitCode: 0, json: { state: null, history: [] }, text: [`${experimentId}: no capital ramp (never promoted to live with --target-capital)`] };
        const history = (await registry.listPromotions(experimentId)).filter((p) => p.snapshotId === state.snapshotId && p.capitalStage !== null);
        return { exitCode: 0, json: { state, history, ramp: gates.ramp }, text: [stageLine(state), '', ...historyTable(history)] };
      },
    };
  },
};

function historyTable(rows: readonly PromotionRecord[]): string[] {
  return formatTable(
    ['id', 'action', 'stage', 'target', 'by', 'at', 'reason'],
    rows.map((r) => [r.id, r.action, String(r.capitalStage), formatNumber(r.targetCapital ?? 0), r.promotedBy, formatIsoTime(r.promotedAt), r.reason ?? '-']),
  );
}

function manualBreach(action: 'rollback' | 'halt'): ResearchAction {
  return {
    name: `stage ${action}`,
    summary: action === 'rollback' ? 'roll the live ramp back one stage (at stage 0: halt), a manual breach' : 'halt the live ramp (notional cap 0), a manual breach',
    flags: [EXPERIMENT_FLAG, BY_FLAG, REASON_FLAG, SNAPSHOT_FLAG, CONFIG_FLAG],
    help: `Recorded as a ramp row (kind manual) with who, when and why.
  stage ${action} --experiment exp-1 --by risk-desk --reason "slippage far above the backtest"`,
    async prepare({ flags, io }) {
      const experimentId = experimentFlag(flags);
      const by = requiredFlag(flags, 'by', 'who does it');
      const reason = requiredFlag(flags, 'reason', 'why');
      const gates = gatesFrom(flags, io.cwd);
      return {
        gates,
        run: async ({ registry }) => {
          const state = await registry.breachCapitalStage(experimentId, { kind: 'manual', reason, by, action, ...snapshotChoice(flags) });
          return { exitCode: 0, json: { state }, text: [stageLine(state)] };
        },
      };
    },
  };
}

const STAGE_RESUME_ACTION: ResearchAction = {
  name: 'stage resume',
  summary: 'lift a halt: the live ramp starts again at stage 0',
  flags: [EXPERIMENT_FLAG, BY_FLAG, REASON_FLAG, SNAPSHOT_FLAG, CONFIG_FLAG],
  help: 'Refused (exit 1) when the ramp is not halted.\n  stage resume --experiment exp-1 --by risk-desk --reason "broker fixed the fills feed"',
  async prepare({ flags, io }) {
    const experimentId = experimentFlag(flags);
    const by = requiredFlag(flags, 'by', 'who does it');
    const reason = requiredFlag(flags, 'reason', 'why');
    const gates = gatesFrom(flags, io.cwd);
    return {
      gates,
      run: async ({ registry }) => {
        const state = await registry.resumeCapitalStage(experimentId, { by, reason, ...snapshotChoice(flags) });
        return { exitCode: 0, json: { state }, text: [stageLine(state)] };
      },
    };
  },
};

/** `--by`, else env `USER`; without either a `ConfigError` naming `--by`. */
function byOrUser(flags: FlagValues, env: CliEnv): string {
  const by = stringFlag(flags, 'by') ?? (env['USER'] !== undefined && env['USER'].trim() !== '' ? env['USER'] : undefined);
  if (by === undefined) throw new ConfigError('--by', 'is required when env USER is unset: who does it');
  return by;
}

function defectLine(d: DefectRecord): string {
  const source = d.incidentId === null ? '' : ` (incident ${d.incidentId})`;
  const closed = d.status === 'closed' ? `, closed by ${String(d.closedBy)} at ${formatIsoTime(d.closedAt ?? 0)}: ${String(d.resolution)}` : '';
  return `${d.id} ${d.severity} ${d.status}: ${d.title}${source}, opened by ${d.openedBy} at ${formatIsoTime(d.openedAt)}${closed}`;
}

const DEFECT_OPEN_ACTION: ResearchAction = {
  name: 'defect open',
  summary: 'open a defect (P1..P4); open P1/P2 defects block live promotion and capital advances',
  flags: [
    EXPERIMENT_FLAG,
    { name: 'severity', kind: 'string', valueName: 'P1..P4', description: 'how bad: P1 (worst) to P4' },
    { name: 'title', kind: 'string', valueName: 'text', description: 'one line' },
    { name: 'detail', kind: 'string', valueName: 'text', description: 'more (optional)' },
    { name: 'by', kind: 'string', valueName: 'name', description: 'who opens it (default: env USER)' },
    SNAPSHOT_FLAG,
  ],
  help: '  defect open --experiment exp-1 --severity P2 --title "fills booked twice after a reconnect"',
  async prepare({ flags, env }) {
    const experimentId = experimentFlag(flags);
    const severity = requiredFlag(flags, 'severity', `the severity, one of ${DEFECT_SEVERITIES.join(', ')}`);
    if (!(DEFECT_SEVERITIES as readonly string[]).includes(severity)) throw new ConfigError('--severity', `'${severity}' is not a severity; expected one of ${DEFECT_SEVERITIES.join(', ')}`);
    const title = requiredFlag(flags, 'title', 'one line on the defect');
    const detail = stringFlag(flags, 'detail');
    const openedBy = byOrUser(flags, env);
    return {
      run: async ({ registry }) => {
        const { record } = await registry.openDefect(experimentId, { severity: severity as DefectSeverity, title, openedBy, ...(detail === undefined ? {} : { detail }), ...snapshotChoice(flags) });
        return { exitCode: 0, json: { defect: record }, text: [defectLine(record)] };
      },
    };
  },
};

const DEFECT_CLOSE_ACTION: ResearchAction = {
  name: 'defect close',
  summary: 'close a defect with its resolution',
  flags: [
    { name: 'defect', kind: 'string', valueName: 'id', description: 'the defect (def-<n>)' },
    { name: 'by', kind: 'string', valueName: 'name', description: 'who closes it (default: env USER)' },
    { name: 'resolution', kind: 'string', valueName: 'text', description: 'how it was resolved' },
  ],
  help: 'Closing a closed defect is refused (exit 1).\n  defect close --defect def-3 --by sam --resolution "deduplicated fills by execution id"',
  async prepare({ flags, env }) {
    const defectId = requiredFlag(flags, 'defect', 'the defect id (def-<n>)');
    const resolution = requiredFlag(flags, 'resolution', 'how it was resolved');
    const by = byOrUser(flags, env);
    return {
      run: async ({ registry }) => {
        const defect = await registry.closeDefect(defectId, { by, resolution });
        return { exitCode: 0, json: { defect }, text: [defectLine(defect)] };
      },
    };
  },
};

const DEFECT_LIST_ACTION: ResearchAction = {
  name: 'defect list',
  summary: "list an experiment's defects (--open: only the open ones)",
  flags: [EXPERIMENT_FLAG, { name: 'open', kind: 'boolean', description: 'only the open defects' }],
  help: '',
  async prepare({ flags }) {
    const experimentId = experimentFlag(flags);
    const open = flags['open'] === true;
    return {
      run: async ({ registry }) => {
        const defects = await registry.listDefects(experimentId, open ? { status: 'open' } : {});
        const rows = defects.map((d) => [d.id, d.severity, d.status, d.openedBy, formatIsoTime(d.openedAt), d.incidentId ?? '-', d.title]);
        return {
          exitCode: 0,
          json: { defects },
          text: defects.length === 0 ? [`${experimentId}: no ${open ? 'open ' : ''}defects`] : formatTable(['id', 'severity', 'status', 'opened by', 'opened', 'incident', 'title'], rows),
        };
      },
    };
  },
};

/** The capital-ramp and defect actions (two words: `stage show`, `defect open`, …). */
export const RAMP_ACTIONS: readonly ResearchAction[] = [
  STAGE_SHOW_ACTION,
  manualBreach('rollback'),
  manualBreach('halt'),
  STAGE_RESUME_ACTION,
  DEFECT_OPEN_ACTION,
  DEFECT_CLOSE_ACTION,
  DEFECT_LIST_ACTION,
];
