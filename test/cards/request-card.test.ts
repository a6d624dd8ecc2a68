import { strict as assert } from 'node:assert';
import { opportunityCard, statusCard, type Viewer } from '../../src/cards';
import { licenceCriterion } from '../../src/cards/licences';
import { CARD_BUDGET_BYTES, reminderCard } from '../../src/cards/opportunity';
import { LOCALES, type Locale, t, type Voice } from '../../src/i18n';
import { lookback, splittingEvidence } from '../../src/services/lookback';
import { decide } from '../../src/services/lifecycle';
import { type Opportunity, TEXT_LIMITS, TRANSLATED_FIELDS } from '../../src/services/opportunity';
import { EVIDENCE } from '../support/card-samples';
import { find } from '../support/cards';
import {
  CALENDAR,
  CHECKLIST,
  clock,
  INVOICE,
  NOW,
  person,
  submitted,
  TERMS,
  TRANSLATION,
} from '../support/opportunities';
import { textOf } from '../support/teams';

/**
 * The request's card as each reader gets it: the whole request behind Details, as far as their role may
 * see; what each team judges on in sight; both official languages in channels; the size bound kept.
 */

const PROCUREMENT = person('aad-priya', 'procurement');

function vetted(o: Opportunity = submitted('MA-2026-0007')): Opportunity {
  const outcome = decide(o, 'vet_go', CHECKLIST, PROCUREMENT, clock());
  if (!outcome.ok) throw new Error('cannot vet');
  return outcome.next;
}

/** What the card shows before Details is pressed. */
function inSight(card: Record<string, unknown>): string {
  return textOf(
    (card.body as Record<string, unknown>[]).filter(
      (b) => find(b, (n) => String(n.id).startsWith('details-')).length === 0,
    ),
  );
}

/** The details container of one language, as Details opens it. */
function details(card: Record<string, unknown>, locale: Locale): string {
  const found = find(card, (n) => n.id === `details-${locale}`)[0];
  return found ? textOf(found) : '';
}

const statement = (locale: Locale, name: string) =>
  t(locale, 'decisions.details.attested', {
    statement: t(locale, `intake.fields.${name}.label` as 'intake.fields.standalone.label'),
  });

/**
 * Who sees what, written out independently of the access rule: the union is consulted on two
 * attestations and has no need of the client's contact; a stranger (a card inserted by someone without a
 * role) sees the work only; everyone else sees the whole request.
 */
const READERS: { name: string; viewer: Viewer; contact: boolean; attestations: string[] }[] = [
  { name: 'the requester', viewer: { actor: person('req-1') }, contact: true, attestations: ['all'] },
  { name: 'procurement', viewer: { actor: PROCUREMENT }, contact: true, attestations: ['all'] },
  {
    name: 'the procurement channel',
    viewer: { channel: 'procurement' },
    contact: true,
    attestations: ['all'],
  },
  { name: 'finance', viewer: { actor: person('f', 'finance') }, contact: true, attestations: ['all'] },
  { name: 'the finance channel', viewer: { channel: 'finance' }, contact: true, attestations: ['all'] },
  {
    name: 'the union',
    viewer: { actor: person('u', 'union') },
    contact: false,
    attestations: ['standalone', 'noInternalCapacity'],
  },
  {
    name: 'the union channel',
    viewer: { channel: 'union' },
    contact: false,
    attestations: ['standalone', 'noInternalCapacity'],
  },
  { name: 'a manager', viewer: { actor: person('m', 'manager') }, contact: true, attestations: ['all'] },
  {
    name: 'a union member who also manages',
    viewer: { actor: person('um', 'union', 'manager') },
    contact: true,
    attestations: ['all'],
  },
  { name: 'someone without a role', viewer: { actor: person('x') }, contact: false, attestations: [] },
];
const ALL = ['unclassified', 'standalone', 'noInternalCapacity', 'notContractSplitting'];

