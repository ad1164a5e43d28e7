import type { SeededRng } from '@quantbot/core';

/** A version-4-shaped UUID drawn from a seeded generator (deterministic for a given seed). */
export function seededUuid(rng: SeededRng): string {
  const hex: string[] = [];
  for (let i = 0; i < 4; i++) hex.push(rng.nextUint32().toString(16).padStart(8, '0'));
  const s = hex.join('');
  const variant = ((parseInt(s[16] ?? '0', 16) & 0x3) | 0x8).toString(16);
  return `${s.slice(0, 8)}-${s.slice(8, 12)}-4${s.slice(13, 16)}-${variant}${s.slice(17, 20)}-${s.slice(20, 32)}`;
}
