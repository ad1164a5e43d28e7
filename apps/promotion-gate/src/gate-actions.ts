import { ConfigError, formatIsoTime } from '@quantbot/core';
import type { LoadedPromotionGateConfig, PromotionReadiness } from '@quantbot/research-registry';
import { PromotionBlockedError, formatNumber } from '@quantbot/research-registry';
import type { ActionResult, ResearchAction } from './research-action';
import { CONFIG_FLAG, EXPERIMENT_FLAG, SNAPSHOT_FLAG, STAGE_FLAG, experimentFlag, gatesFrom, numberFlag, requiredFlag, snapshotChoice, stageFlag, stageOf, stringFlag } from './research-action';
import { advanceResult, stageLine } from './ramp-actions';
import { checklistHeading, checklistTable, describeTrials, formatTable, gateReasonTable, verdictLine } from './checklist-table';
import type { FlagValues } from '@quantbot/cli';

const STRICT_FLAG = { name: 'strict', kind: 'boolean', description: 'missing evidence blocks (otherwise it is a warning)' } as const;


/**
 * What `check` and `blockers` share: judge the experiment's next promotion with the gate file.
 * As a gate (`check`) the whole checklist is shown and the exit code is 1 unless ready; as a
 * question (`blockers`) only what blocks, and the exit code is 0.
 */
function prepareReadiness(flags: FlagValues, cwd: string, isGate: boolean): Awaited<ReturnType<ResearchAction['prepare']>> {
  const experimentId = experimentFlag(flags);
  const options = { ...snapshotChoice(flags), ...stageOf(stageFlag(flags)), strict: flags['strict'] === true };
  const gates = gatesFrom(flags, cwd);
  return {
    gates,
    run: async ({ registry }) => {
      const readiness = await registry.isPromotionReady(experimentId, options);
      return { ...readinessReport(readiness, gates, isGate), exitCode: isGate && !readiness.ready ? 1 : 0 };
    },
  };
}

/** `check`: the checklist as a table; exit 1 unless ready. */
export const CHECK_ACTION: ResearchAction = {
  name: 'check',
  summary: 'judge the promotion gates; exit 1 (with a table of the failing gates) unless ready',
  flags: [EXPERIMENT_FLAG, STRICT_FLAG, STAGE_FLAG, SNAPSHOT_FLAG, CONFIG_FLAG],
  help: `Prints every gate with its threshold, measured value and status, then the verdict. Exit 0 when
ready, 1 when a required gate fails (or, with --strict, has no evidence). CI runs:
  check --strict --experiment "$PROMOTION_EXPERIMENT_ID"`,
  prepare: ({ flags, io }) => Promise.resolve(prepareReadiness(flags, io.cwd, true)),
};

/** `blockers`: what stands in the way of a promotion (exit 0: it is a question, not a gate). */
export const BLOCKERS_ACTION: ResearchAction = {
  name: 'blockers',
  summary: 'list what blocks a promotion, and the gates without evidence',
  flags: [EXPERIMENT_FLAG, STRICT_FLAG, STAGE_FLAG, SNAPSHOT_FLAG, CONFIG_FLAG],
  help: 'Lists the blocking gates (and, outside --strict, the gates without evidence as warnings) with why. Exit 0.',
  prepare: ({ flags, io }) => Promise.resolve(prepareReadiness(flags, io.cwd, false)),
};