describe('the request card: details wherever a decision is made', () => {
  const o = vetted();
  for (const reader of READERS) {
    for (const locale of LOCALES) {
      it(`shows ${reader.name} the work behind Details, and only the parts their role may see (${locale})`, () => {
        const card = opportunityCard(locale, o, reader.viewer, { calendar: CALENDAR });
        const toggle = find(
          card,
          (n) => n.type === 'Action.ShowCard' && n.title === t(locale, 'decisions.details.show'),
        );
        assert.equal(toggle.length, 1, 'one Details button');
        assert.equal(find(toggle[0]?.card, (n) => n.id === `details-${locale}`).length, 1);
        const text = details(card, locale);
        for (const work of [o.background, o.deliverables, o.evaluationCriterion, o.acceptanceCriteria]) {
          assert.ok(text.includes(work), `the work is in the details: ${work}`);
        }
        assert.ok(text.includes(o.requiredSkills.join(', ')));
        assert.ok(text.includes(licenceCriterion(locale, o.licence)), 'the licence criterion, always');
        assert.equal(text.includes(o.client.contactEmail), reader.contact, 'the client contact');
        const shown = reader.attestations[0] === 'all' ? ALL : reader.attestations;
        for (const name of ALL) {
          assert.equal(text.includes(statement(locale, name)), shown.includes(name), `attestation ${name}`);
        }
      });
    }
  }

  it('keeps the details behind Details, so the card stays short', () => {
    const card = opportunityCard('en', o, { channel: 'finance' }, { calendar: CALENDAR });
    assert.ok(!inSight(card).includes(o.background));
    assert.ok(details(card, 'en').includes(o.background));
  });

  it('shows the union, on its card itself, the two attestations it is consulted on', () => {
    for (const viewer of [{ channel: 'union' }, { actor: person('u', 'union') }] as Viewer[]) {
      const text = inSight(opportunityCard('en', o, viewer, { calendar: CALENDAR }));
      assert.ok(text.includes(t('en', 'decisions.card.consultedOn')), 'a "Consulted on" row');
      assert.ok(text.includes(statement('en', 'standalone')));
      assert.ok(text.includes(statement('en', 'noInternalCapacity')));
    }
    const finance = inSight(opportunityCard('en', o, { channel: 'finance' }, { calendar: CALENDAR }));
    assert.ok(!finance.includes(t('en', 'decisions.card.consultedOn')));
  });

  it('says "Not attested" for an attestation the requester did not give', () => {
    const unsure = { ...o, attestations: { ...o.attestations, noInternalCapacity: false } };
    const card = opportunityCard('fr', unsure, { channel: 'union' }, { calendar: CALENDAR });
    assert.ok(
      details(card, 'fr').includes(
        t('fr', 'decisions.details.notAttested', {
          statement: t('fr', 'intake.fields.noInternalCapacity.label'),
        }),
      ),
    );
  });

  it('shows procurement the branch’s last 12 months when it vets, flagged past the ceiling; nobody else', () => {
    const evidence = EVIDENCE;
    const s = submitted();
    const vetting = opportunityCard('en', s, { channel: 'procurement' }, { calendar: CALENDAR, evidence });
    const text = textOf(vetting);
    assert.match(text, /MA-2026-0003 · Accessible date picker, phase 1 · \$6,000\.00 · paid/);
    assert.ok(text.includes(t('en', 'decisions.evidence.overCeiling')));
    for (const viewer of [
      { channel: 'finance' },
      { channel: 'union' },
      { actor: person('req-1') },
    ] as Viewer[]) {
      const other = textOf(opportunityCard('en', s, viewer, { calendar: CALENDAR, evidence }));
      assert.ok(!other.includes('MA-2026-0003'), `not shown to ${JSON.stringify(viewer)}`);
    }
  });

  it('says so when the branch has nothing to weigh', () => {
    const none = splittingEvidence(lookback({ title: 'x', branch: 'y' }, [], NOW), 100_000);
    const card = opportunityCard(
      'fr',
      submitted(),
      { channel: 'procurement' },
      { calendar: CALENDAR, evidence: none },
    );
    assert.ok(textOf(card).includes(t('fr', 'decisions.evidence.none')));
  });
});

