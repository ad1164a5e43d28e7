import { SeenOrderIds } from './seen-order-ids';

describe('SeenOrderIds', () => {
  it('answers as a set of every id would, for numbered ids, their look-alikes and any other id', () => {
    let state = 424_242;
    const next = (): number => (state = (state * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648;
    const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;
    // Same-length prefixes that differ in their first or last character: the prefix is compared in full.
    const prefixes = ['sma-crossover', 'sma-crossover-', 'a', '', 'x-y-z', 'sma-crossove', 'é', 'tma-crossover', 'sma-crossovex', 'b'];
    const tails = (): string => {
      const n = Math.floor(next() ** 3 * 40_000_000);
      return pick([String(n), `0${n}`, `${n}.tp`, `${n}.sl`, '0', '00', '', `${n}${n}`, String(1 << 24), String((1 << 24) - 1)]);
    };
    const seen = new SeenOrderIds();
    const reference = new Set<string>();
    for (let i = 0; i < 20_000; i++) {
      const id = next() < 0.05 ? pick(['', '-', '--', '7', '-7', '-07', 'plain']) : `${pick(prefixes)}${pick(['-', '.', ''])}${tails()}`;
      const expected = !reference.has(id);
      reference.add(id);
      expect([id, seen.add(id)]).toEqual([id, expected]);
    }
  });

  it('refuses a numbered id the second time, however many ids came between', () => {
    const seen = new SeenOrderIds();
    for (let n = 1; n <= 5_000; n++) expect(seen.add(`s-${n}`)).toBe(true);
    expect([seen.add('other-1'), seen.add('s-1'), seen.add('s-4999'), seen.add('s-5001'), seen.add('s-01')]).toEqual([true, false, false, true, true]);
  });
});
