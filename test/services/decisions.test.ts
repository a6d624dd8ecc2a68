import { strict as assert } from 'node:assert';
import {
  CONFIRMED,
  DECISION_INPUTS,
  decidableFromCard,
  inputId,
  nextActors,
  payloadFromCard,
} from '../../src/services/decisions';
import { ACTIONS, type ActionName, decide, offeredNow, PAYLOADS } from '../../src/services/lifecycle';
import {
  CHECKLIST,
  clock,
  NOW,
  person,
  REQUESTER,
  submitted,
  TERMS,
  TRANSLATION,
} from '../support/opportunities';
import { deliveriesFor } from '../../src/services/routing';

/** What the bot fills in from the store and the applicants' marks, never from a card. */
const FROM_THE_BOT: Partial<Record<ActionName, readonly string[]>> = {
  record_evaluation: ['applications', 'passed'],
  select_supplier: ['seed', 'passers'],
  // The signed document is the one kept with the request, read from the store.
  sign_terms: ['document'],
};

describe('decision forms', () => {
  it('ask for every value each action needs, under the names its payload uses, but none the bot fills in', () => {
    for (const action of ACTIONS.filter(decidableFromCard)) {
      const shape = PAYLOADS[action].shape as Record<string, unknown>;
      const asked = DECISION_INPUTS[action].map((i) => i.id);
      const needed = Object.keys(shape).filter((k) => !(FROM_THE_BOT[action] ?? []).includes(k));
      assert.deepEqual([...asked].sort(), needed.sort(), action);
    }
  });

  it('ask only for text, dates, links, amounts, a choice, a person or ticks: no counts and no lists', () => {
    const kinds = new Set(ACTIONS.flatMap((a) => DECISION_INPUTS[a].map((i) => i.kind)));
    assert.deepEqual([...kinds].sort(), [
      'choice',
      'date',
      'longText',
      'money',
      'person',
      'text',
      'toggle',
      'url',
    ]);
    // Every choice offers values, each with its label in both languages (checked by the i18n suite).
    for (const input of ACTIONS.flatMap((a) => DECISION_INPUTS[a]).filter((i) => i.kind === 'choice'))
      assert.ok((input.choices ?? []).length >= 2, input.id);
  });

  it('read typed values into a payload the lifecycle accepts', () => {
    const payload = payloadFromCard(
      'pay',
      { 'pay.method': ' paypal ', 'pay.paymentAmount': ' 4 600,00 $ ', 'pay.paymentDate': '2027-02-20 ' },
      'seed',
    );
    assert.deepEqual(payload, { method: 'paypal', paymentAmount: '4 600,00 $', paymentDate: '2027-02-20' });
    assert.equal(PAYLOADS.pay.parse(payload).paymentAmount, 460_000);
    assert.equal(PAYLOADS.pay.safeParse(payload).success, true);
    // A number where text is expected is read as the text it shows.
    assert.deepEqual(payloadFromCard('approve_funds', { 'approve_funds.fundReservationNumber': 117 }, 's'), {
      fundReservationNumber: '117',
    });
  });

  it('take no counts of the evaluation from card data: the bot records them from the marks', () => {
    const payload = payloadFromCard(
      'record_evaluation',
      { 'record_evaluation.applications': ' 3 ', 'record_evaluation.passed': 2, applications: 3, passed: 2 },
      'seed',
    );
    assert.deepEqual(payload, {});
  });

  it('take no draw list from card data, and give the seed themselves', () => {
    const payload = payloadFromCard(
      'select_supplier',
      {
        'select_supplier.candidates': 'Ada Dev\n\n  Bo Code \n',
        'select_supplier.passers': [{ number: 1, name: 'Ada Dev' }],
        'select_supplier.supplierLink': 'https://x.example',
        passers: [{ number: 1, name: 'Ada Dev' }],
        seed: 'typed',
      },
      'server-seed',
    );
    assert.deepEqual(payload, { seed: 'server-seed' });
    // Without the passers the bot adds from the store, the lifecycle has nobody to draw among.
    const closed = {
      ...submitted(),
      status: 'closed' as const,
      selection: { questions: 0, applications: 2, passed: 1, declinedSuppliers: [] },
    };
    const outcome = decide(closed, 'select_supplier', payload, person('p', 'procurement'), clock());
    assert.ok(!outcome.ok);
    assert.deepEqual(outcome.refusal.fields, ['passers']);
  });

  it('leave out empty optional values and keep empty required ones for the lifecycle to refuse', () => {
    assert.deepEqual(
      payloadFromCard(
        'approve_funds',
        { 'approve_funds.fundReservationNumber': 'FR-1', 'approve_funds.costCentre': ' ' },
        's',
      ),
      {
        fundReservationNumber: 'FR-1',
      },
    );
    assert.equal(PAYLOADS.vet_no_go.safeParse(payloadFromCard('vet_no_go', {}, 's')).success, false);
  });

  it('pass a value no form sends (a list, an object) to the lifecycle, which refuses it by name', () => {
    const payload = payloadFromCard(
      'translate',
      { 'translate.title': ['Titre'], 'translate.background': null },
      's',
    );
    assert.deepEqual(payload, { title: ['Titre'] });
    const outcome = decide(submitted(), 'translate', payload, REQUESTER, clock());
    assert.ok(!outcome.ok);
    assert.deepEqual(outcome.refusal.fields, ['title']);
  });

  it('ignore values meant for another action on the same card', () => {
    assert.deepEqual(payloadFromCard('vet_no_go', { 'cancel.reason': 'x' }, 's'), { reason: undefined });
  });

  it('are not offered for what the clock or the intake does', () => {
    assert.equal(decidableFromCard('close_consultation'), false);
    assert.equal(decidableFromCard('resubmit'), false);
  });
});

