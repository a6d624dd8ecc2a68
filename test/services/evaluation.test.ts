import assert from 'node:assert/strict';
import {
  anonymised,
  evaluationComplete,
  evaluationProgress,
  markApplication,
  mayEvaluate,
  RESULTS,
} from '../../src/services/evaluation';
import { readForm } from '../../src/services/forms';
import { EVALUATION_FORM } from '../../src/services/evaluation';
import { CONFIGURED_ROLES } from '../../src/services/roles';
import { decide } from '../../src/services/lifecycle';
import type { Opportunity } from '../../src/services/opportunity';
import { actor } from '../contract/fixtures';
import { numberedApplication } from '../support/applications';
import { clock, person, submitted } from '../support/opportunities';

/** The evaluation's rules: what an evaluator sees, who marks, the first mark standing, the counts. */

const BY = { aadObjectId: 'aad-requester', name: 'Riley Tremblay' };
const AT = '2026-12-09T15:00:00.000Z';

const application = numberedApplication;

describe('evaluation rules', () => {
  it('shows an evaluator the number, answer and links, and nothing of who applied', () => {
    const view = anonymised(application());
    assert.deepEqual(view, {
      id: 'a-0b9e5a41-7d3c-4f8e-a2b6-c1d4e7f90a12',
      reference: 'MA-2026-0007',
      number: 2,
      answer: 'I built pickers.',
      links: ['https://github.com/ada'],
      version: 3,
    });
    const text = JSON.stringify(view);
    for (const secret of ['Ada Dev', 'ada@example.ca', 'student', 'federal', 'ada.example', 'fr'])
      assert.ok(!text.includes(secret), secret);
  });

  it('shows the evaluator their mark once it is made, and nothing more', () => {
    const evaluation = { result: 'fail' as const, rationale: 'No', by: BY, at: AT };
    assert.deepEqual(anonymised(application({ evaluation }))?.evaluation, evaluation);
  });

  it('shows no application that was not numbered at the close, nor one never confirmed', () => {
    const { number: _n, ...unnumbered } = application();
    assert.equal(anonymised(unnumbered), undefined);
    const { content: _c, ...unconfirmed } = application();
    assert.equal(anonymised(unconfirmed), undefined);
  });

  it('lets only the requester mark (or whom procurement gave the marking to), whatever role anyone else holds', () => {
    const o = {
      requester: { aadObjectId: 'AAD-Requester', name: 'Riley' },
      selection: { questions: 0, declinedSuppliers: [] },
    };
    assert.equal(mayEvaluate(o, actor('aad-requester')), true);
    assert.equal(mayEvaluate(o, actor('AAD-REQUESTER')), true);
    for (const role of CONFIGURED_ROLES) {
      const someone = { ...actor('aad-someone-else'), roles: new Set([role]) };
      assert.equal(mayEvaluate(o, someone), false, role);
    }
    // Once procurement gives the marking to a colleague, only the colleague marks.
    const given = {
      ...o,
      selection: { ...o.selection, evaluator: { aadObjectId: 'aad-julie', name: 'Julie' } },
    };
    assert.equal(mayEvaluate(given, actor('AAD-JULIE')), true);
    assert.equal(mayEvaluate(given, actor('aad-requester')), false);
  });

  it('keeps the first mark: an application marked, or never numbered, is not marked again', () => {
    for (const result of RESULTS) {
      const first = markApplication(application(), result, 'Because', BY, AT);
      assert.ok(first.ok);
      assert.deepEqual(first.application.evaluation, { result, rationale: 'Because', by: BY, at: AT });
      assert.equal(first.application.version, 4);
      for (const again of RESULTS) {
        const second = markApplication(first.application, again, 'Other', BY, AT);
        assert.equal(second.ok, false);
        assert.deepEqual(!second.ok && second.settled, first.application);
      }
    }
    const { number: _n, ...unnumbered } = application();
    assert.equal(markApplication(unnumbered, 'pass', 'Because', BY, AT).ok, false);
  });

  it('requires a reason, at most 2,000 characters, and keeps what was typed (up to the limit) when refused', () => {
    assert.equal(readForm(EVALUATION_FORM, { rationale: '  ' }).ok, false);
    assert.equal(readForm(EVALUATION_FORM, { rationale: 'x'.repeat(2_000) }).ok, true);
    const long = readForm(EVALUATION_FORM, { rationale: 'x'.repeat(2_001) });
    assert.equal(long.ok, false);
    assert.equal(!long.ok && long.kept.rationale?.length, 2_000, 'kept, cut to what the box holds');
    assert.equal(readForm(EVALUATION_FORM, { rationale: ['a', 'b'] }).ok, false);
  });

  it('counts the applications to mark, those marked and those that passed', () => {
    const marked = (result: 'pass' | 'fail', number: number) =>
      application({ number, evaluation: { result, rationale: 'r', by: BY, at: AT } });
    // Counted from the close, before the numbers are given.
    const { number: _n, ...unnumbered } = application();
    const all = [marked('pass', 1), marked('fail', 2), application({ number: 3 }), unnumbered];
    const progress = evaluationProgress(all);
    assert.deepEqual(progress, { applications: 4, marked: 2, passed: 1 });
    assert.equal(evaluationComplete(progress), false);
    const done = evaluationProgress([marked('pass', 1), marked('fail', 2), marked('pass', 3)]);
    assert.deepEqual(done, { applications: 3, marked: 3, passed: 2 });
    assert.equal(evaluationComplete(done), true);
    assert.equal(evaluationComplete(evaluationProgress([])), true, 'nobody to mark: the counts are 0 and 0');
  });

  it('records who marks instead when procurement reassigns, and a decline without a recorded draw declines nobody', () => {
    const closed: Opportunity = {
      ...submitted(),
      status: 'closed',
      selection: { questions: 0, declinedSuppliers: [] },
    };
    const julie = { aadObjectId: 'aad-julie', name: 'Julie Lavoie' };
    const given = decide(
      closed,
      'reassign_evaluation',
      { evaluator: julie },
      person('p', 'procurement'),
      clock(),
    );
    assert.ok(given.ok);
    assert.deepEqual(given.next.selection.evaluator, julie);
    assert.deepEqual(
      given.events.map((e) => e.type),
      ['evaluation_reassigned'],
    );
    // A supplier selected before draws were recorded: declining them records no number.
    const undrawn: Opportunity = {
      ...closed,
      status: 'supplier_selected',
      selection: { ...closed.selection, supplierName: 'Ada' },
    };
    const declined = decide(undrawn, 'supplier_declined', {}, person('p', 'procurement'), clock());
    assert.ok(declined.ok);
    assert.deepEqual(declined.next.selection.declinedSuppliers, []);
  });
});
