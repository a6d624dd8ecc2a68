import { strict as assert } from 'node:assert';
import * as ACData from 'adaptivecards-templating';
import { cardSamples, summarySample } from '../support/card-samples';
import { compileTemplate, TEMPLATES, type TemplateName, watchExpansions } from '../../src/cards/template';
import { LOCALES } from '../../src/i18n';
import { questionCard } from '../../src/cards/question';

/**
 * The cards are bound by templates compiled to functions; the Adaptive Cards templating engine is the
 * reference they must agree with, on every card the bot sends and on the language's edge cases.
 */

const reference = (template: unknown, data: object) => new ACData.Template(template).expand({ $root: data });
const clone = <T>(value: T): T => structuredClone(value);

describe('card templates compiled to functions', () => {
  it('bind every sample card exactly as the Adaptive Cards engine does, for every template', async () => {
    const seen = new Map<TemplateName, number>();
    watchExpansions((name, data, card) => {
      seen.set(name, (seen.get(name) ?? 0) + 1);
      assert.deepStrictEqual(clone(card), clone(reference(TEMPLATES[name], data)), `template ${name}`);
    });
    try {
      cardSamples();
      for (const locale of LOCALES) await summarySample(locale);
      // The question card, asked and then answered (the samples leave it to the questions suite).
      const asked = {
        id: 'q-1',
        reference: 'MA-2026-0001',
        locale: 'fr' as const,
        text: 'Peut-on livrer en deux parties ?',
        askedAt: '2026-12-01T15:00:00Z',
        state: 'asked' as const,
        version: 1,
      };
      const options = {
        titles: { en: 'Accessible form', fr: 'Formulaire accessible' },
        timeZone: 'America/Toronto',
        site: 'https://example.gc.ca',
      };
      questionCard(asked, { ...options, typed: { question: 'Two parts?' }, problems: [] });
      questionCard(
        {
          ...asked,
          state: 'answered',
          version: 2,
          answer: {
            question: { en: 'Two parts?', fr: 'Deux parties ?' },
            answer: { en: 'Yes.', fr: 'Oui.' },
          },
          settledBy: { aadObjectId: 'aad-procurement', name: 'Priya Raman' },
          settledAt: '2026-12-02T15:00:00Z',
        },
        options,
      );
    } finally {
      watchExpansions(undefined);
    }
    assert.deepEqual(
      Object.keys(TEMPLATES).filter((name) => !seen.has(name as TemplateName)),
      [],
      'every template is checked by some sample',
    );
  });

  const cases: { name: string; template: unknown; data: object }[] = [
    {
      name: 'a missing value shows its expression, alone or in text',
      template: { a: '${missing}', b: 'x ${missing.deep} y', c: '${present}' },
      data: { present: 'here' },
    },
    {
      name: 'a value keeps its type when it is the whole string, and becomes text inside one',
      template: { n: '${n}', t: '${n} items, ${yes}', o: '${o}', l: '${l}' },
      data: { n: 3, yes: true, o: { k: 'v' }, l: [1, 2] },
    },
    {
      name: 'an item repeats once per element, none for an empty list, and reads its element',
      template: {
        body: [
          { $data: '${rows}', text: '${label}: ${value}', all: '${$root.title}' },
          { $data: '${none}', text: 'never' },
          { $data: '${one}', text: '${$data}' },
          { type: 'after' },
        ],
      },
      data: {
        rows: [
          { label: 'a', value: 1 },
          { label: 'b', value: 2 },
        ],
        none: [],
        one: ['only'],
        title: 'T',
      },
    },
    {
      name: '$when keeps or drops an item, per element too, and a non-boolean drops it',
      template: {
        body: [
          { $when: "${note != ''}", text: '${note}' },
          { $when: "${empty != ''}", text: 'never' },
          { $when: '${count(list) > 0}', text: 'listed' },
          { $when: '${count(none) > 0}', text: 'never' },
          { $data: '${items}', $when: "${kind == 'toggle'}", id: '${id}' },
          { $when: '${flag}', text: 'flagged' },
          { $when: '${word}', text: 'never: not a boolean' },
          { $when: 'true', text: 'never: not an expression' },
        ],
      },
      data: {
        note: 'n',
        empty: '',
        list: [1],
        none: [],
        items: [
          { kind: 'toggle', id: 'a' },
          { kind: 'text', id: 'b' },
          { kind: 'toggle', id: 'c' },
        ],
        flag: true,
        word: 'yes',
      },
    },
    {
      name: 'if() chooses by truth, and an object bound to a list in a property becomes the list',
      template: {
        style: "${if(flagged, 'Attention', 'Default')}",
        other: "${if(clear, 'Attention', 'Default')}",
        nested: { $data: '${pair}', v: '${v}' },
        single: { $data: '${quote}', h: '${heading}' },
      },
      data: { flagged: true, clear: false, pair: [{ v: 1 }, { v: 2 }], quote: { heading: 'H' } },
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      assert.deepStrictEqual(
        clone(compileTemplate(c.template)(c.data)),
        clone(reference(c.template, c.data)),
      );
    });
  }

  it('refuses, when compiled, an expression the compiled templates do not implement', () => {
    assert.throws(() => compileTemplate({ text: '${concat(a, b)}' }), /unsupported card template expression/);
    assert.throws(() => compileTemplate({ $when: 'x ${a} y', text: '' }), /one expression/);
  });
});
