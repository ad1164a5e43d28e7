import { INVARIANTS, expectedOutcome, fillsBookedOnce, haltedAsExpected, ledgerEqualsBroker, noDuplicateOrders, recoveredWithin } from './invariants';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmbeddedTemplate } from './drill-store';
import type { DrillStorage } from './drill-store';
import type { BooksFact, BrokerOrderFact, DrillOutcomeKind, InvariantName, JournaledFillFact, Verdict } from './invariants';

/** What a drill run is given: the clock its recovery time is measured with (monotonic ms). */
export interface DrillContext {
  readonly clock: () => number;
  /** Where each drill's session keeps its state. Default: the embedded database. */
  readonly storage?: DrillStorage;
}

/** What a drill must end with for every invariant to pass. */
export interface DrillExpectation {
  /** The outcomes accepted for the attempt the fault hit (each with its documented exit code). */
  readonly outcome: readonly DrillOutcomeKind[];
  /** Whether the session's kill switch must be halted at the end. */
  readonly halted: boolean;
  /** The longest recovery accepted, ms. */
  readonly maxRecoveryMs: number;
}

/** What a drill saw, once its fault was played and the session recovered (or failed closed). */
export interface DrillObservation {
  readonly sessionId: string;
  /** Every order the broker accepted. */
  readonly brokerOrders: readonly BrokerOrderFact[];
  /** Every fill the session journaled. */
  readonly journaledFills: readonly JournaledFillFact[];
  /** The session's books as last saved; null when it never saved (it failed closed before trading). */
  readonly ledger: BooksFact | null;
  readonly broker: BooksFact;
  /** The saved kill switch (`active` when nothing was saved). */
  readonly killSwitch: { readonly state: string; readonly reason: string | null };
  /** How the attempt the fault hit ended. */
  readonly outcome: DrillOutcomeKind;
  readonly outcomeDetail: string;
  /** From the fault to the recovery the drill defines, ms; null when it did not recover. */
  readonly recoveryMs: number | null;
  /** Facts the drill checked on top of the invariants (each a verdict of its own). */
  readonly extra?: readonly { readonly name: string; readonly ok: boolean; readonly detail: string }[];
}

/** A drill: a fault played against a live session, and what must hold afterwards. */
export interface Drill {
  /** Kebab-case name (`--drill <name>`). */
  readonly name: string;
  /** The fault, in a few words (the report's `fault` column). */
  readonly fault: string;
  /** What the drill proves when every invariant holds. */
  readonly proves: string;
  readonly expected: DrillExpectation;
  /** Sets up, plays the fault, recovers and observes. Must end every server and timer it started. */
  run(context: DrillContext): Promise<DrillObservation>;
}

/** A verdict of a drill, including the checks particular to it (`invariant` is then its name). */
export interface DrillVerdict {
  readonly invariant: InvariantName | string;
  readonly ok: boolean;
  readonly detail: string;
}

export interface DrillResult {
  readonly drill: string;
  readonly fault: string;
  readonly proves: string;
  readonly ok: boolean;
  readonly verdicts: readonly DrillVerdict[];
  readonly recoveryMs: number | null;
  /** How long the drill took, ms. */
  readonly durationMs: number;
  /** Set when the drill itself broke (its setup threw): every invariant is then failed. */
  readonly error?: string;
}

/** The invariants' verdicts for one observation, in `INVARIANTS` order, then the drill's own checks. */
export function judgeDrill(expected: DrillExpectation, seen: DrillObservation): readonly DrillVerdict[] {
  const verdicts: Verdict[] = [
    noDuplicateOrders(seen.brokerOrders),
    fillsBookedOnce(seen.sessionId, seen.brokerOrders, seen.journaledFills),
    seen.ledger === null
      ? {
          invariant: 'ledger-equals-broker',
          ok: seen.brokerOrders.length === 0,
          detail: seen.brokerOrders.length === 0 ? 'nothing saved and nothing at the broker' : 'no saved books, yet the broker holds orders',
        }
      : ledgerEqualsBroker(seen.ledger, seen.broker),
    haltedAsExpected(expected.halted, seen.killSwitch),
    expectedOutcome(expected.outcome, seen.outcome, seen.outcomeDetail),
    recoveredWithin(seen.recoveryMs, expected.maxRecoveryMs),
  ];
  return [...verdicts, ...(seen.extra ?? []).map((e) => ({ invariant: e.name, ok: e.ok, detail: e.detail }))];
}

/** Runs one drill and judges it; a drill that throws is a failed result, never an exception. */
export async function runDrill(drill: Drill, context: DrillContext): Promise<DrillResult> {
  const started = context.clock();
  try {
    const seen = await drill.run(context);
    const verdicts = judgeDrill(drill.expected, seen);
    return { drill: drill.name, fault: drill.fault, proves: drill.proves, ok: verdicts.every((v) => v.ok), verdicts, recoveryMs: seen.recoveryMs, durationMs: context.clock() - started };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return {
      drill: drill.name,
      fault: drill.fault,
      proves: drill.proves,
      ok: false,
      verdicts: INVARIANTS.map((invariant) => ({ invariant, ok: false, detail: `the drill broke: ${message}` })),
      recoveryMs: null,
      durationMs: context.clock() - started,
      error: message,
    };
  }
}

/**
 * Runs drills one after another (they share no state, but the machine's ports and cores). On the
 * embedded database, several drills start from one template database, made when the first
 * drill needs it (each drill copies it: creating a database takes about 12 s, copying under
 * one) and removed at the end.
 */
export async function runDrills(drills: readonly Drill[], context: DrillContext, onResult?: (result: DrillResult) => void): Promise<readonly DrillResult[]> {
  const storage = context.storage ?? { kind: 'embedded' };
  let templateDir: string | undefined;
  let run = context;
  if (storage.kind === 'embedded' && storage.template === undefined && drills.length > 1) {
    templateDir = mkdtempSync(join(tmpdir(), 'quantbot-chaos-template-'));
    run = { ...context, storage: { kind: 'embedded', template: new EmbeddedTemplate(join(templateDir, 'state')) } };
  }
  try {
    const results: DrillResult[] = [];
    for (const drill of drills) {
      const result = await runDrill(drill, run);
      onResult?.(result);
      results.push(result);
    }
    return results;
  } finally {
    if (templateDir !== undefined) rmSync(templateDir, { recursive: true, force: true });
  }
}