describe('decision forms: the translation, and decisions that ask twice', () => {
  it('ask for the title on one line and every longer text on several, all optional until confirmed', () => {
    assert.deepEqual(
      DECISION_INPUTS.translate.map((i) => [i.id, i.kind, i.optional]),
      [
        ['title', 'text', true],
        ['shortDescription', 'longText', true],
        ['background', 'longText', true],
        ['deliverables', 'longText', true],
        ['evaluationCriterion', 'longText', true],
        ['acceptanceCriteria', 'longText', true],
      ],
    );
    assert.ok(DECISION_INPUTS.confirm_translation.every((i) => i.optional === false));
    // One form: the confirmation reads the texts the translation form holds.
    for (const input of DECISION_INPUTS.confirm_translation) {
      assert.equal(inputId('confirm_translation', input), `translate.${input.id}`);
    }
  });

  it('fill the translation form with the translation held, never with a translation into the request’s own language', () => {
    const o = submitted();
    const title = DECISION_INPUTS.translate[0];
    assert.ok(title?.current);
    assert.equal(title.current(o), undefined);
    const by = { aadObjectId: 'p', name: 'P' };
    const fr = { ...o, translation: { ...TRANSLATION, locale: 'fr' as const, by, at: o.createdAt } };
    assert.equal(title.current(fr), TRANSLATION.title);
    const wrong = { ...o, translation: { ...TRANSLATION, locale: 'en' as const, by, at: o.createdAt } };
    assert.equal(title.current(wrong), undefined);
  });

  it('ask for a second click before go, posting, the countersignature, acceptance, certification and payment', () => {
    assert.deepEqual([...CONFIRMED].sort(), [
      'accept',
      'certify',
      'countersign_terms',
      'pay',
      'post',
      'vet_go',
    ]);
  });

  it('wait on the card holder once the terms are recorded, and on the requester while a termination is weighed', () => {
    const selected = { ...submitted(), status: 'supplier_selected' as const };
    assert.deepEqual([...nextActors(selected)], ['procurement']);
    assert.deepEqual([...nextActors({ ...selected, terms: TERMS })], ['finance']);
    const proposed = {
      ...submitted(),
      status: 'in_progress' as const,
      delivery: {
        revisionsRequested: 0,
        termination: {
          kind: 'convenience' as const,
          percentComplete: 40,
          amountCents: 160_000,
          proposedBy: { aadObjectId: 'p', name: 'P' },
          proposedAt: NOW,
        },
      },
    };
    assert.deepEqual([...nextActors(proposed)], ['requester']);
  });

  it('wait on whoever must act, never on someone who may only propose a translation, move dates or cancel', () => {
    assert.deepEqual([...nextActors(submitted())], ['procurement']);
    const vetted = decide(submitted(), 'vet_go', CHECKLIST, person('p', 'procurement'), clock());
    assert.ok(vetted.ok);
    assert.deepEqual([...nextActors(vetted.next)].sort(), ['finance', 'procurement', 'union']);
    assert.deepEqual([...nextActors({ ...vetted.next, status: 'paid' })], []);
  });
});

