/**
 * The random draw among applicants who passed, made reproducible: anyone holding the recorded seed and
 * candidate list can recompute the winner (the pilot used PowerShell Get-Random without a record).
 */

/** FNV-1a over UTF-16 code units: a stable 32-bit hash of the seed text. */
function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** mulberry32: one uniform draw in [0, 1) from a 32-bit state. */
function uniform(state: number): number {
  let t = (state + 0x6d2b79f5) >>> 0;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

/** The index of the winner among `candidates` for `seed`; candidates are drawn in the order given. */
export function drawIndex(seed: string, candidateCount: number): number {
  if (candidateCount < 1) throw new RangeError('a draw needs at least one candidate');
  return Math.floor(uniform(hash32(seed)) * candidateCount);
}
