import { strict as assert } from 'node:assert';
import { listCard } from '../src/cards';
import { opportunityCard } from '../src/cards/opportunity';
import { summaryCard } from '../src/cards/summary';
import { type Locale, LOCALES, localeOf, type MessageKey, RESOURCES, t } from '../src/i18n';
import { formatDate, formatList, formatMoney } from '../src/i18n/format';
import { pipelineSummary } from '../src/services/pipeline';
import { CALENDAR, NOW, person, submitted } from './support/opportunities';
import { textOf } from './support/teams';

function leaves(node: unknown, prefix = ''): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, v] of Object.entries(node as Record<string, unknown>)) {
    if (typeof v === 'string') out.set(`${prefix}${k}`, v);
    else for (const [kk, vv] of leaves(v, `${prefix}${k}.`)) out.set(kk, vv);
  }
  return out;
}
const params = (s: string) => [...s.matchAll(/\{\{(\w+)\}\}/g)].map((m) => m[1]).sort();

/** `lists.count_one` → `lists.count`, `one`: the forms i18next chooses among by the count. */
const PLURAL = /^(.+)_(zero|one|two|few|many|other)$/;
/** A message nested in another for a second count: `$t(units.businessDays, {"count": {{days}} })`. */
const NESTED = /\$t\(([\w.]+), \{"count": \{\{(\w+)\}\} \}\)/g;
/** Counts a reader meets: none, one, a few, many, and one written with four digits. */
const COUNTS = [0, 1, 2, 5, 1000];
/** Every blank other than the count is filled with this, a figure that reads as plural in both languages. */
const OTHER_BLANK = 7;
/** The words "one" of each language, when they stand alone ("aucune" is not "une"). */
const ONE_WORD: Record<Locale, RegExp> = { en: /\bone\b/gi, fr: /\b(?:un|une)\b/gi };
/** Words ending as plurals do that are not plurals, as they may follow a figure ("1 business day"). */
const NOT_PLURAL: Record<Locale, ReadonlySet<string>> = {
  en: new Set(['business', 'is', 'was', 'has', 'its', 'this', 'as', 'less']),
  fr: new Set(['plus', 'fois', 'mois', 'pas', 'dans', 'sous', 'sans', 'depuis', 'après', 'prix']),
};
const PLURAL_ENDING: Record<Locale, RegExp> = { en: /s$/, fr: /[sx]$/ };
/** French puts 0 with 1; English only 1. */
const SINGULAR: Record<Locale, (n: number) => boolean> = {
  en: (n) => n === 1,
  fr: (n) => n === 0 || n === 1,
};

/** Each counted message, by its key without the suffix, with the forms the language gives it. */
function countedMessages(messages: Map<string, string>): Map<string, Map<string, string>> {
  const out = new Map<string, Map<string, string>>();
  for (const [key, text] of messages) {
    const m = PLURAL.exec(key);
    if (!m) continue;
    const [, base, form] = m as unknown as [string, string, string];
    out.set(base, (out.get(base) ?? new Map()).set(form, text));
  }
  return out;
}