describe('routing', () => {
  it('posts a new request to the procurement team, and tells the updates channel', () => {
    assert.deepEqual(deliveriesFor({ type: 'submitted' }), [
      { kind: 'post_card', channel: 'procurement', postedOn: 'submitted' },
      { kind: 'update_cards' },
      { kind: 'line', to: 'updates' },
    ]);
  });

  it('brings in finance and the union once the request is vetted', () => {
    const posts = deliveriesFor({ type: 'vetted' }).filter((d) => d.kind === 'post_card');
    assert.deepEqual(posts, [
      { kind: 'post_card', channel: 'finance', postedOn: 'vetted' },
      { kind: 'post_card', channel: 'union', postedOn: 'vetted' },
    ]);
  });

  it('gives finance a fresh card for certification once the work is accepted', () => {
    assert.deepEqual(
      deliveriesFor({ type: 'accepted' }).filter((d) => d.kind === 'post_card'),
      [{ kind: 'post_card', channel: 'finance', postedOn: 'accepted' }],
    );
  });

  it('puts a union concern before the procurement team as a new card', () => {
    assert.deepEqual(
      deliveriesFor({ type: 'concern_raised' }).filter((d) => d.kind === 'post_card'),
      [{ kind: 'post_card', channel: 'procurement', postedOn: 'concern_raised' }],
    );
  });

  it('tells the requester of every change after the submission, and updates the posted cards', () => {
    for (const type of ['funds_approved', 'concern_raised', 'paid', 'cancelled'] as const) {
      const d = deliveriesFor({ type });
      assert.ok(
        d.some((x) => x.kind === 'line' && x.to === 'requester'),
        type,
      );
      assert.ok(
        d.some((x) => x.kind === 'update_cards'),
        type,
      );
    }
  });
});

describe('buttons offered on a card', () => {
  const vetted = () => {
    const o = decide(submitted(), 'vet_go', CHECKLIST, person('p', 'procurement'), clock());
    if (!o.ok) throw new Error('cannot vet');
    return o.next;
  };

  it('offer funds decisions until the funds are approved, then none', () => {
    const o = vetted();
    assert.equal(offeredNow(o, 'approve_funds'), true);
    const approved = decide(
      o,
      'approve_funds',
      { fundReservationNumber: 'FR-1' },
      person('f', 'finance'),
      clock(),
    );
    assert.ok(approved.ok);
    for (const action of ['approve_funds', 'reject_funds', 'request_funds_changes'] as const) {
      assert.equal(offeredNow(approved.next, action), false, action);
    }
  });

  it('offer answering a concern only when one is raised, and posting only when everything is ready', () => {
    const o = vetted();
    assert.equal(offeredNow(o, 'answer_concern'), false);
    assert.equal(offeredNow(o, 'post'), false);
    const concern = decide(
      o,
      'raise_concern',
      { comment: 'Overlaps our work' },
      person('u', 'union'),
      clock(),
    );
    assert.ok(concern.ok);
    assert.equal(offeredNow(concern.next, 'answer_concern'), true);
    assert.equal(offeredNow(concern.next, 'acknowledge'), false);
  });
});
