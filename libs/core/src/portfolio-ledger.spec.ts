import fc from 'fast-check';
import { LedgerError } from './errors';
import { ticker } from './ids';
import type { Ticker } from './ids';
import { PortfolioLedger } from './portfolio-ledger';
import type { LedgerSnapshot } from './portfolio-ledger';

const AAA = ticker('AAA');
const BBB = ticker('BBB');

describe('PortfolioLedger', () => {
  it('books a round trip with realized P&L and commissions', () => {
    const ledger = new PortfolioLedger([AAA], 10_000);
    ledger.applyFill(0, 100, 10, 1);
    expect(ledger.cash).toBe(10_000 - 1_000 - 1);
    expect(ledger.qty(0)).toBe(100);
    expect(ledger.averageCost(0)).toBe(10);
    const realized = ledger.applyFill(0, -100, 12, 1);
    expect(realized).toBe(200);
    expect(ledger.qty(0)).toBe(0);
    expect(ledger.averageCost(0)).toBe(0);
    expect(ledger.cash).toBe(10_000 + 200 - 2);
    expect(ledger.fees).toBe(2);
  });

  it('changes its revision on every fill and every new mark, and only then', () => {
    const ledger = new PortfolioLedger([AAA, BBB], 10_000);
    const r0 = ledger.revision;
    ledger.mark(0, 10);
    const r1 = ledger.revision;
    expect(r1).not.toBe(r0);
    ledger.mark(0, 10);
    expect(ledger.revision).toBe(r1);
    ledger.applyFill(1, 5, 20, 0);
    const r2 = ledger.revision;
    expect(r2).not.toBe(r1);
    expect(ledger.equity()).toBe(10_000);
    ledger.mark(1, 21);
    expect(ledger.revision).not.toBe(r2);
    expect(ledger.equity()).toBe(10_005);
  });

  it('averages the cost of additions to a position', () => {
    const ledger = new PortfolioLedger([AAA], 10_000);
    ledger.applyFill(0, 10, 10, 0);
    ledger.applyFill(0, 30, 14, 0);
    expect(ledger.averageCost(0)).toBe(13);
  });

  it('realizes P&L on a short that is covered at a lower price', () => {
    const ledger = new PortfolioLedger([AAA], 1_000);
    ledger.applyFill(0, -10, 50, 0);
    expect(ledger.cash).toBe(1_500);
    ledger.mark(0, 40);
    expect(ledger.unrealizedPnl()).toBe(100);
    expect(ledger.applyFill(0, 10, 40, 0)).toBe(100);
    expect(ledger.cash).toBe(1_100);
  });

  it('covers a short through zero: closes the short and opens a long at the fill price', () => {
    const ledger = new PortfolioLedger([AAA], 1_000);
    ledger.applyFill(0, -10, 50, 0);
    const realized = ledger.applyFill(0, 25, 45, 0);
    expect(realized).toBe(50);
    expect(ledger.qty(0)).toBe(15);
    expect(ledger.averageCost(0)).toBe(45);
    expect(Number.isFinite(ledger.unrealizedPnl())).toBe(true);
    expect(ledger.realizedPnl).toBe(50);
  });

  it('reverses a long into a short', () => {
    const ledger = new PortfolioLedger([AAA], 1_000);
    ledger.applyFill(0, 10, 20, 0);
    expect(ledger.applyFill(0, -30, 25, 0)).toBe(50);
    expect(ledger.qty(0)).toBe(-20);
    expect(ledger.averageCost(0)).toBe(25);
  });

  it.each([
    ['a zero quantity', 0, 10, 0],
    ['a NaN quantity', Number.NaN, 10, 0],
    ['a non-positive price', 1, 0, 0],
    ['an infinite price', 1, Number.POSITIVE_INFINITY, 0],
    ['a negative commission', 1, 10, -1],
  ])('refuses a fill with %s', (_label, qty, price, commission) => {
    const ledger = new PortfolioLedger([AAA], 1_000);
    expect(() => ledger.applyFill(0, qty, price, commission)).toThrow(LedgerError);
    expect(ledger.cash).toBe(1_000);
  });

  it('refuses an unknown symbol index', () => {
    const ledger = new PortfolioLedger([AAA], 1_000);
    expect(() => ledger.applyFill(1, 1, 10, 0)).toThrow(/symbol index 1/);
  });

  it('conserves value: cash + market value = start + realized + unrealized - fees, for any fills', () => {
    const fillArb = fc.record({
      symbol: fc.integer({ min: 0, max: 1 }),
      qty: fc.integer({ min: -500, max: 500 }).filter((q) => q !== 0),
      price: fc.double({ min: 0.5, max: 500, noNaN: true }),
      commission: fc.double({ min: 0, max: 5, noNaN: true }),
      markA: fc.double({ min: 0.5, max: 500, noNaN: true }),
      markB: fc.double({ min: 0.5, max: 500, noNaN: true }),
    });
    fc.assert(
      fc.property(fc.array(fillArb, { minLength: 1, maxLength: 60 }), (fills) => {
        const ledger = new PortfolioLedger([AAA, BBB], 100_000);
        for (const f of fills) {
          ledger.applyFill(f.symbol, f.qty, f.price, f.commission);
          ledger.mark(0, f.markA);
          ledger.mark(1, f.markB);
          const lhs = ledger.cash + ledger.marketValue();
          const rhs = ledger.startingCash + ledger.realizedPnl + ledger.unrealizedPnl() - ledger.fees;
          const scale = Math.max(1, Math.abs(lhs), ledger.grossExposure());
          if (Math.abs(lhs - rhs) > 1e-9 * scale) return false;
          const open = [0, 1].filter((i) => ledger.qty(i) !== 0).length;
          if (ledger.openPositionCount !== open || ledger.openPositions().length !== open) return false;
        }
        return true;
      }),
      { numRuns: 500, seed: 20261125 },
    );
  });

  it('realizes exactly the price move on any round trip that ends flat', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 100 }), { minLength: 1, maxLength: 20 }),
        fc.double({ min: 1, max: 100, noNaN: true }),
        fc.double({ min: 1, max: 100, noNaN: true }),
        fc.boolean(),
        (lots, entry, exit, isShort) => {
          const ledger = new PortfolioLedger([AAA], 1_000_000);
          const direction = isShort ? -1 : 1;
          let total = 0;
          for (const lot of lots) {
            ledger.applyFill(0, direction * lot, entry, 0);
            total += lot;
          }
          ledger.applyFill(0, -direction * total, exit, 0);
          const expected = direction * total * (exit - entry);
          return ledger.qty(0) === 0 && Math.abs(ledger.realizedPnl - expected) <= 1e-9 * Math.max(1, total * entry);
        },
      ),
      { numRuns: 300, seed: 7 },
    );
  });
});

