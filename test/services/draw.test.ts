import { strict as assert } from 'node:assert';
import { drawIndex } from '../../src/services/draw';
import { decide } from '../../src/services/lifecycle';
import type { Opportunity } from '../../src/services/opportunity';
import { SYSTEM_ACTOR } from '../../src/services/roles';
import { clock, person, submitted } from '../support/opportunities';

/**
 * Recorded draws must stay recomputable: these winners were computed apart from this code, by the
 * README's description of the algorithm (FNV-1a over the seed, one mulberry32 step). A change to the
 * algorithm fails here before it silently changes who won a past draw.
 */
const GOLDEN: readonly { seed: string; candidates: readonly string[]; winner: string }[] = [
  { seed: '8c6d2b7e-3f4a-4c1e-9b2d-5a7e1f0c9d34', candidates: ['Ada', 'Grace'], winner: 'Grace' },
  { seed: '0b9e5a41-7d3c-4f8e-a2b6-c1d4e7f90a12', candidates: ['Ada', 'Grace', 'Linus'], winner: 'Linus' },
  { seed: 'd3f1c2b4-8e7a-4b6c-9d0e-1f2a3b4c5d6e', candidates: ['A', 'B', 'C', 'D'], winner: 'B' },
  { seed: 'MA-2026-0007/2026-12-09', candidates: ['1', '2', '3', '4', '5', '6', '7'], winner: '5' },
  { seed: 'Dépôt été ✓ 🚀', candidates: ['V', 'W', 'X', 'Y', 'Z'], winner: 'Y' },
  { seed: 'a', candidates: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'], winner: '6' },
  { seed: 'seed-42', candidates: ['Applicant A', 'Applicant B'], winner: 'Applicant A' },
];

describe('supplier draw', () => {
  for (const { seed, candidates, winner } of GOLDEN) {
    it(`draws ${winner} among ${candidates.length} with the seed "${seed}", as recomputed by hand`, () => {
      assert.equal(candidates[drawIndex(seed, candidates.length)], winner);
    });
  }

  it('records the golden winner when procurement makes the draw', () => {
    const { seed, candidates, winner } = GOLDEN[1] as (typeof GOLDEN)[number];
    const closed: Opportunity = {
      ...submitted(),
      status: 'closed',
      selection: { questions: 0, applications: 5, passed: 3, declinedSuppliers: [] },
    };
    const payload = { seed, candidates, supplierLink: 'https://example.dev/linus' };
    const outcome = decide(closed, 'select_supplier', payload, person('proc-1', 'procurement'), clock());
    assert.ok(outcome.ok);
    assert.equal(outcome.next.selection.supplierName, winner);
    assert.deepEqual(outcome.next.selection.draw, { seed, candidates, selectedIndex: 2 });
  });

  it('gives the same winner for the same seed, so anyone can verify the draw', () => {
    assert.equal(drawIndex('MA-2026-0007/2026-12-09', 7), drawIndex('MA-2026-0007/2026-12-09', 7));
  });

  it('refuses a draw with nobody to draw from', () => {
    assert.throws(() => drawIndex('seed', 0), { name: 'RangeError', message: /at least one candidate/ });
  });

  it('spreads winners evenly across candidates', () => {
    const counts = new Map<number, number>();
    for (let i = 0; i < 8_000; i++) {
      const winner = drawIndex(`seed-${i}`, 4);
      counts.set(winner, (counts.get(winner) ?? 0) + 1);
    }
    assert.deepEqual([...counts.keys()].sort(), [0, 1, 2, 3]);
    for (const c of counts.values())
      assert.ok(c > 1_800 && c < 2_200, `uneven draw: ${[...counts.values()].join(', ')}`);
  });
});

describe('the draw’s seed, fixed when applications close', () => {
  const posted: Opportunity = {
    ...submitted(),
    status: 'posted',
    dates: { ...submitted().dates, applicationDeadline: '2026-11-20', supplierSelectionDate: '2026-11-25' },
  };
  const SEED = 'Zp3-kq9_Xv71mB4sLr0tYw2a';

  it('is kept by the clock’s close, and a close without one is refused', () => {
    const closed = decide(posted, 'close_applications', { seed: SEED }, SYSTEM_ACTOR, clock());
    assert.ok(closed.ok);
    assert.equal(closed.next.selection.drawSeed, SEED);
    for (const payload of [
      {},
      { seed: 'short' },
      { seed: 'has spaces in it, sixteen+' },
      { seed: 'x'.repeat(129) },
    ]) {
      const refused = decide(posted, 'close_applications', payload, SYSTEM_ACTOR, clock());
      assert.equal(refused.ok, false, JSON.stringify(payload));
    }
  });

  it('decides the draw, whatever seed the card gives, so nobody can pick a seed for its winner', () => {
    const closed = decide(posted, 'close_applications', { seed: SEED }, SYSTEM_ACTOR, clock());
    assert.ok(closed.ok);
    const evaluated = { ...closed.next, selection: { ...closed.next.selection, applications: 3, passed: 3 } };
    const candidates = ['1', '2', '3'];
    const winners = ['chosen-seed-1', 'chosen-seed-2', 'chosen-seed-3'].map((seed) => {
      const drawn = decide(
        evaluated,
        'select_supplier',
        { seed, candidates, supplierLink: 'https://example.dev/w' },
        person('proc-1', 'procurement'),
        clock(),
      );
      assert.ok(drawn.ok);
      assert.equal(drawn.next.selection.draw?.seed, SEED);
      return drawn.next.selection.supplierName;
    });
    assert.deepEqual(winners, Array(3).fill(candidates[drawIndex(SEED, 3)]));
  });
});
