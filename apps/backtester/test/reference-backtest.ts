/**
 * A deliberately plain second implementation of the SMA-crossover backtest semantics, used only
 * to check the engine trade by trade: SMA by exact re-summation of each window (BigInt, then one
 * correct rounding, like Python's math.fsum), a cross when the sign of (fast − slow) changes from
 * its last non-zero value, market orders decided at bar t's close filled at bar t+1's open,
 * buying power checked at the fill, commission |qty| × rate × price.
 */
export interface ReferenceTrade {
  entryTime: string;
  entryPrice: number;
  exitTime: string;
  exitPrice: number;
  qty: number;
  pnl: number;
  commission: number;
}

const SCALE = 2 ** 200;

/** Exact prefix sums of the values scaled by 2^200 (every double below 2^53 is then an integer). */
function exactPrefixSums(values: ArrayLike<number>): bigint[] {
  const prefix: bigint[] = [0n];
  let sum = 0n;
  for (let i = 0; i < values.length; i++) {
    sum += BigInt((values[i] as number) * SCALE);
    prefix.push(sum);
  }
  return prefix;
}

/** The mean of values[from..to], summed exactly, then rounded once. */
function exactMean(prefix: readonly bigint[], from: number, to: number): number {
  return Number((prefix[to + 1] as bigint) - (prefix[from] as bigint)) / SCALE / (to - from + 1);
}

export function referenceSmaCrossover(
  data: { dates: readonly string[]; open: ArrayLike<number>; close: ArrayLike<number> },
  options: { fast: number; slow: number; cash: number; size?: number; percent?: number; commissionRate: number },
): { trades: ReferenceTrade[]; open: ReferenceTrade | null; rejected: number } {
  const { dates, open, close } = data;
  let cash = options.cash;
  let qty = 0;
  let entryPrice = 0;
  let entryTime = '';
  let entryCommission = 0;
  let pending: { side: 'buy' | 'sell'; qty: number } | null = null;
  let lastDiff = NaN;
  let rejected = 0;
  const trades: ReferenceTrade[] = [];
  const closeSums = exactPrefixSums(close);
  for (let k = 0; k < close.length; k++) {
    if (pending !== null) {
      const price = open[k] as number;
      const commission = pending.qty * options.commissionRate * price;
      if (pending.side === 'buy') {
        if (cash - pending.qty * price - commission < 0) {
          rejected++;
        } else {
          cash = cash - pending.qty * price - commission;
          qty = pending.qty;
          entryPrice = price;
          entryTime = dates[k] as string;
          entryCommission = commission;
        }
      } else {
        const pnl = qty * (price - entryPrice);
        cash = cash + qty * entryPrice + pnl - commission;
        trades.push({ entryTime, entryPrice, exitTime: dates[k] as string, exitPrice: price, qty, pnl, commission: entryCommission + commission });
        qty = 0;
      }
      pending = null;
    }
    if (k < options.slow - 1) continue;
    const diff = exactMean(closeSums, k - options.fast + 1, k) - exactMean(closeSums, k - options.slow + 1, k);
    const before = lastDiff;
    if (diff !== 0 || Number.isNaN(before)) lastDiff = diff;
    if (qty === 0 && before < 0 && diff > 0) {
      const price = close[k] as number;
      const size = options.size ?? Math.floor((cash / price) * ((options.percent as number) / 100));
      // Checked at submission against this bar's close, the same operations as at the fill.
      if (cash - size * price - size * options.commissionRate * price < 0) rejected++;
      else pending = { side: 'buy', qty: size };
    } else if (qty > 0 && before > 0 && diff < 0) {
      pending = { side: 'sell', qty };
    }
  }
  const openTrade = qty > 0 ? { entryTime, entryPrice, exitTime: '', exitPrice: NaN, qty, pnl: NaN, commission: entryCommission } : null;
  return { trades, open: openTrade, rejected };
}