describe('the request card: what procurement confirms at Go', () => {
  it('asks for each point of the pilot’s vetting checklist, with the facts it rests on, before Go', () => {
    const card = opportunityCard('en', submitted(), { channel: 'procurement' }, { calendar: CALENDAR });
    const go = find(card, (n) => n.type === 'Action.ShowCard' && n.title === 'Go')[0];
    assert.ok(go, 'Go opens a form');
    const toggles = find(go, (n) => n.type === 'Input.Toggle');
    assert.deepEqual(
      toggles.map((n) => n.id),
      Object.keys(CHECKLIST).map((c) => `vet_go.${c}`),
    );
    assert.ok(
      toggles.every((n) => n.value === 'false'),
      'nothing ticked for the officer',
    );
    const titles = toggles.map((n) => String(n.title)).join('\n');
    assert.match(titles, /MIT/);
    assert.match(titles, /\$4,600\.00 with the highest tax/);
    assert.match(titles, /requester attests: yes/);
    const send = find(go, (n) => n.type === 'Action.Execute')[0];
    assert.deepEqual(send?.data, {
      reference: 'MA-2026-0001',
      version: '1',
      action: 'vet_go',
      verb: 'decide',
    });
  });
});

describe('the request card: a second click before what cannot be undone', () => {
  const at = (status: Opportunity['status'], patch: Partial<Opportunity> = {}): Opportunity => ({
    ...vetted(),
    status,
    finance: { fundsStatus: 'approved', fundReservationNumber: 'FR-1' },
    consultation: { status: 'closed' },
    translationConfirmed: true,
    ...patch,
  });
  const cases: [string, Opportunity, Viewer][] = [
    ['vet_go', submitted(), { channel: 'procurement' }],
    ['post', at('in_approval'), { channel: 'procurement' }],
    ['countersign_terms', at('supplier_selected', { terms: TERMS }), { channel: 'finance' }],
    ['accept', at('delivered'), { actor: person('req-1') }],
    [
      'certify',
      at('accepted', { finance: { fundsStatus: 'approved', invoice: INVOICE } }),
      { channel: 'finance' },
    ],
    ['pay', at('certified'), { channel: 'finance' }],
  ];
  for (const [action, o, viewer] of cases) {
    for (const locale of LOCALES) {
      it(`asks to confirm ${action} under a sentence saying what it does (${locale})`, () => {
        const card = opportunityCard(locale, o, viewer, { calendar: CALENDAR });
        const first = find(
          card,
          (n) =>
            n.type === 'Action.ShowCard' && n.title === t(locale, `decisions.actions.${action as 'post'}`),
        )[0];
        assert.ok(first, `${action} opens a confirmation`);
        const sentence = t(locale, `decisions.confirmations.${action as 'post'}`, { reference: o.reference });
        assert.ok(textOf(first.card).includes(sentence));
        const second = find(first.card, (n) => n.type === 'Action.Execute')[0];
        assert.equal((second?.data as { action?: string }).action, action);
        // No button on the card itself takes the decision in one click.
        const direct = (card.actions as Record<string, unknown>[]).filter(
          (a) => a.type === 'Action.Execute' && (a.data as { action?: string }).action === action,
        );
        assert.deepEqual(direct, []);
      });
    }
  }
});