/** `summary`: the experiment, its snapshots, trials, latest evidence, promotions and checklist. */
export const SUMMARY_ACTION: ResearchAction = {
  name: 'summary',
  summary: 'show an experiment: snapshots, trial count, latest evidence, promotions, checklist',
  flags: [EXPERIMENT_FLAG, STAGE_FLAG, SNAPSHOT_FLAG, CONFIG_FLAG],
  help: '',
  async prepare({ flags, io }) {
    const experimentId = experimentFlag(flags);
    const options = { ...snapshotChoice(flags), ...stageOf(stageFlag(flags)) };
    const gates = gatesFrom(flags, io.cwd);
    return {
      gates,
      run: async ({ registry }) => {
        const summary = await registry.summarize(experimentId, options);
        const { experiment, candidate, checklist } = summary;
        const n = (x: number | null | undefined): string => (x === null || x === undefined ? '-' : formatNumber(x));
        const text = [
          `${experiment.id}: ${experiment.strategy}, owner ${experiment.owner}, created ${formatIsoTime(experiment.createdAt)}`,
          `hypothesis: ${experiment.hypothesis}`,
          `trials: ${describeTrials(summary.trials)}`,
          '',
          'sweeps:',
          ...(summary.sweeps.length === 0
            ? ['  none']
            : formatTable(
                ['id', 'run', 'trials', 'invalid', 'execution', 'Sharpe mean', 'Sharpe var', 'best', 'DSR', 'PBO', 'sweep.json sha256'],
                summary.sweeps.map((s) => [s.id, s.runId, String(s.trials), String(s.invalid), s.execution, n(s.sharpeMean), n(s.sharpeVariance), n(s.bestSharpe), n(s.deflatedSharpe), n(s.pbo), `${s.artifactSha256.slice(0, 12)}…`]),
              ).map((l) => `  ${l}`)),
          '',
          'snapshots:',
          ...(summary.snapshots.length === 0
            ? ['  none']
            : formatTable(
                ['id', 'current', 'backtests', 'sha256', 'label', 'params'],
                summary.snapshots.map((s) => [s.id, s.id === experiment.currentSnapshotId ? '*' : '', String(s.backtests), `${s.paramsHash.slice(0, 12)}…`, s.label ?? '-', JSON.stringify(s.params)]),
              ).map((l) => `  ${l}`)),
          '',
          `latest evidence of ${candidate.snapshotId ?? '(no snapshot)'}:`,
          candidate.backtest === null
            ? '  backtest: none'
            : `  backtest ${candidate.backtest.id}: run ${candidate.backtest.runId}, Sharpe ${n(candidate.backtest.metrics.sharpe)}, return ${n(candidate.backtest.metrics.totalReturn)}, max DD ${n(candidate.backtest.metrics.maxDrawdownPct)} %, ${candidate.backtest.metrics.closedTrades ?? '-'} trades, digest ${candidate.backtest.digestVerified ? 'verified' : 'not verified'}`,
          candidate.validation === null
            ? '  validation: none'
            : `  validation ${candidate.validation.id}: mean IS Sharpe ${n(candidate.validation.meanIsSharpe)}, mean OOS Sharpe ${n(candidate.validation.meanOosSharpe)}, overfit ratio ${n(candidate.validation.overfitRatio)}, DSR ${n(candidate.validation.deflatedSharpe)}, PBO ${n(candidate.validation.pbo)}`,
          checklist.paper.recordedDays === 0
            ? `  paper: no complete trader-recorded day${checklist.paper.manualDays === 0 ? '' : ` (${checklist.paper.manualDays} manual day(s) not counted)`}`
            : `  paper: ${checklist.paper.recordedDays} complete trader day(s), ${checklist.paper.manualDays} manual (not counted), latest run ${checklist.paper.streakDays} day(s) ${checklist.paper.streakStart}..${checklist.paper.streakEnd}, P&L ${n(checklist.paper.totalPnl)}`,
          candidate.review === null ? '  review: none' : `  review ${candidate.review.id}: ${candidate.review.decision} by ${candidate.review.reviewer}`,
          '',
          'promotions:',
          ...(summary.promotions.length === 0
            ? ['  none']
            : summary.promotions.map(
                (p) =>
                  `  ${p.id}: ${p.action === 'promote' ? '' : `${p.action} `}${p.snapshotId} to ${p.stage}${p.capitalStage === null ? '' : ` capital stage ${p.capitalStage}`} by ${p.promotedBy} at ${formatIsoTime(p.promotedAt)} (gates version ${p.configVersion})${p.reason === null ? '' : `: ${p.reason}`}`,
              )),
          '',
          checklistHeading(checklist),
          ...checklistTable(checklist),
        ];
        return { exitCode: 0, json: { ...summary, gates: gatesInfo(gates) }, text };
      },
    };
  },
};

