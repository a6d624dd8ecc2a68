import { strict as assert } from 'node:assert';
import { applicantNumbers, drawOrder, drawWinner } from '../../src/services/draw';
import { decide } from '../../src/services/lifecycle';
import type { Opportunity } from '../../src/services/opportunity';
import { SYSTEM_ACTOR } from '../../src/services/roles';
import { clock, person, submitted } from '../support/opportunities';

/**
 * Published draws must stay recomputable by anyone: these orders were computed apart from this code, with
 * coreutils as the public page tells readers to (sort the numbers by `printf '%s' "$SEED:$n" | sha256sum`).
 * A change to the algorithm fails here before it silently changes who won a past draw.
 */
const GOLDEN: readonly { seed: string; order: readonly string[] }[] = [
  { seed: 'Xq3v9LrT8mWp2KzA7bNc0dEf', order: ['5', '1', '4', '2', '3', '7', '6'] },
  { seed: 'seed-for-MA-2026-0042-abc', order: ['7', '5', '3', '2', '6', '1', '4'] },
];
const ONE_TO_SEVEN = ['1', '2', '3', '4', '5', '6', '7'];

/** A closed request whose evaluation is recorded, with its draw seed. */
function evaluated(seed: string, passed: number, declined: string[] = []): Opportunity {
  return {
    ...submitted(),
    status: 'closed',
    selection: {
      questions: 0,
      drawSeed: seed,
      applications: passed + 1,
      passed,
      declinedSuppliers: declined,
    },
  };
}
const passers = (numbers: readonly number[]) =>
  numbers.map((number) => ({ number, name: `Supplier ${number}`, link: `https://example.dev/${number}` }));

describe('supplier draw', () => {
  for (const { seed, order } of GOLDEN) {
    it(`orders applicants ${order.join(', ')} with the seed "${seed}", as recomputed with sha256sum`, () => {
      assert.deepEqual(drawOrder(seed, ONE_TO_SEVEN), order);
      // The order does not depend on the order the candidates are listed in.
      assert.deepEqual(drawOrder(seed, [...ONE_TO_SEVEN].reverse()), order);
    });
  }

  it('selects the first in the seed’s order, and the next when the first declined', () => {
    const { seed, order } = GOLDEN[0] as (typeof GOLDEN)[number];
    assert.equal(drawWinner(seed, ONE_TO_SEVEN, []), order[0]);
    assert.equal(drawWinner(seed, ONE_TO_SEVEN, [order[0] as string]), order[1]);
    assert.equal(drawWinner(seed, ONE_TO_SEVEN, order.slice(0, 6)), order[6]);
    assert.equal(drawWinner(seed, ONE_TO_SEVEN, order), undefined);
  });

  it('records the golden winner, by number with its name and link, when procurement makes the draw', () => {
    const { seed, order } = GOLDEN[0] as (typeof GOLDEN)[number];
    const outcome = decide(
      evaluated(seed, 7),
      'select_supplier',
      { seed: 'typed-seed', passers: passers([7, 6, 5, 4, 3, 2, 1]) },
      person('proc-1', 'procurement'),
      clock(),
    );
    assert.ok(outcome.ok);
    assert.equal(outcome.next.selection.supplierName, `Supplier ${order[0]}`);
    assert.equal(outcome.next.selection.supplierLink, `https://example.dev/${order[0]}`);
    assert.deepEqual(outcome.next.selection.draw, {
      seed,
      candidates: ONE_TO_SEVEN,
      selectedIndex: Number(order[0]) - 1,
    });
  });

  it('passes a declined winner’s place to the next drawn, and says so when nobody is left', () => {
    const { seed, order } = GOLDEN[1] as (typeof GOLDEN)[number];
    const proc = person('proc-1', 'procurement');
    let o = evaluated(seed, 7);
    const drawnInTurn: string[] = [];
    for (let i = 0; i < 7; i++) {
      const drawn = decide(
        o,
        'select_supplier',
        { seed: 'x', passers: passers([1, 2, 3, 4, 5, 6, 7]) },
        proc,
        clock(),
      );
      assert.ok(drawn.ok);
      drawnInTurn.push(drawn.next.selection.supplierName ?? '');
      const declined = decide(drawn.next, 'supplier_declined', {}, proc, clock());
      assert.ok(declined.ok);
      o = declined.next;
    }
    assert.deepEqual(
      drawnInTurn,
      order.map((n) => `Supplier ${n}`),
    );
    assert.deepEqual(o.selection.declinedSuppliers, order);
    const none = decide(
      o,
      'select_supplier',
      { seed: 'x', passers: passers([1, 2, 3, 4, 5, 6, 7]) },
      proc,
      clock(),
    );
    assert.equal(!none.ok && none.refusal.guard, 'no_passing_applicant');
  });

  it('refuses a draw whose passers do not match the recorded count or repeat a number', () => {
    const proc = person('proc-1', 'procurement');
    for (const list of [
      [1, 2],
      [1, 2, 3, 4],
      [1, 1, 2],
    ]) {
      const refused = decide(
        evaluated('Xq3v9LrT8mWp2KzA7bNc0dEf', 3),
        'select_supplier',
        { seed: 'x', passers: passers(list) },
        proc,
        clock(),
      );
      assert.equal(refused.ok, false, JSON.stringify(list));
      assert.equal(!refused.ok && refused.refusal.guard, 'draw_mismatch');
    }
  });

  it('spreads winners evenly across candidates', () => {
    const counts = new Map<string, number>();
    for (let i = 0; i < 8_000; i++) {
      const winner = drawWinner(`seed-${i}`, ['1', '2', '3', '4'], []) as string;
      counts.set(winner, (counts.get(winner) ?? 0) + 1);
    }
    assert.deepEqual([...counts.keys()].sort(), ['1', '2', '3', '4']);
    for (const c of counts.values())
      assert.ok(c > 1_800 && c < 2_200, `uneven draw: ${[...counts.values()].join(', ')}`);
  });

  it('numbers applications 1 to n in the seed’s order, the same again after a restart', () => {
    const ids = ['a-one', 'a-two', 'a-three', 'a-four'];
    const numbers = applicantNumbers('Xq3v9LrT8mWp2KzA7bNc0dEf', ids);
    assert.deepEqual([...numbers.values()].sort(), [1, 2, 3, 4]);
    assert.deepEqual(applicantNumbers('Xq3v9LrT8mWp2KzA7bNc0dEf', [...ids].reverse()), numbers);
    // Another seed numbers them otherwise (for these ids), so the numbers say nothing of who applied first.
    assert.notDeepEqual([...applicantNumbers('another-seed-0123456', ids)], [...numbers]);
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
    const marked = { ...closed.next, selection: { ...closed.next.selection, applications: 3, passed: 3 } };
    const winners = ['chosen-seed-1', 'chosen-seed-2', 'chosen-seed-3'].map((seed) => {
      const drawn = decide(
        marked,
        'select_supplier',
        { seed, passers: passers([1, 2, 3]) },
        person('proc-1', 'procurement'),
        clock(),
      );
      assert.ok(drawn.ok);
      assert.equal(drawn.next.selection.draw?.seed, SEED);
      return drawn.next.selection.supplierName;
    });
    assert.deepEqual(winners, Array(3).fill(`Supplier ${drawWinner(SEED, ['1', '2', '3'], [])}`));
  });
});
