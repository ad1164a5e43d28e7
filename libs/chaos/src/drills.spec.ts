import { INVARIANTS } from './invariants';
import { runDrills } from './drill';
import { DRILLS } from './drills';

/**
 * Every drill against the fake Alpaca: each invariant and each drill's own checks must pass. The
 * silent-stream drill waits for the streams' heartbeat (about 20 s); the rest take a few seconds.
 */
describe('the chaos drills', () => {
  it('each drill holds every invariant, and the whole suite stays bounded', async () => {
    const started = performance.now();
    const results = await runDrills(DRILLS, { clock: () => performance.now() });
    const failed = results.flatMap((r) => r.verdicts.filter((v) => !v.ok).map((v) => `${r.drill}: ${v.invariant}: ${v.detail}`));
    expect(failed).toEqual([]);
    expect(results.map((r) => r.drill)).toEqual(DRILLS.map((d) => d.name));
    for (const result of results) {
      expect(result.verdicts.slice(0, INVARIANTS.length).map((v) => v.invariant)).toEqual([...INVARIANTS]);
      expect(result.recoveryMs).not.toBeNull();
    }
    expect(performance.now() - started).toBeLessThan(100_000);
  }, 150_000);
});
