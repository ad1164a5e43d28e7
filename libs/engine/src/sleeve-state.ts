import { QuantbotError } from '@quantbot/core';

/**
 * The trading state of one sleeve of a `StrategyManager`: `active` (its orders go to the engine),
 * `flatten` (its orders are dropped; the manager cancels its working orders and closes its
 * positions, then it is `halted`), `halted` (its orders are dropped; what it holds stays). Its
 * strategy sees every bar in every state, so its indicators are ready when it is resumed.
 */
export type SleeveState = 'active' | 'flatten' | 'halted';

/**
 * What moves a sleeve between states: `halt` and `flatten` (its kill switch, or an operator),
 * `flattened` (the manager closed everything it held), `resume` (an operator).
 */
export type SleeveEvent = 'halt' | 'flatten' | 'flattened' | 'resume';

/**
 * The sleeve lifecycle as a transition table: `SLEEVE_TRANSITIONS[from][event]` is the next
 * state; a missing entry is not allowed (`nextSleeveState` throws `SleeveStateError`).
 */
export const SLEEVE_TRANSITIONS: Readonly<Record<SleeveState, Readonly<Partial<Record<SleeveEvent, SleeveState>>>>> = Object.freeze({
  active: Object.freeze({ halt: 'halted', flatten: 'flatten' }),
  flatten: Object.freeze({ halt: 'halted', flattened: 'halted', resume: 'active' }),
  halted: Object.freeze({ flatten: 'flatten', resume: 'active' }),
});

/** Every sleeve state, for parsing saved state. */
export const SLEEVE_STATES: readonly SleeveState[] = Object.freeze(['active', 'flatten', 'halted']);

/** A sleeve event its state does not allow: names the sleeve, the state and the event. */
export class SleeveStateError extends QuantbotError {
  readonly sleeve: string;
  readonly state: SleeveState;
  readonly event: SleeveEvent;

  constructor(sleeve: string, state: SleeveState, event: SleeveEvent) {
    super('SLEEVE_STATE_INVALID', `sleeve ${sleeve}: '${event}' is not allowed while it is ${state}`);
    this.sleeve = sleeve;
    this.state = state;
    this.event = event;
  }
}

/** The state `event` takes sleeve `sleeve` to from `from`; `SleeveStateError` when the table has no such move. */
export function nextSleeveState(sleeve: string, from: SleeveState, event: SleeveEvent): SleeveState {
  const to = SLEEVE_TRANSITIONS[from][event];
  if (to === undefined) throw new SleeveStateError(sleeve, from, event);
  return to;
}

/** One change of a sleeve's state, for its report and its saved state. `time` is epoch ms. */
export interface SleeveTransition {
  readonly time: number;
  readonly from: SleeveState;
  readonly to: SleeveState;
  readonly reason: string;
  /** `kill-switch`: the sleeve's own limits; `operator`: a request from outside; `manager`: the flatten finished. */
  readonly source: 'kill-switch' | 'operator' | 'manager';
}
