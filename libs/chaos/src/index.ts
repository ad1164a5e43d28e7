// @quantbot/chaos: broker-fault drills played against a live session on the local fake Alpaca,
// the invariants every drill is judged by, and the runner that reports them.
export { DOCUMENTED_EXIT_CODES, INVARIANTS, expectedOutcome, fillsBookedOnce, haltedAsExpected, ledgerEqualsBroker, noDuplicateOrders, recoveredWithin } from './invariants';
export type { BooksFact, BrokerOrderFact, DrillOutcomeKind, InvariantName, JournaledFillFact, Verdict } from './invariants';
export { judgeDrill, runDrill, runDrills } from './drill';
export type { Drill, DrillContext, DrillExpectation, DrillObservation, DrillResult, DrillVerdict } from './drill';
export { DRILL_SESSION, DrillAttempt, DrillBroker } from './drill-broker';
export { DrillError } from './drill-error';
export type { AttemptEnd, AttemptOptions, DrillBrokerOptions } from './drill-broker';
export { DRILLS, findDrill } from './drills';
export { DrillStore, EmbeddedTemplate, TcpRelay } from './drill-store';
export type { DrillStorage } from './drill-store';