describe('the request card: the opportunity in both languages', () => {
  const proposed = (o: Opportunity, texts: Partial<typeof TRANSLATION>, confirmed = false): Opportunity => ({
    ...o,
    translation: { ...texts, locale: 'fr', by: { aadObjectId: 'req-1', name: 'Riley' }, at: NOW },
    translationConfirmed: confirmed,
  });

  it('shows each person the request in their language once it is translated', () => {
    const o = proposed(vetted(), TRANSLATION, true);
    const fr = opportunityCard('fr', o, { actor: person('f', 'finance') }, { calendar: CALENDAR });
    assert.ok(textOf(fr).includes(TRANSLATION.title));
    assert.ok(details(fr, 'fr').includes(TRANSLATION.background));
    assert.ok(!textOf(fr).includes(o.background), 'the English text is not shown to a French reader');
    const en = opportunityCard('en', o, { actor: person('f', 'finance') }, { calendar: CALENDAR });
    assert.ok(details(en, 'en').includes(o.background));
  });

  it('tells a French reader the request is not translated yet, and shows it as submitted', () => {
    const card = opportunityCard('fr', vetted(), { actor: person('f', 'finance') }, { calendar: CALENDAR });
    const text = textOf(card);
    assert.ok(text.includes(submitted().title));
    assert.ok(
      text.includes(t('fr', 'decisions.card.translationValue.missing', { language: 'français' })),
      text,
    );
  });

  it('marks a translation proposed but not confirmed, field by field falling back to the original', () => {
    const o = proposed(vetted(), { title: TRANSLATION.title });
    const card = opportunityCard('fr', o, { actor: person('f', 'finance') }, { calendar: CALENDAR });
    const text = details(card, 'fr');
    assert.ok(text.includes(t('fr', 'decisions.details.source.proposed')));
    assert.ok(text.includes(o.background), 'an untranslated field shows the original');
  });

  it('gives procurement one form to correct the translation and confirm it, filled with what is held', () => {
    const o = proposed(vetted(), { title: TRANSLATION.title });
    const card = opportunityCard('en', o, { channel: 'procurement' }, { calendar: CALENDAR });
    const form = find(card, (n) => n.type === 'Action.ShowCard' && n.title === 'Translation')[0];
    assert.ok(form);
    const fields = find(form, (n) => n.type === 'Input.Text');
    assert.deepEqual(
      fields.map((n) => n.id),
      TRANSLATED_FIELDS.map((f) => `translate.${f}`),
    );
    assert.equal(fields[0]?.value, TRANSLATION.title);
    assert.equal(fields[1]?.value, '');
    const sends = find(form, (n) => n.type === 'Action.Execute').map(
      (n) => (n.data as { action: string }).action,
    );
    assert.deepEqual(sends, ['translate', 'confirm_translation']);
    assert.equal(
      find(
        card,
        (n) => n.type === 'Action.ShowCard' && n.title === t('en', 'decisions.actions.confirm_translation'),
      ).length,
      0,
      'confirming is in the same form, not a second one',
    );
  });

  it('shows a translated text pasted too long back cut to what the field holds, saying so next to it', () => {
    const pasted = 'Sélecteur de date accessible — '.repeat(200);
    for (const locale of LOCALES) {
      const card = opportunityCard(
        locale,
        submitted(),
        { actor: person('req-1') },
        { calendar: CALENDAR, typed: { 'translate.title': pasted, 'translate.background': 'Contexte' } },
      );
      const title = find(card, (n) => n.id === 'translate.title')[0];
      assert.equal(title?.value, [...pasted].slice(0, TEXT_LIMITS.title).join(''));
      assert.equal(find(card, (n) => n.id === 'translate.background')[0]?.value, 'Contexte');
      const note = t(locale, 'decisions.inputCut', { max: TEXT_LIMITS.title, length: [...pasted].length });
      assert.ok(textOf(card).includes(note), note);
    }
  });

  it('lets the requester propose a translation of their own request, and never confirm it', () => {
    const mine = submitted();
    const card = opportunityCard('en', mine, { actor: person('req-1') }, { calendar: CALENDAR });
    const form = find(card, (n) => n.type === 'Action.ShowCard' && n.title === 'Translation')[0];
    assert.ok(form, 'the requester may propose');
    const sends = find(form, (n) => n.type === 'Action.Execute').map(
      (n) => (n.data as { action: string }).action,
    );
    assert.deepEqual(sends, ['translate']);
    // A procurement officer's own request: they propose as its requester, and cannot confirm.
    const own = decide(
      submitted('MA-2026-0002', PROCUREMENT),
      'vet_go',
      CHECKLIST,
      person('p2', 'procurement'),
      clock(),
    );
    assert.ok(own.ok);
    const theirs = opportunityCard('en', own.next, { actor: PROCUREMENT }, { calendar: CALENDAR });
    const sent = find(theirs, (n) => n.type === 'Action.Execute').map(
      (n) => (n.data as { action?: string }).action,
    );
    assert.ok(sent.includes('translate'));
    assert.ok(!sent.includes('confirm_translation'));
  });

  it('offers procurement the translation only once it has said go, keeping the vetting card to five buttons', () => {
    const card = opportunityCard('en', submitted(), { channel: 'procurement' }, { calendar: CALENDAR });
    const titles = (card.actions as { title: string }[]).map((a) => a.title);
    assert.ok(!titles.includes('Translation'));
    assert.ok(titles.length <= 5, titles.join(', '));
  });
});

