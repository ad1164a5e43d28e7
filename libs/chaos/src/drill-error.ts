import { QuantbotError } from '@quantbot/core';

/** A drill's harness misused or a wait that ran out (the drill then fails, naming it). */
export class DrillError extends QuantbotError {
  constructor(message: string) {
    super('CHAOS_DRILL', message);
  }
}