/** `promote`: records a promotion when no gate blocks (always strict), or advances the live capital ramp (`--stage next`). */
export const PROMOTE_ACTION: ResearchAction = {
  name: 'promote',
  summary: 'promote the snapshot to paper or live (refused, exit 1, while any gate blocks; always strict); --stage next advances the live capital ramp',
  flags: [
    EXPERIMENT_FLAG,
    { name: 'to', kind: 'string', valueName: 'paper|live', description: 'the stage' },
    { name: 'by', kind: 'string', valueName: 'name', description: 'who promotes' },
    { name: 'target-capital', kind: 'number', valueName: 'usd', description: 'live: the capital the ramp climbs to (required for --to live)' },
    { name: 'stage', kind: 'string', valueName: 'next', description: 'with --to live: advance the live snapshot one capital stage, on evidence' },
    SNAPSHOT_FLAG,
    CONFIG_FLAG,
  ],
  help: `Promotion is strict: missing evidence blocks like failing evidence. The record keeps who, when, the
snapshot, the stage, the gate configuration version and the checklist that allowed it. A live promotion
needs --target-capital and starts the capital ramp at stage 0 (ramp.stagesPct[0] % of it).
--stage next advances the ramp one stage when the evidence is there (enough complete live trader days
at the stage, no drift beyond thresholds, no open P1/P2 defect, not halted); else exit 1 with why.
  promote --experiment exp-1 --to paper --by dana
  promote --experiment exp-1 --to live --by erin --target-capital 100000
  promote --experiment exp-1 --to live --stage next --by erin`,
  async prepare({ flags, io }) {
    const experimentId = experimentFlag(flags);
    const target = stageFlag(flags, 'to');
    if (target === undefined) throw new ConfigError('--to', 'is required: the stage, paper or live');
    const by = requiredFlag(flags, 'by', 'who promotes');
    const targetCapital = numberFlag(flags, 'target-capital');
    const step = stringFlag(flags, 'stage');
    if (step !== undefined) {
      if (step !== 'next') throw new ConfigError('--stage', `'${step}' is not understood; expected next (advance the live capital ramp one stage)`);
      if (target !== 'live') throw new ConfigError('--stage', 'advances the live capital ramp: use it with --to live');
      if (targetCapital !== undefined) throw new ConfigError('--target-capital', 'is set by the live promotion; --stage next keeps it');
    } else if (target === 'live' && (targetCapital === undefined || !Number.isFinite(targetCapital) || !(targetCapital > 0))) {
      throw new ConfigError('--target-capital', `is required for --to live: the capital the ramp climbs to, a number > 0${targetCapital === undefined ? '' : `, got ${targetCapital}`}`);
    } else if (target === 'paper' && targetCapital !== undefined) {
      throw new ConfigError('--target-capital', 'is for --to live only');
    }
    const gates = gatesFrom(flags, io.cwd);
    if (step !== undefined) return { gates, run: ({ registry }) => advanceResult(() => registry.advanceCapitalStage(experimentId, { by, ...snapshotChoice(flags) })) };
    return {
      gates,
      run: async ({ registry }) => {
        try {
          const { promotion, readiness } = await registry.promote(experimentId, {
            stage: target,
            by,
            ...snapshotChoice(flags),
            ...(targetCapital === undefined ? {} : { targetCapital }),
          });
          const state = promotion.stage === 'live' ? await registry.capitalStage(experimentId, { snapshotId: promotion.snapshotId }) : null;
          return {
            exitCode: 0,
            json: { promoted: true, promotion, checklist: readiness.checklist, ...(state === null ? {} : { capitalStage: state }) },
            text: [
              `${promotion.id}: ${experimentId} snapshot ${promotion.snapshotId} promoted to ${promotion.stage} by ${promotion.promotedBy} at ${formatIsoTime(promotion.promotedAt)} (gates version ${promotion.configVersion})`,
              ...(state === null ? [] : [stageLine(state)]),
            ],
          };
        } catch (error) {
          if (!(error instanceof PromotionBlockedError) || error.readiness === null) throw error;
          const report = readinessReport(error.readiness, gates, true);
          return {
            exitCode: 1,
            json: { promoted: false, ...(report.json as object) },
            text: [`refused: ${experimentId} cannot be promoted to ${target} while gates block it`, ...report.text],
          };
        }
      },
    };
  },
};

function gatesInfo(gates: LoadedPromotionGateConfig): { readonly file: string | null; readonly version: number; readonly sha256: string } {
  return { file: gates.file, version: gates.version, sha256: gates.sha256 };
}

/** The checklist table, the verdict, and the blockers (and warnings) with why. */
function readinessReport(readiness: PromotionReadiness, gates: LoadedPromotionGateConfig, withChecklist: boolean): Omit<ActionResult, 'exitCode'> {
  const { checklist } = readiness;
  const text: string[] = [checklistHeading(checklist)];
  if (withChecklist) text.push(...checklistTable(checklist), '');
  text.push(verdictLine(readiness));
  if (readiness.blockers.length > 0) text.push('', 'blocking gates:', ...gateReasonTable(readiness.blockers));
  if (readiness.warnings.length > 0) text.push('', 'gates without evidence (warnings; --strict makes them blockers):', ...gateReasonTable(readiness.warnings));
  if (!withChecklist && readiness.blockers.length === 0 && readiness.warnings.length === 0) text.push('nothing blocks');
  return {
    json: {
      ready: readiness.ready,
      strict: readiness.strict,
      stage: readiness.stage,
      blockers: readiness.blockers,
      warnings: readiness.warnings,
      checklist,
      gates: gatesInfo(gates),
    },
    text,
  };
}