describe('the request card: both official languages where a team reads it', () => {
  const o = vetted();
  it('gives a channel card every label, value and button in English and in French', () => {
    const card = opportunityCard('bilingual', o, { channel: 'finance' }, { calendar: CALENDAR });
    const text = textOf(card);
    for (const locale of LOCALES) {
      for (const key of [
        'decisions.card.price',
        'decisions.card.funds',
        'decisions.actions.approve_funds',
        'decisions.details.show',
      ] as const) {
        assert.ok(text.includes(t(locale, key)), `${key} in ${locale}`);
      }
      assert.ok(text.includes(t(locale, `statuses.${o.status}`)));
    }
    // Amounts as each language writes them (French with its narrow and non-breaking spaces).
    assert.match(text, /\$4,000\.00/);
    assert.match(text, /4\s000,00\s\$/u);
    assert.ok(
      find(card, (n) => n.id === 'details-en').length === 1 &&
        find(card, (n) => n.id === 'details-fr').length === 1,
    );
  });

  it('does not repeat an untranslated text under the French details', () => {
    const card = opportunityCard('bilingual', o, { channel: 'finance' }, { calendar: CALENDAR });
    assert.ok(!details(card, 'fr').includes(o.background));
    assert.ok(
      details(card, 'fr').includes(
        t('fr', 'decisions.details.source.missingElsewhere', { button: 'Details', language: 'anglais' }),
      ),
    );
  });

  it('tells the updates channel in both languages and the requester in theirs', () => {
    const event = {
      type: 'vetted' as const,
      reference: o.reference,
      at: NOW,
      actor: { aadObjectId: 'p', name: 'Priya' },
      from: 'submitted' as const,
      to: 'in_approval' as const,
    };
    const updates = textOf(statusCard('bilingual', o, event, CALENDAR.timeZone, 'updates'));
    assert.ok(
      updates.includes(t('en', 'decisions.events.vetted')) &&
        updates.includes(t('fr', 'decisions.events.vetted')),
    );
    const mine = textOf(statusCard('fr', o, event, CALENDAR.timeZone, 'requester'));
    assert.ok(
      mine.includes(t('fr', 'decisions.events.vetted')) && !mine.includes(t('en', 'decisions.events.vetted')),
    );
  });

  it('reminds in both languages where a team reads, in one where a person does', () => {
    const wait = { kind: 'funds' as const, on: ['finance' as const], since: NOW };
    const team = textOf(
      reminderCard('bilingual', o, wait, { to: 'team', calendar: CALENDAR, businessDays: 3 }),
    );
    assert.ok(team.includes(t('en', 'waits.kinds.funds')) && team.includes(t('fr', 'waits.kinds.funds')));
    const manager = textOf(
      reminderCard('fr', o, wait, { to: 'manager', calendar: CALENDAR, businessDays: 6 }),
    );
    assert.ok(
      manager.includes(t('fr', 'waits.kinds.funds')) && !manager.includes(t('en', 'waits.kinds.funds')),
    );
  });
});

