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

function exactMean(values: readonly number[], from: number, to: number): number {
  let sum = 0n;
  for (let i = from; i <= to; i++) sum += BigInt((values[i] as number) * SCALE);
  return Number(sum) / SCALE / (to - from + 1);
}

export function referenceSmaCrossover(
  data: { dates: string[]; open: number[]; close: number[] },
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
    const diff = exactMean(close, k - options.fast + 1, k) - exactMean(close, k - options.slow + 1, k);
    const before = lastDiff;
    if (diff !== 0 || Number.isNaN(before)) lastDiff = diff;
    if (qty === 0 && before < 0 && diff > 0) {
      const size = options.size ?? Math.floor((cash / (close[k] as number)) * ((options.percent as number) / 100));
      pending = { side: 'buy', qty: size };
    } else if (qty > 0 && before > 0 && diff < 0) {
      pending = { side: 'sell', qty };
    }
  }
  const openTrade = qty > 0 ? { entryTime, entryPrice, exitTime: '', exitPrice: NaN, qty, pnl: NaN, commission: entryCommission } : null;
  return { trades, open: openTrade, rejected };
}
