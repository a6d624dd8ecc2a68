import assert from 'node:assert/strict';
import type { Application } from '../../src/services/applications';
import { answerDebrief, debriefView, requestDebrief } from '../../src/services/debrief';
import { numberedApplication } from '../support/applications';

/** The debrief's rules: what procurement's channel may read, the request recorded once, the first answer. */

const BY = { aadObjectId: 'aad-procurement', name: 'Priya Raman' };
const AT = '2026-12-12T15:00:00.000Z';

/** Marked, not selected, with its debrief link made. */
const application = (overrides: Partial<Application> = {}): Application =>
  numberedApplication({
    evaluation: { result: 'fail', rationale: 'No component', by: BY, at: AT },
    debriefToken: 'D'.repeat(43),
    version: 5,
    ...overrides,
  });

describe('debrief rules', () => {
  it('records a request once, one version later, and leaves a second request as it is', () => {
    const asked = requestDebrief(application(), AT);
    assert.deepEqual(asked.debrief, { requestedAt: AT });
    assert.equal(asked.version, 6);
    assert.equal(requestDebrief(asked, '2026-12-13T15:00:00.000Z'), asked);
  });

  it('shows procurement the number, language, evaluation and request, and nothing of who applied', () => {
    const view = debriefView(requestDebrief(application(), AT));
    assert.deepEqual(view, {
      id: 'a-0b9e5a41-7d3c-4f8e-a2b6-c1d4e7f90a12',
      reference: 'MA-2026-0007',
      number: 2,
      locale: 'fr',
      evaluation: { result: 'fail', rationale: 'No component' },
      requestedAt: AT,
      version: 6,
    });
    for (const secret of ['Ada', 'ada@example.ca', 'student', 'github', 'pickers', 'DDDD', 'aad-procurement'])
      assert.ok(!JSON.stringify(view).includes(secret), secret);
  });

  it('shows no application that did not ask, or was never numbered', () => {
    assert.equal(debriefView(application()), undefined);
    const { number: _n, ...unnumbered } = requestDebrief(application(), AT);
    assert.equal(debriefView(unnumbered), undefined);
  });

  it('sends the first answer only, one version later, and none to an application that did not ask', () => {
    const asked = requestDebrief(application(), AT);
    const sent = answerDebrief(asked, 'Your links showed no component.', BY, AT);
    assert.ok(sent.ok);
    assert.deepEqual(sent.application.debrief, {
      requestedAt: AT,
      answer: { text: 'Your links showed no component.', by: BY, at: AT },
    });
    assert.equal(sent.application.version, 7);
    assert.deepEqual(debriefView(sent.application)?.answer, sent.application.debrief?.answer);
    const again = answerDebrief(sent.application, 'Another', BY, AT);
    assert.equal(again.ok, false);
    assert.equal(!again.ok && again.settled, sent.application);
    assert.equal(answerDebrief(application(), 'Unasked', BY, AT).ok, false);
  });
});
