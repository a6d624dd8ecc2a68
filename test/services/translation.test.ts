import { strict as assert } from 'node:assert';
import { payloadFromCard } from '../../src/services/decisions';
import { decide, readyToPost } from '../../src/services/lifecycle';
import { type Opportunity, textsIn } from '../../src/services/opportunity';
import { CHECKLIST, clock, person, REQUESTER, submitted, TRANSLATION } from '../support/opportunities';

/** The opportunity in both official languages: proposed by anyone who works on it, confirmed by procurement. */

const PROCUREMENT = person('aad-priya', 'procurement');

function inApproval(): Opportunity {
  const outcome = decide(submitted(), 'vet_go', CHECKLIST, PROCUREMENT, clock());
  assert.ok(outcome.ok);
  return outcome.next;
}

function act(o: Opportunity, action: 'translate' | 'confirm_translation', payload: object, by = PROCUREMENT) {
  return decide(o, action, payload, by, clock());
}

describe('translation: the opportunity in both official languages', () => {
  it('reads a request in its own language as submitted', () => {
    const o = submitted();
    assert.deepEqual(textsIn(o, 'en'), {
      texts: {
        title: o.title,
        shortDescription: o.shortDescription,
        background: o.background,
        deliverables: o.deliverables,
        evaluationCriterion: o.evaluationCriterion,
        acceptanceCriteria: o.acceptanceCriteria,
      },
      source: 'original',
    });
  });

  it('reads an untranslated request in the other language as submitted, and says it is missing', () => {
    const { texts, source } = textsIn(submitted(), 'fr');
    assert.equal(source, 'missing');
    assert.equal(texts.title, submitted().title);
  });

  it('lets the requester propose part of the translation, kept field by field, and marks it proposed', () => {
    const proposed = act(submitted(), 'translate', { title: TRANSLATION.title }, REQUESTER);
    assert.ok(proposed.ok);
    assert.equal(proposed.next.status, 'submitted');
    assert.equal(proposed.next.translation?.locale, 'fr');
    assert.equal(proposed.next.translation?.by.aadObjectId, REQUESTER.id);
    const more = act(proposed.next, 'translate', { background: TRANSLATION.background }, REQUESTER);
    assert.ok(more.ok);
    const { texts, source } = textsIn(more.next, 'fr');
    assert.equal(source, 'proposed');
    assert.equal(texts.title, TRANSLATION.title, 'earlier texts are kept');
    assert.equal(texts.background, TRANSLATION.background);
    assert.equal(texts.deliverables, submitted().deliverables, 'an untranslated field falls back');
    assert.deepEqual(
      more.events.map((e) => e.type),
      ['translation_proposed'],
    );
  });

  it('refuses to confirm a translation that is not complete, naming what is missing', () => {
    const { title, background } = TRANSLATION;
    const outcome = act(inApproval(), 'confirm_translation', { title, background });
    assert.ok(!outcome.ok);
    assert.equal(outcome.refusal.code, 'invalid_input');
    assert.deepEqual([...(outcome.refusal.fields ?? [])].sort(), [
      'acceptanceCriteria',
      'deliverables',
      'evaluationCriterion',
      'shortDescription',
    ]);
  });

  it('holds a translated text to the length the original may have', () => {
    const outcome = act(inApproval(), 'confirm_translation', { ...TRANSLATION, title: 'é'.repeat(101) });
    assert.ok(!outcome.ok);
    assert.deepEqual(outcome.refusal.fields, ['title']);
  });

  it('confirms a complete translation from procurement, which completes what posting waits for', () => {
    const o = inApproval();
    const ready = {
      ...o,
      finance: { fundsStatus: 'approved' as const },
      consultation: { status: 'closed' as const },
    };
    const outcome = act(ready, 'confirm_translation', TRANSLATION);
    assert.ok(outcome.ok);
    assert.equal(outcome.next.translationConfirmed, true);
    assert.equal(textsIn(outcome.next, 'fr').source, 'confirmed');
    assert.equal(textsIn(outcome.next, 'fr').texts.title, TRANSLATION.title);
    assert.ok(readyToPost(outcome.next));
    assert.deepEqual(
      outcome.events.map((e) => e.type),
      ['translation_confirmed', 'ready_to_post'],
    );
  });

  it('never lets the requester confirm the translation of their own request, even holding the procurement role', () => {
    const own = person(REQUESTER.id, 'procurement');
    const outcome = act(inApproval(), 'confirm_translation', TRANSLATION, own);
    assert.ok(!outcome.ok);
    assert.equal(outcome.refusal.code, 'own_request');
    const plain = act(inApproval(), 'confirm_translation', TRANSLATION, REQUESTER);
    assert.ok(!plain.ok);
    assert.equal(plain.refusal.code, 'role');
  });

  it('asks for a new confirmation when a confirmed translation is changed', () => {
    const confirmed = act(inApproval(), 'confirm_translation', TRANSLATION);
    assert.ok(confirmed.ok);
    const changed = act(confirmed.next, 'translate', { title: 'Autre titre' });
    assert.ok(changed.ok);
    assert.equal(changed.next.translationConfirmed, false);
    assert.equal(textsIn(changed.next, 'fr').source, 'proposed');
    assert.equal(textsIn(changed.next, 'fr').texts.background, TRANSLATION.background);
  });

  it('translates a request written in French into English', () => {
    const fr = { ...inApproval(), locale: 'fr' as const };
    const outcome = act(fr, 'translate', { title: 'Accessible date picker' });
    assert.ok(outcome.ok);
    assert.equal(outcome.next.translation?.locale, 'en');
    assert.equal(textsIn(outcome.next, 'en').texts.title, 'Accessible date picker');
    assert.equal(textsIn(outcome.next, 'fr').source, 'original');
  });
});

describe('the go form: the vetting checklist as the card sends it', () => {
  it('reads each ticked point as true and an unticked or missing one as false', () => {
    const payload = payloadFromCard(
      'vet_go',
      { 'vet_go.openSource': 'true', 'vet_go.standalone': 'false', 'vet_go.withinCeiling': true },
      'seed',
    );
    assert.deepEqual(payload, {
      openSource: true,
      standalone: false,
      withinCeiling: true,
      notStaffing: false,
      unclassified: false,
    });
  });

  it('reads the translation from the one form it shares with its confirmation', () => {
    const payload = payloadFromCard(
      'confirm_translation',
      { 'translate.title': '  Titre  ', 'translate.background': '' },
      'seed',
    );
    assert.deepEqual(payload, {
      title: 'Titre',
      background: '',
      shortDescription: undefined,
      deliverables: undefined,
      evaluationCriterion: undefined,
      acceptanceCriteria: undefined,
    });
    assert.deepEqual(
      payloadFromCard('translate', { 'translate.title': 'Titre', 'translate.background': ' ' }, 's'),
      {
        title: 'Titre',
      },
    );
  });

  it('records each point of the checklist with the go', () => {
    const outcome = decide(submitted(), 'vet_go', CHECKLIST, PROCUREMENT, clock());
    assert.ok(outcome.ok);
    assert.deepEqual(outcome.next.vettingChecklist, [
      'openSource',
      'standalone',
      'withinCeiling',
      'notStaffing',
      'unclassified',
    ]);
  });
});
