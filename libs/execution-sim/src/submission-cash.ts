/**
 * The buying-power check at submission, shared by the simulated brokers: the orders submitted at
 * one bar are pseudo-executed in submission order at that bar's close, starting from the
 * account's cash, so a rebalance that sells one symbol to buy another is checked as one plan. A
 * market buy needs quantity × close + commission of what is left; a sell needs its commission
 * and leaves its proceeds for the orders after it. Returns the rejection reason, or undefined.
 */
export class SubmissionCash {
  #step = -1;
  #cash = 0;

  check(step: number, accountCash: number, isBuy: boolean, qty: number, close: number, commission: number): string | undefined {
    if (step !== this.#step) {
      this.#step = step;
      this.#cash = accountCash;
    }
    const cash = this.#cash;
    // The same operations, in the same order, as the fill's check.
    const cashAfter = isBuy ? cash - qty * close - commission : cash - commission;
    if (cashAfter < 0) {
      const needs = isBuy ? qty * close + commission : commission;
      return `insufficient buying power at submission: needs ${needs.toFixed(2)} at the signal bar's close ${close}, cash ${cash.toFixed(2)}`;
    }
    this.#cash = isBuy ? cashAfter : cash + qty * close - commission;
    return undefined;
  }
}