describe('the request card: within the size bound whatever is typed', () => {
  const fill = (text: string, max: number) => text.repeat(Math.ceil(max / text.length)).slice(0, max);
  const longest = (): Opportunity => {
    const texts = (base: string) =>
      Object.fromEntries(TRANSLATED_FIELDS.map((f) => [f, fill(base, TEXT_LIMITS[f])]));
    return {
      ...vetted(),
      ...texts('Élément éprouvé à améliorer '),
      translation: {
        ...texts('Ça dépend — où ça? '),
        locale: 'fr',
        by: { aadObjectId: 'p', name: 'P' },
        at: NOW,
      },
      translationConfirmed: false,
    } as Opportunity;
  };
  for (const voice of ['en', 'fr', 'bilingual'] as Voice[]) {
    for (const viewer of [
      { channel: 'procurement' },
      { channel: 'union' },
      { actor: person('req-1') },
    ] as Viewer[]) {
      it(`keeps the longest request under ${CARD_BUDGET_BYTES} bytes for ${JSON.stringify(viewer)} in ${voice}, saying what was shortened`, () => {
        const card = opportunityCard(voice, longest(), viewer, { calendar: CALENDAR });
        const bytes = Buffer.byteLength(JSON.stringify(card));
        assert.ok(bytes <= CARD_BUDGET_BYTES, `${bytes} bytes`);
        const text = textOf(card);
        const cut =
          /Shortened to fit the card|Abrégé pour tenir|Too long to show here|Trop long pour figurer/.test(
            text,
          );
        if (cut) assert.match(text, /status MA-2026-0007|état MA-2026-0007/);
      });
    }
  }

  it('shortens nothing of a request that fits', () => {
    const card = opportunityCard('bilingual', vetted(), { channel: 'procurement' }, { calendar: CALENDAR });
    assert.doesNotMatch(textOf(card), /Shortened to fit|Abrégé pour tenir/);
  });

  it('shortens the longest request’s texts in a bilingual channel card, and says so next to each', () => {
    const card = opportunityCard('bilingual', longest(), { channel: 'procurement' }, { calendar: CALENDAR });
    const notes = find(
      card,
      (n) => typeof n.text === 'string' && /Shortened to fit the card|Too long to show here/.test(n.text),
    );
    assert.ok(notes.length > 0);
  });
});

describe('the request card: where suppliers read it', () => {
  const SITE = 'https://opportunities.example.gc.ca';
  const posted = (): Opportunity => ({
    ...submitted('MA-2026-0042'),
    status: 'posted',
    timeline: { posted: NOW },
  });
  const links = (card: Record<string, unknown>) =>
    find(card, (n) => n.type === 'Action.OpenUrl').map((n) => `${String(n.title)} ${String(n.url)}`);
  const reader: Viewer = { actor: PROCUREMENT };

  it('links a posted request to its public page, in each language the card speaks', () => {
    assert.deepEqual(
      links(
        opportunityCard(
          'bilingual',
          posted(),
          { channel: 'procurement' },
          { calendar: CALENDAR, site: SITE },
        ),
      ).slice(0, 2),
      [
        `Public page ${SITE}/en/opportunities/MA-2026-0042`,
        `Page publique ${SITE}/fr/possibilites/MA-2026-0042`,
      ],
    );
    assert.deepEqual(
      links(opportunityCard('fr', posted(), reader, { calendar: CALENDAR, site: SITE })).slice(0, 1),
      [`Page publique ${SITE}/fr/possibilites/MA-2026-0042`],
    );
  });

  it('has no public page before the request is posted', () => {
    const card = opportunityCard('bilingual', vetted(), reader, { calendar: CALENDAR, site: SITE });
    assert.ok(
      links(card).every((l) => !l.includes(SITE)),
      links(card).join('\n'),
    );
  });

  it('tells the requester it is posted with the link to its public page', () => {
    const o = posted();
    const event = {
      type: 'posted' as const,
      reference: o.reference,
      from: 'in_approval' as const,
      to: 'posted' as const,
      at: NOW,
      actor: { aadObjectId: 'aad-priya', name: 'Priya' },
    };
    const line = statusCard('en', o, event, CALENDAR.timeZone, 'requester', SITE);
    assert.ok(
      links(line).includes(`Public page ${SITE}/en/opportunities/MA-2026-0042`),
      links(line).join('\n'),
    );
    const other = statusCard(
      'en',
      o,
      { ...event, type: 'vetted' as const },
      CALENDAR.timeZone,
      'requester',
      SITE,
    );
    assert.deepEqual(links(other), []);
  });
});