const words = (text: string) => text.match(/[\p{L}’'-]+/gu) ?? [];

/** The two words that follow, up to a blank, a nesting or punctuation (a closing bracket aside). */
const nextWords = (text: string) =>
  words(text.split(/\{\{|\$t\(|[.,;:!?—“”«»(]/)[0] ?? '')
    .slice(0, 2)
    .map((w) => w.toLowerCase());

/** The words that follow the count in a form: after `{{count}}`, or after the "one" that stands for it. */
function afterCount(locale: Locale, form: string): string[] {
  const at = form.indexOf('{{count}}');
  const one = new RegExp(ONE_WORD[locale].source, 'i').exec(form);
  if (at >= 0) return nextWords(form.slice(at + '{{count}}'.length));
  return one ? nextWords(form.slice(one.index + one[0].length)) : [];
}

/**
 * The words that take the number of the count, read from the resources themselves: after the count, a
 * word of the `_other` form that is its `_one` counterpart with an ending added (days, requests, jours,
 * ouvrables, ouvertes) is plural, and that counterpart singular.
 */
function numberMarkedWords(locale: Locale, counted: Map<string, Map<string, string>>) {
  const plural = new Set<string>();
  const singular = new Set<string>();
  for (const forms of counted.values()) {
    const one = afterCount(locale, forms.get('one') ?? '');
    afterCount(locale, forms.get('other') ?? '').forEach((w, i) => {
      const s = one[i];
      if (s !== undefined && w !== s && w.startsWith(s)) {
        plural.add(w);
        singular.add(s);
      }
    });
  }
  return { plural, singular };
}

/** The words after each place `n` stands as a figure in `text` ("2 business days" → business, days). */
function wordsAfterFigure(text: string, n: number): string[][] {
  const figure = new RegExp(`(?<![\\d.,\\u00a0\\u202f])${n}(?![\\d]|[.,\\u00a0\\u202f]\\d)`, 'g');
  return [...text.matchAll(figure)].map((m) => nextWords(text.slice((m.index ?? 0) + String(n).length)));
}

/** The message as a reader would get it for `n` things, every other blank filled. */
function render(locale: Locale, base: string, forms: Map<string, string>, n: number): string {
  const blanks = new Set([...forms.values()].flatMap(params));
  const filled = Object.fromEntries([...blanks].map((b) => [b, OTHER_BLANK]));
  return t(locale, base as MessageKey, { ...filled, count: n });
}

describe('English and French resources', () => {
  const en = leaves(RESOURCES.en);
  const fr = leaves(RESOURCES.fr);

  it('have the same messages in both languages', () => {
    assert.deepEqual([...fr.keys()].sort(), [...en.keys()].sort());
  });

  it('fill the same blanks in both languages', () => {
    // A singular may spell its count out ("one business day") where French, singular at 0 too, shows it.
    const blanks = (k: string, v: string) =>
      params(v)
        .filter((b) => b !== 'count' || !/_(zero|one)$/.test(k))
        .join();
    const differ = [...en].filter(([k, v]) => blanks(k, v) !== blanks(k, fr.get(k) ?? ''));
    assert.deepEqual(differ, []);
  });

  it('leave no message empty unless it is empty in both (an absent hint or placeholder)', () => {
    const lopsided = [...en].filter(([k, v]) => (v === '') !== (fr.get(k) === ''));
    assert.deepEqual(lopsided, []);
  });

  const counted = { en: countedMessages(en), fr: countedMessages(fr) };

  it('give every counted message the same plural forms in both languages, with a singular and a plural', () => {
    const formsOf = (locale: Locale) =>
      Object.fromEntries([...counted[locale]].map(([base, forms]) => [base, [...forms.keys()].sort()]));
    assert.deepEqual(formsOf('fr'), formsOf('en'));
    const lacking = [...counted.en].filter(([, forms]) => !forms.has('one') || !forms.has('other'));
    assert.deepEqual(lacking, []);
  });

  it('never show a count without plural rules', () => {
    for (const [locale, messages] of [
      ['en', en],
      ['fr', fr],
    ] as const) {
      const uncounted = [...messages]
        .filter(([key, text]) => text.includes('{{count}}') && !PLURAL.test(key))
        .map(([key]) => key);
      assert.deepEqual(uncounted, [], `${locale}: {{count}} in a message without _one/_other forms`);
    }
  });

  it('never put a figure other than the count before a word that changes with the number', () => {
    // "{{days}} business days" reads "1 business days": such a figure must be the count of a plural message.
    for (const [locale, messages] of [
      ['en', en],
      ['fr', fr],
    ] as const) {
      const { plural, singular } = numberMarkedWords(locale, counted[locale]);
      const found = [...messages].flatMap(([key, text]) =>
        [...text.matchAll(/\{\{(\w+)\}\}/g)]
          .filter((m) => m[1] !== 'count')
          .filter((m) =>
            nextWords(text.slice((m.index ?? 0) + m[0].length)).some((w) => plural.has(w) || singular.has(w)),
          )
          .map((m) => `${key}: ${m[0]}`),
      );
      assert.deepEqual(found, [], locale);
    }
  });

  it('nest only counted messages, the same in both languages, and leave no blank or nesting unfilled', () => {
    for (const [locale, messages] of [
      ['en', en],
      ['fr', fr],
    ] as const) {
      for (const [key, text] of messages) {
        const nested = [...text.matchAll(NESTED)].map((m) => m[1] as string);
        assert.equal(
          nested.length,
          (text.match(/\$t\(/g) ?? []).length,
          `${locale} ${key}: a nesting must read $t(key, {"count": {{blank}} })`,
        );
        for (const n of nested) assert.ok(counted[locale].has(n), `${locale} ${key} nests ${n}`);
        const other = locale === 'en' ? fr : en;
        const there = [...(other.get(key) ?? '').matchAll(NESTED)].map((m) => m[1]);
        assert.deepEqual(nested.sort(), there.sort(), `${key} nests the same messages in both languages`);
      }
      const plain = [...messages.keys()].filter((k) => !PLURAL.test(k));
      for (const key of plain) {
        const filled = Object.fromEntries(params(messages.get(key) ?? '').map((b) => [b, OTHER_BLANK]));
        const text = t(locale, key as MessageKey, filled);
        assert.ok(!/\$t\(|\{\{/.test(text), `${locale} ${key}: ${text}`);
      }
      for (const [base, forms] of counted[locale]) {
        for (const n of COUNTS) {
          const text = render(locale, base, forms, n);
          assert.ok(!/\$t\(|\{\{/.test(text) && text !== base, `${locale} ${base} (${n}): ${text}`);
        }
      }
    }
  });

  for (const locale of LOCALES) {
    it(`say "one" only of one thing, and show the figure otherwise (${locale})`, () => {
      const wrong: string[] = [];
      for (const [base, forms] of counted[locale]) {
        // A plural sentence may say "one" of something else ("Resume one or discard it"): no more than that.
        const inherent = (forms.get('other') ?? '').match(ONE_WORD[locale])?.length ?? 0;
        for (const n of COUNTS.filter((c) => c !== 1)) {
          const text = render(locale, base, forms, n);
          if ((text.match(ONE_WORD[locale])?.length ?? 0) > inherent) wrong.push(`${base} (${n}): ${text}`);
          const spelledOut = n === 0 && forms.has('zero');
          if (!spelledOut && wordsAfterFigure(text, n).length === 0) wrong.push(`${base} (${n}): ${text}`);
        }
      }
      assert.deepEqual(wrong, []);
    });

    it(`put the noun after a count in the number the count calls for (${locale})`, () => {
      const { plural, singular } = numberMarkedWords(locale, counted[locale]);
      const wrong: string[] = [];
      for (const [base, forms] of counted[locale]) {
        for (const n of COUNTS) {
          const text = render(locale, base, forms, n);
          // Singular: no plural of the resources, nor any word ending as plurals do ("1 measured requests").
          const wrongHere = SINGULAR[locale](n)
            ? (w: string) => plural.has(w) || (PLURAL_ENDING[locale].test(w) && !NOT_PLURAL[locale].has(w))
            : (w: string) => singular.has(w);
          if (wordsAfterFigure(text, n).some((after) => after.some(wrongHere)))
            wrong.push(`${base} (${n}): ${text}`);
        }
      }
      assert.deepEqual(wrong, []);
    });
  }

  it('say how long a request submitted a minute ago has been waiting: 0 business days, 0 jour ouvrable', () => {
    const o = submitted('MA-2026-0007');
    const aMinuteLater = new Date(Date.parse(NOW) + 60_000).toISOString();
    const today = CALENDAR.dateOf(aMinuteLater);
    const shown = (locale: Locale) =>
      textOf(opportunityCard(locale, o, { actor: person('someone') }, { today, calendar: CALENDAR }));
    assert.match(shown('en'), /In this state\n0 business days\n/);
    assert.match(shown('fr'), /Dans cet état depuis\n0 jour ouvrable\n/);
  });

  it('say a page of a list holds no request in words, and one request as one', () => {
    const page = (locale: Locale, records: ReturnType<typeof submitted>[], later: boolean) =>
      textOf(
        listCard({
          locale,
          heading: t(locale, 'lists.waiting'),
          empty: t(locale, 'lists.emptyWaiting'),
          records,
          ...(later ? { previous: { kind: 'waiting', cursor: 'c', trail: '[]' } } : {}),
        }),
      );
    assert.match(page('en', [], true), /No request on this page\./);
    assert.match(page('fr', [], true), /Aucune demande sur cette page\./);
    // The first page, empty: what to do instead, not a count.
    assert.match(page('fr', [], false), /Rien ne vous attend pour le moment\./);
    assert.doesNotMatch(page('fr', [], false), /sur cette page/);
    assert.match(page('en', [submitted()], false), /One request on this page\./);
    assert.match(page('fr', [submitted()], false), /Une demande sur cette page\./);
    assert.match(page('fr', [submitted(), submitted('MA-2026-0002')], false), /2 demandes sur cette page\./);
  });

  it('count a single open request in the pipeline as one request, not "1 open requests"', async () => {
    const summary = pipelineSummary([submitted()], '2026-11-23', {
      reminderBusinessDays: 1,
      now: NOW,
      calendar: CALENDAR,
    });
    const en = textOf(await summaryCard('en', summary, 1));
    assert.match(en, /^1 open request worth \$[\d,.]+; 0 closed\.$/m);
    assert.match(en, /^Waiting longer than 1 business day$/m);
    const fr = textOf(await summaryCard('fr', summary, 1));
    assert.match(fr, /^1 demande ouverte d’une valeur de [\d\s,]+\$; 0 close\.$/m);
    assert.match(fr, /^En attente depuis plus de 1 jour ouvrable$/m);
    const none = pipelineSummary([], '2026-11-23', { reminderBusinessDays: 2, now: NOW, calendar: CALENDAR });
    assert.match(textOf(await summaryCard('en', none, 2)), /^No request is open; 0 closed\.$/m);
    assert.match(textOf(await summaryCard('fr', none, 2)), /^Aucune demande ouverte; 0 close\.$/m);
  });

  it('name who may act as each language lists them', () => {
    const who = ['the procurement team', 'finance', 'a manager'];
    assert.equal(formatList(who, 'en', 'disjunction'), 'the procurement team, finance or a manager');
    const qui = ['à l’équipe de l’approvisionnement', 'aux finances'];
    assert.equal(
      t('fr', 'decisions.refusals.role', { who: formatList(qui, 'fr', 'disjunction') }),
      'Cela revient à l’équipe de l’approvisionnement ou aux finances.',
    );
  });

  it('choose singular or plural from the count', () => {
    assert.equal(t('en', 'intake.banner.problems', { count: 1 }), 'One thing to fix below.');
    assert.equal(t('en', 'intake.banner.problems', { count: 3 }), '3 things to fix below.');
    assert.equal(t('fr', 'intake.banner.problems', { count: 2 }), '2 choses à corriger ci-dessous.');
  });

  it('speak French to any fr-* Teams locale and English to en-*, else the default', () => {
    assert.equal(localeOf('fr-CA', 'en'), 'fr');
    assert.equal(localeOf('fr_FR', 'en'), 'fr');
    assert.equal(localeOf('en-GB', 'fr'), 'en');
    assert.equal(localeOf('de-DE', 'fr'), 'fr');
    assert.equal(localeOf(undefined, 'en'), 'en');
  });

  it('write amounts and dates as Canadians of each language do', () => {
    assert.equal(formatMoney(460_000, 'en'), '$4,600.00');
    assert.equal(formatMoney(460_000, 'fr').replace(/\s/g, ' '), '4 600,00 $');
    assert.equal(formatDate('2026-12-07', 'en'), 'Monday, December 7, 2026');
    assert.equal(formatDate('2026-12-07', 'fr'), 'lundi 7 décembre 2026');
  });
});
