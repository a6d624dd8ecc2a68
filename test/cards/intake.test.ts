import { strict as assert } from 'node:assert';
import { intakeCard, licenceCriterion, submittedCard } from '../../src/cards';
import { problemText } from '../../src/cards/intake';
import { type Locale, t } from '../../src/i18n';
import { formatDate } from '../../src/i18n/format';
import { FIELDS, FORM_STEPS, type IntakeFields, initialFields, type Step } from '../../src/services/intake';
import { LICENCE_IDS } from '../../src/services/licences';
import type { Problem } from '../../src/services/rules';
import { type Card, errorUnder, find } from '../support/cards';
import { CALENDAR, submitted, typed } from '../support/opportunities';

/** The intake card as built for a person: its inputs, the notes next to them, and the review. */

const card = (locale: Locale, step: Step, fields: IntakeFields, problems: Problem[] = []) =>
  intakeCard({ locale, draftId: 'd', step, fields, problems, calendar: CALENDAR });

const licenceInput = (c: Card) => find(c, (n) => n.id === 'licence')[0] ?? {};
const choices = (c: Card) => licenceInput(c).choices as { title: string; value: string }[];

/** The review's rows, label and value, in order. */
function rows(c: Card): [string, string][] {
  return find(c, (n) => n.type === 'ColumnSet' && Array.isArray(n.columns) && n.columns.length === 2)
    .map((n) => n.columns as { items: Record<string, unknown>[] }[])
    .filter(([l, v]) => l?.items[0]?.type === 'TextBlock' && v?.items[0]?.type === 'RichTextBlock')
    .map(([l, v]) => [
      String(l?.items[0]?.text),
      String((v?.items[0]?.inlines as { text: string }[])[0]?.text),
    ]);
}

/** The row right after the acceptance criteria on a review or a confirmation. */
function afterAcceptance(locale: Locale, c: Card): [string, string] | undefined {
  const all = rows(c);
  const at = all.findIndex(([label]) => label === t(locale, 'intake.fields.acceptanceCriteria.label'));
  return at < 0 ? undefined : all[at + 1];
}

describe('the intake card', () => {
  it('lets a whole paste reach the bot: no text input stops at the length its field keeps', () => {
    for (const step of FORM_STEPS) {
      const texts = find(card('en', step, typed()), (n) => n.type === 'Input.Text');
      for (const input of texts) {
        const kept = FIELDS[input.id as keyof typeof FIELDS].max;
        const bound = (input.maxLength as number | undefined) ?? Infinity;
        assert.ok(bound >= 10 * kept, `${String(input.id)}: ${bound} for ${kept} kept`);
      }
    }
    const title = find(card('en', 'basics', typed()), (n) => n.id === 'title')[0];
    assert.ok(((title?.maxLength as number | undefined) ?? Infinity) >= 5_000);
  });

  it('says next to a field, in English and French, that a paste was cut to N characters of the M typed', () => {
    const cut: Problem = { field: 'title', code: 'truncated', params: { length: 5_000, max: 100 } };
    assert.equal(
      problemText('en', cut),
      'You entered 5,000 characters and this field holds 100, so your text was cut to its first 100 characters. Check the end before going on.',
    );
    assert.equal(
      problemText('fr', cut).replace(/\s/g, ' '),
      'Vous avez saisi 5 000 caractères et ce champ en contient au plus 100 : votre texte a été coupé à ses 100 premiers caractères. Vérifiez la fin avant de continuer.',
    );
    const atBound: Problem = { ...cut, params: { length: 20_000, max: 100, atLeast: 1 } };
    assert.match(
      problemText('en', atBound),
      /^You entered at least 20,000 characters and this field holds 100/,
    );
    assert.match(
      problemText('fr', atBound).replace(/\s/g, ' '),
      /^Vous avez saisi au moins 20 000 caractères/,
    );
  });

  it('offers the licence as a list of open-source licences in the person’s language, MIT on a new draft', () => {
    const en = card('en', 'work', initialFields());
    assert.equal(licenceInput(en).type, 'Input.ChoiceSet');
    assert.equal(licenceInput(en).value, 'MIT');
    assert.deepEqual(
      choices(en).map((c) => c.value),
      LICENCE_IDS,
    );
    assert.equal(choices(en)[0]?.title, 'MIT License (MIT)');
    assert.match(JSON.stringify(en), /For an existing repository, choose that repository’s licence/);
    const fr = card('fr', 'work', initialFields());
    assert.equal(choices(fr)[0]?.title, 'Licence MIT (MIT)');
    assert.ok(choices(fr).some((c) => c.title === 'Licence publique Mozilla 2.0 (MPL-2.0)'));
    assert.match(JSON.stringify(fr), /Pour un dépôt existant, choisissez la licence de ce dépôt/);
  });

  it('keeps a licence that is not on the list in view, marked, with the problem next to it', () => {
    const problem: Problem = { field: 'licence', code: 'not_a_licence' };
    const en = card('en', 'work', typed({ licence: 'proprietary' }), [problem]);
    assert.equal(licenceInput(en).value, 'proprietary');
    assert.deepEqual(choices(en).at(-1), { title: 'proprietary (not on the list)', value: 'proprietary' });
    assert.equal(
      errorUnder(en, 'licence'),
      'Choose an open-source licence from the list: MIT for a new repository, or the licence of the existing repository.',
    );
    const fr = card('fr', 'work', typed({ licence: 'proprietary' }), [problem]);
    assert.deepEqual(choices(fr).at(-1), {
      title: 'proprietary (absente de la liste)',
      value: 'proprietary',
    });
    assert.equal(
      errorUnder(fr, 'licence'),
      'Choisissez une licence libre dans la liste : MIT pour un nouveau dépôt, ou la licence du dépôt existant.',
    );
  });

  it('says in words that the text under a field is a problem, not only in red', () => {
    const problem: Problem = { field: 'licence', code: 'not_a_licence' };
    for (const [locale, word] of [
      ['en', 'Problem: '],
      ['fr', 'Problème : '],
    ] as const) {
      const c = card(locale, 'work', typed({ licence: 'proprietary' }), [problem]);
      const shown = find(c, (n) => n.type === 'TextBlock' && n.color === 'Attention').map((n) =>
        String(n.text),
      );
      assert.ok(shown.length > 0 && shown.every((text) => text.startsWith(word)), shown.join('\n'));
    }
  });

  it('shows a licence written another way before the list as the listed one', () => {
    const c = card('en', 'work', typed({ licence: 'MIT License' }));
    assert.equal(licenceInput(c).value, 'MIT');
    assert.equal(choices(c).length, LICENCE_IDS.length);
  });

  it('shows on the review, under the acceptance criteria, the licence criterion it adds, in both languages', () => {
    const fields = typed({ licence: 'Apache-2.0' });
    assert.deepEqual(afterAcceptance('en', card('en', 'review', fields)), [
      'Added to the acceptance criteria',
      'The code is released under the Apache License 2.0 (SPDX: Apache-2.0), in a public repository.',
    ]);
    assert.deepEqual(afterAcceptance('fr', card('fr', 'review', fields)), [
      'Ajouté aux critères d’acceptation',
      'Le code est publié sous la licence Apache 2.0 (SPDX : Apache-2.0), dans un dépôt public.',
    ]);
    assert.ok(rows(card('en', 'review', fields)).some(([, v]) => v === 'Apache License 2.0 (Apache-2.0)'));
  });

  it('shows the licence criterion on the confirmation too', () => {
    const record = submitted('MA-2026-0007');
    const confirmation = submittedCard('fr', record, typed(), 5, CALENDAR);
    assert.equal(
      afterAcceptance('fr', confirmation)?.[1],
      'Le code est publié sous la licence MIT (SPDX : MIT), dans un dépôt public.',
    );
  });
});