describe('PortfolioLedger snapshot and restore', () => {
  const symbols = ['AAA', 'BBB', 'CCC'].map((s) => s as Ticker);

  it('restores an identical ledger, bit for bit, through JSON', () => {
    const ledger = new PortfolioLedger(symbols, 10_000);
    ledger.applyFill(0, 7, 101.37, 0.35);
    ledger.applyFill(1, -3, 55.1, 0.2);
    ledger.applyFill(0, -2, 103.11, 0.1);
    ledger.mark(1, 54.9);
    const restored = PortfolioLedger.restore(symbols, JSON.parse(JSON.stringify(ledger.snapshot())) as LedgerSnapshot);
    expect(restored.snapshot()).toEqual(ledger.snapshot());
    expect(restored.equity()).toBe(ledger.equity());
    expect(restored.openPositionCount).toBe(2);
    // and it keeps behaving the same
    ledger.applyFill(1, 3, 50, 0);
    restored.applyFill(1, 3, 50, 0);
    expect(restored.snapshot()).toEqual(ledger.snapshot());
  });

  it('refuses a snapshot with a position it does not track, or a broken number, naming it', () => {
    const ledger = new PortfolioLedger(symbols, 1_000);
    ledger.applyFill(2, 1, 10, 0);
    const snap = ledger.snapshot();
    expect(() => PortfolioLedger.restore(symbols.slice(0, 2), snap)).toThrow(/CCC, which this ledger does not track/);
    const broken = { ...snap, cash: Number.NaN };
    expect(() => PortfolioLedger.restore(symbols, broken)).toThrow(/snapshot cash/);
  });
});