describe('the look-back on the attestations', () => {
  // 22:30 on Sunday, March 1 in Toronto (EST) is 03:30 on March 2 in UTC.
  const similar = {
    reference: 'MA-2026-0007',
    title: 'Accessible date picker',
    status: 'paid' as const,
    createdAt: '2026-03-02T03:30:00.000Z',
    fixedPriceCents: 400_000,
  };
  const lines = (locale: Locale) => {
    const c = intakeCard({
      locale,
      draftId: 'd',
      step: 'attestations',
      fields: typed(),
      problems: [],
      calendar: CALENDAR,
      lookback: { branch: 'Benefits Delivery', result: { similar: [similar], suppliers: [] } },
    });
    return JSON.stringify(c);
  };

  for (const locale of ['en', 'fr'] as const) {
    it(`dates each request by the department's day, not UTC's: an evening request is of its own day (${locale})`, () => {
      const text = lines(locale);
      assert.ok(text.includes(formatDate('2026-03-01', locale)), text);
      assert.ok(!text.includes(formatDate('2026-03-02', locale)));
    });
  }
});

describe('the licence criterion', () => {
  it('says the code is released under the licence, by name and SPDX id, in a public repository', () => {
    assert.equal(
      licenceCriterion('en', 'MIT'),
      'The code is released under the MIT License (SPDX: MIT), in a public repository.',
    );
    assert.equal(
      licenceCriterion('fr', 'GPL-3.0-or-later'),
      'Le code est publié sous la licence publique générale GNU v3.0 ou ultérieure (SPDX : GPL-3.0-or-later), dans un dépôt public.',
    );
    assert.equal(
      licenceCriterion('en', 'Unlicense'),
      'The code is released under the Unlicense (SPDX: Unlicense), in a public repository.',
    );
  });

  it('quotes the licence of a record kept from before the list as it was written', () => {
    assert.equal(
      licenceCriterion('en', 'Crown copyright'),
      'The code is released under the licence “Crown copyright”, in a public repository.',
    );
    assert.equal(
      licenceCriterion('fr', 'Crown copyright'),
      'Le code est publié sous la licence « Crown copyright », dans un dépôt public.',
    );
  });
});
