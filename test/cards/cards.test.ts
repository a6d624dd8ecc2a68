import { strict as assert } from 'node:assert';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import * as AdaptiveCards from 'adaptivecards';
import type { Browser, Page } from 'playwright-core';
import { type CardSample, cardSamples, summarySample } from '../support/card-samples';
import { LOCALES, type Locale, t } from '../../src/i18n';
import { formatMoney } from '../../src/i18n/format';
import { launchChromium } from '../support/chromium';
import { AXE, axeInPage, describeViolations, WCAG_21_AA } from '../support/axe';
import { TEAMS_FONT, TEAMS_LIGHT } from '../support/teams-light';

/**
 * Every card the bot sends, checked as Teams will receive it: accepted by the official Adaptive Cards
 * renderer at version 1.5 (Teams' level) with no warning and no property it would silently drop, under
 * the 28 KB message limit, and rendered in Chromium with its text visible, saved as a screenshot to look at.
 *
 * The Adaptive Card JSON schema is in none of the npm packages (adaptivecards, adaptivecards-designer,
 * adaptivecards-templating, @microsoft/teams.cards, @microsoft/teams-ai, @microsoft/teamsfx…), so the
 * renderer is the reference: its parse and validation events, and its own table of the properties each
 * element and action defines. Unlike the schema, it does not require properties such as a TextBlock's text.
 */

const SHOTS = path.resolve(__dirname, '../../test-output/cards');
const RENDERER = require.resolve('adaptivecards/dist/adaptivecards.min.js');
const RENDERER_CSS = require.resolve('adaptivecards/dist/adaptivecards.css');

/** Teams renders cards up to 1.5; 28 KB keeps a card fast and portable (Power Automate's limit). */
const TARGET = AdaptiveCards.Versions.v1_5;
const MAX_BYTES = 28 * 1024;

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Keys the renderer reads itself rather than through its property table: child collections. */
const CHILDREN: Readonly<Record<string, readonly string[]>> = {
  AdaptiveCard: ['body', 'actions'],
  Container: ['items'],
  Column: ['items'],
  ColumnSet: ['columns'],
  RichTextBlock: ['inlines'],
  ActionSet: ['actions'],
  'Action.ShowCard': ['card'],
  Table: ['rows'],
  TableRow: ['cells'],
  TableCell: ['items'],
  Carousel: ['pages'],
  CarouselPage: ['items'],
};

/** Teams' own extension of the card (full width, mentions), outside the Adaptive Cards format. */
const HOST_EXTENSIONS: Readonly<Record<string, readonly string[]>> = { AdaptiveCard: ['msteams'] };

function typeName(o: AdaptiveCards.SerializableObject): string {
  return o instanceof AdaptiveCards.CardObject ? o.getJsonTypeName() : o.constructor.name;
}

/**
 * The renderer drops a property it does not define without a word, so a misspelt one would vanish in
 * Teams: every key of `source` must be one the parsed object defines (sub-objects such as facts or a
 * background image are checked the same way; elements and actions are checked as they are parsed).
 */
function undefinedProperties(o: AdaptiveCards.SerializableObject, source: Json): string[] {
  const name = typeName(o);
  const known = new Set([
    'type',
    ...(o instanceof AdaptiveCards.CardObject ? ['fallback'] : []),
    ...(CHILDREN[name] ?? []),
    ...(HOST_EXTENSIONS[name] ?? []),
  ]);
  const problems: string[] = [];
  const schema = o.getSchema();
  for (let i = 0; i < schema.getCount(); i++) {
    const prop = schema.getItemAt(i);
    known.add(prop.name);
    if (
      prop instanceof AdaptiveCards.SerializableObjectProperty ||
      prop instanceof AdaptiveCards.SerializableObjectCollectionProperty
    ) {
      const value = source[prop.name];
      for (const item of Array.isArray(value) ? value : [value]) {
        const child = new prop.objectType();
        if (isObject(item) && !(child instanceof AdaptiveCards.CardObject)) {
          problems.push(...undefinedProperties(child, item));
        }
      }
    }
  }
  for (const key of Object.keys(source)) {
    if (!known.has(key)) problems.push(`${name} has a property Adaptive Cards does not define: "${key}"`);
  }
  return problems;
}

/**
 * What the Adaptive Card 1.5 schema requires of each type and the renderer lets pass silently (an
 * empty TextBlock renders as nothing). Our buttons also always name their verb, which routes them.
 */
const REQUIRED: Readonly<Record<string, readonly string[]>> = {
  TextBlock: ['text'],
  TextRun: ['text'],
  RichTextBlock: ['inlines'],
  Image: ['url'],
  FactSet: ['facts'],
  ActionSet: ['actions'],
  'Input.Text': ['id'],
  'Input.Number': ['id'],
  'Input.Date': ['id'],
  'Input.Time': ['id'],
  'Input.Toggle': ['id', 'title'],
  'Input.ChoiceSet': ['id', 'choices'],
  'Action.Execute': ['title', 'verb'],
  'Action.Submit': ['title'],
  'Action.OpenUrl': ['url'],
};

function missingRequired(node: unknown): string[] {
  if (Array.isArray(node)) return node.flatMap(missingRequired);
  if (!isObject(node)) return [];
  const required = typeof node.type === 'string' ? (REQUIRED[node.type] ?? []) : [];
  return [
    ...required
      .filter((key) => node[key] === undefined || node[key] === '')
      .map((key) => `${String(node.type)} lacks its required "${key}"`),
    ...Object.values(node).flatMap(missingRequired),
  ];
}

/** Everything the official renderer finds wrong with a card as Teams would receive it; empty when valid. */
function rendererProblems(json: Json): string[] {
  const problems: string[] = missingRequired(json);
  const context = new AdaptiveCards.SerializationContext(TARGET);
  const checkParsed = (o: AdaptiveCards.CardObject, source: unknown, parseFallback: (s: Json) => void) => {
    // When an element fell back, the object is the fallback but the source is the original.
    if (!isObject(source) || (typeof source.type === 'string' && source.type !== o.getJsonTypeName())) return;
    problems.push(...undefinedProperties(o, source));
    // A known element never reads its fallback, so it is parsed here to be checked too.
    if (isObject(source.fallback)) parseFallback(source.fallback);
  };
  context.onParseElement = (element, source) =>
    checkParsed(element, source, (fallback) => context.parseElement(undefined, fallback, [], false));
  context.onParseAction = (action, source) => {
    checkParsed(action, source, (fallback) =>
      context.parseAction(action.parent as AdaptiveCards.CardElement, fallback, [], false),
    );
    if (action instanceof AdaptiveCards.ShowCardAction && isObject(source) && isObject(source.card)) {
      problems.push(...undefinedProperties(action.card, source.card));
    }
  };

  const card = new AdaptiveCards.AdaptiveCard();
  card.parse(json, context);
  problems.push(...undefinedProperties(card, json));
  for (let i = 0; i < context.eventCount; i++) {
    const event = context.getEventAt(i);
    problems.push(`${AdaptiveCards.ValidationEvent[event.event]}: ${event.message}`);
  }
  for (const event of card.validateProperties().validationEvents) {
    problems.push(`${AdaptiveCards.ValidationEvent[event.event]}: ${event.message}`);
  }
  if (typeof json.version !== 'string') problems.push('the card has no version');
  else if (!card.version.isValid) problems.push(`the card's version "${json.version}" is not a version`);
  else if (card.version.compareTo(TARGET) > 0) {
    problems.push(`the card declares version ${json.version}, above ${TARGET.toString()}`);
  }
  return problems;
}

function cardBytes(card: Json): number {
  return Buffer.byteLength(JSON.stringify(card), 'utf8');
}

function title(sample: CardSample): string {
  const language = { en: 'English', fr: 'French' }[sample.locale];
  return `the ${sample.name.replace(/-/g, ' ')} card in ${language}`;
}

/** A Teams-like chat pane: the card alone, 500 pixels wide, on the conversation's grey, in a titled page. */
const PAGE = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Microacq | Microsoft Teams</title><style>
  body { margin: 0; padding: 16px; background: #F5F5F5; font-family: ${TEAMS_FONT}; }
  #host { width: 500px; }
  #host .ac-adaptiveCard { border: 1px solid #E0E0E0; border-radius: 4px; }
</style></head><body><div id="host"></div></body></html>`;

interface Rendering {
  card: Json;
  hostConfig: unknown;
  /** The card's language: Teams' page is in the person's language, and so is the card. */
  lang: string;
}

/** Renders in the page the way Teams does: its host config, and the bold Markdown of our own lines. */
function renderInPage({ card, hostConfig, lang }: Rendering): string {
  const AC = (window as unknown as { AdaptiveCards: typeof AdaptiveCards }).AdaptiveCards;
  AC.AdaptiveCard.onProcessMarkdown = (text, result) => {
    const escaped = text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
    result.outputHtml = escaped.replace(/\*\*(.+?)\*\*/g, '<strong>$1</strong>');
    result.didProcess = true;
  };
  document.documentElement.lang = lang;
  const adaptiveCard = new AC.AdaptiveCard();
  adaptiveCard.hostConfig = new AC.HostConfig(hostConfig);
  adaptiveCard.parse(card);
  const element = adaptiveCard.render();
  const host = document.getElementById('host');
  if (!element || !host) throw new Error('the renderer produced no element');
  host.replaceChildren(element);
  return element.innerText;
}

/** WCAG 2.0 and 2.1 at levels A and AA, colour contrast included. */

/**
 * Words that name a state or an outcome, in each language, and the warning sign. Some people do not see
 * colour, and Teams' own green and yellow are too pale to read, so a coloured text or box must say its status
 * in one of them. In each list: what went wrong, what is past a limit or waits, what is done.
 */
const STATUS_WORDS: Readonly<Record<Locale, RegExp>> = {
  en: words(
    '⚠|errors?|problems?|wrong|fix|required|invalid|refused|rejected|cancell?ed|terminated|failed',
    'could not|cannot|did not',
    'not met|over|past|exceeds?|unavailable|late|overdue|warning|reminder|already|waited',
    'submitted|saved|recorded|on record|approved|paid|posted|accepted|met|within|done',
  ),
  fr: words(
    '⚠|erreurs?|problèmes?|corriger|obligatoire|invalide|refusée?s?|rejetée?s?|annulée?s?|résiliée?s?',
    'échouée?s?|pas pu|impossible|n’ai pas',
    'non atteinte?s?|au-delà|dépassen?t?|indisponibles?|en retard|avertissement|rappel|déjà|attend',
    'soumise?s?|enregistrée?s?|approuvée?s?|payée?s?|publiée?s?|acceptée?s?|atteinte?s?|sous le plafond',
  ),
};

function words(...alternatives: readonly string[]): RegExp {
  return new RegExp(`(?<!\\p{L})(${alternatives.join('|')})(?!\\p{L})`, 'iu');
}

/** Text colours and box styles that stand for a status (accent and emphasis only set things apart). */
const STATUS_COLOURS = new Set(['attention', 'good', 'warning']);

/** Everything a card element says: its text, a fact's title and value; a field's own value is the person's. */
function wordsOf(node: unknown): string {
  if (Array.isArray(node)) return node.map(wordsOf).join(' ');
  if (!isObject(node) || (typeof node.type === 'string' && node.type.startsWith('Input.'))) return '';
  return Object.entries(node)
    .filter(([key]) => !['actions', 'selectAction', 'fallback', 'url', 'id', 'type'].includes(key))
    .map(([key, value]) =>
      typeof value === 'string' ? (['text', 'title', 'value'].includes(key) ? value : '') : wordsOf(value),
    )
    .join(' ')
    .replace(/\*\*/g, '')
    .replace(/\s+/g, ' ')
    .trim();
}

/**
 * The coloured texts and boxes of a card that do not say their status in words: neither the element nor
 * the container (or, for a run of text, the paragraph) around it names one.
 */
function colourOnlyStatuses(card: Json, statusWords: RegExp): string[] {
  const found: string[] = [];
  const visit = (node: unknown, around: string) => {
    if (Array.isArray(node)) return node.forEach((child) => visit(child, around));
    if (!isObject(node)) return;
    const own = wordsOf(node);
    const colour = typeof node.color === 'string' ? node.color.toLowerCase() : '';
    // A box of any kind (container, column, cell); buttons' and fields' styles are never status colours.
    const style = typeof node.style === 'string' ? node.style.toLowerCase() : '';
    for (const status of [colour, style].filter((c) => STATUS_COLOURS.has(c))) {
      if (!statusWords.test(own) && !statusWords.test(around)) {
        found.push(`${String(node.type)} coloured ${status} says only “${own}”`);
      }
    }
    const inner =
      node.type === 'Container' || node.type === 'Column' || node.type === 'RichTextBlock' ? own : around;
    for (const [key, value] of Object.entries(node)) {
      if (key !== 'fallback' && (isObject(value) || Array.isArray(value))) visit(value, inner);
    }
  };
  visit(card, '');
  return found;
}

function flat(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

describe('the cards the bot sends', function () {
  const samples = cardSamples();

  it('cover every card in each language, each under a name of its own', () => {
    const keys = samples.map((s) => `${s.name}.${s.locale}`);
    assert.ok(samples.length > 0);
    assert.deepEqual(keys, [...new Set(keys)]);
    for (const s of samples) assert.match(s.name, /^[a-z0-9]+(-[a-z0-9]+)*$/);
  });

  describe('checked by the official Adaptive Cards renderer', () => {
    for (const sample of samples) {
      it(`${title(sample)} is a valid Adaptive Card 1.5`, () => {
        assert.deepEqual(rendererProblems(sample.card), []);
      });
    }
  });

  describe('within the Teams message size limit', () => {
    for (const sample of samples) {
      it(`${title(sample)} is under 28 KB`, () => {
        const bytes = cardBytes(sample.card);
        assert.ok(bytes < MAX_BYTES, `${bytes} bytes, over the ${MAX_BYTES} Teams accepts`);
      });
    }
  });

  describe('telling a status in words, not by colour alone', () => {
    for (const sample of samples) {
      it(`${title(sample)} names in words every status it colours`, () => {
        assert.deepEqual(colourOnlyStatuses(sample.card, STATUS_WORDS[sample.locale]), []);
      });
    }

    it('the check finds a green reference that says nothing of its status, and accepts one that does', () => {
      const card = (text: string) => ({
        type: 'AdaptiveCard',
        version: '1.5',
        body: [{ type: 'Container', items: [{ type: 'TextBlock', text, color: 'Good' }] }],
      });
      assert.deepEqual(colourOnlyStatuses(card('MA-2026-0007'), STATUS_WORDS.en), [
        'TextBlock coloured good says only “MA-2026-0007”',
      ]);
      assert.deepEqual(colourOnlyStatuses(card('MA-2026-0007 approved'), STATUS_WORDS.en), []);
      assert.deepEqual(colourOnlyStatuses(card('MA-2026-0007 approuvée'), STATUS_WORDS.fr), []);
    });
  });

  describe('rendered in headless Chromium', function () {
    this.timeout(60_000);
    let browser: Browser;
    let page: Page;
    const pageErrors: Error[] = [];
    // The summary's chart is rendered on the server asynchronously, so its card is built once, in a test.
    const summaries = new Map<Locale, Promise<Json>>();
    const summary = (locale: Locale) => {
      if (!summaries.has(locale)) summaries.set(locale, summarySample(locale));
      return summaries.get(locale) as Promise<Json>;
    };

    before(async () => {
      mkdirSync(SHOTS, { recursive: true });
      browser = await launchChromium();
      page = await browser.newPage({ viewport: { width: 600, height: 800 }, deviceScaleFactor: 1 });
      page.on('pageerror', (err) => pageErrors.push(err));
      await page.setContent(PAGE);
      await page.addStyleTag({ path: RENDERER_CSS });
      await page.addScriptTag({ path: RENDERER });
      await page.addScriptTag({ path: AXE });
    });

    after(async () => {
      await browser?.close();
    });

    const render = async (card: Json, locale: Locale) =>
      flat(await page.evaluate(renderInPage, { card, hostConfig: TEAMS_LIGHT, lang: locale }));

    /** Presses buttons on the rendered card as a person would (Details, a form's button), then reads it. */
    const press = async (titles: readonly string[] = []) => {
      for (const name of titles) {
        await page.locator('#host').getByRole('button', { name, exact: true }).first().click();
      }
      return flat(await page.locator('#host .ac-adaptiveCard').first().innerText());
    };

    /** The WCAG 2.1 AA violations axe-core finds on the page with the card rendered. */
    const violationsOf = async (card: Json, locale: Locale, pressed?: readonly string[]) => {
      await render(card, locale);
      await press(pressed);
      // Contrast is measured on what is on screen: the page grows to show the whole card.
      const height = await page.locator('#host').evaluate((host) => host.getBoundingClientRect().height);
      await page.setViewportSize({ width: 600, height: Math.max(800, Math.ceil(height) + 32) });
      return page.evaluate(axeInPage, WCAG_21_AA);
    };

    for (const locale of LOCALES) {
      const language = locale === 'en' ? 'English' : 'French';
      it(`the pipeline summary card in ${language} is valid, under 28 KB, and renders its chart`, async () => {
        const card = await summary(locale);
        assert.deepEqual(rendererProblems(card), []);
        assert.ok(cardBytes(card) < MAX_BYTES, `${cardBytes(card)} bytes`);
        const text = await render(card, locale);
        assert.ok(text.includes(flat(t(locale, 'summary.targetsHeading'))), text);
        const chart = page.locator('#host .ac-adaptiveCard img').first();
        await chart.waitFor();
        assert.ok(
          (await chart.evaluate((img) => (img as HTMLImageElement).naturalWidth)) > 0,
          'the chart loads',
        );
        await page
          .locator('#host .ac-adaptiveCard')
          .first()
          .screenshot({ path: path.join(SHOTS, `pipeline-summary.${locale}.png`) });
      });

      it(`the pipeline summary card in ${language} passes the WCAG 2.1 AA checks (axe-core)`, async () => {
        const violations = await violationsOf(await summary(locale), locale);
        if (violations.length > 0) assert.fail(describeViolations(violations));
      });
    }

    for (const sample of samples) {
      it(`${title(sample)} renders with its text and is saved as a screenshot`, async () => {
        await render(sample.card, sample.locale);
        const text = await press(sample.press);
        for (const expected of sample.expectText) {
          assert.ok(text.includes(flat(expected)), `"${expected}" is not shown in:\n${text}`);
        }
        await page
          .locator('#host .ac-adaptiveCard')
          .first()
          .screenshot({ path: path.join(SHOTS, `${sample.name}.${sample.locale}.png`) });
        assert.deepEqual(pageErrors, []);
      });
    }

    /** The card's first words, and whether a screen reader announces them as a heading. */
    const opening = async (card: Json, locale: Locale) => {
      await render(card, locale);
      return page.locator('#host .ac-adaptiveCard').evaluate((root) => {
        const first = root.querySelector('.ac-textBlock, .ac-richTextBlock');
        return { text: first?.textContent ?? '', role: first?.getAttribute('role') ?? '' };
      });
    };

    for (const sample of samples) {
      it(`${title(sample)} opens with a heading a screen reader can jump to`, async () => {
        const first = await opening(sample.card, sample.locale);
        assert.equal(first.role, 'heading', `“${first.text}” is not marked as a heading`);
      });
    }

    for (const locale of LOCALES) {
      const language = locale === 'en' ? 'English' : 'French';
      it(`the pipeline summary card in ${language} opens with a heading and describes every figure of its chart`, async () => {
        const card = await summary(locale);
        assert.equal((await opening(card, locale)).role, 'heading');
        const alt = await page.locator('#host .ac-adaptiveCard img').first().getAttribute('alt');
        // The sample's chart draws two requests worth $8,000 at the first stage, none at the others.
        const stage = (n: 1 | 2 | 3 | 4 | 5) => t(locale, `summary.stages.${n}`);
        const value = formatMoney(800_000, locale);
        assert.ok(
          alt?.includes(t(locale, 'summary.chartStageValue', { stage: stage(1), count: 2, value })),
          alt ?? '',
        );
        assert.ok(alt?.includes(t(locale, 'summary.chartStage', { stage: stage(5), count: 0 })), alt ?? '');
      });
    }

    for (const sample of samples) {
      it(`${title(sample)} passes the WCAG 2.1 AA checks (axe-core)`, async () => {
        const violations = await violationsOf(sample.card, sample.locale, sample.press);
        if (violations.length > 0) assert.fail(describeViolations(violations));
      });
    }

    it('the accessibility check names the rule, its impact and the element for pale text and an unnamed picture', async () => {
      const card = {
        type: 'AdaptiveCard',
        version: '1.5',
        body: [
          { type: 'TextBlock', text: 'Approved', color: 'Good', wrap: true },
          {
            type: 'Image',
            url: 'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=',
          },
        ],
      };
      const report = describeViolations(await violationsOf(card, 'en'));
      assert.match(report, /^color-contrast \(serious\):/m);
      assert.match(report, /^image-alt \(critical\):/m);
      assert.match(report, /at \S*ac-textBlock\S* “Approved”/);
      assert.match(report, /contrast of 2\.06 \(foreground color: #92c353/);
    });

    it('the accessibility check covers the page a card lives in: its language and its title', async () => {
      await render({ type: 'AdaptiveCard', version: '1.5', body: [] }, 'fr');
      assert.equal(await page.evaluate(() => document.documentElement.lang), 'fr');
      const title = await page.title();
      try {
        await page.evaluate(() => {
          document.documentElement.removeAttribute('lang');
          document.title = '';
        });
        const ids = (await page.evaluate(axeInPage, WCAG_21_AA)).map((v) => v.id);
        assert.ok(ids.includes('html-has-lang'), ids.join(', '));
        assert.ok(ids.includes('document-title'), ids.join(', '));
      } finally {
        await page.evaluate((t) => (document.title = t), title);
      }
    });
  });

  describe('the validity check itself', () => {
    const card = (body: Json[], extra: Json = {}): Json => ({
      type: 'AdaptiveCard',
      version: '1.5',
      body,
      ...extra,
    });
    const text = { type: 'TextBlock', text: 'Hello', wrap: true };

    it('accepts a plain card and Teams’ own msteams property', () => {
      assert.deepEqual(rendererProblems(card([text], { msteams: { width: 'Full' } })), []);
    });

    it('rejects an element type Adaptive Cards does not define', () => {
      assert.match(rendererProblems(card([{ ...text, type: 'TextBlok' }])).join('\n'), /TextBlok/);
    });

    it('rejects a TextBlock without text and a button without a verb', () => {
      const problems = rendererProblems(
        card([{ type: 'TextBlock', wrap: true }], { actions: [{ type: 'Action.Execute', title: 'Go' }] }),
      ).join('\n');
      assert.match(problems, /TextBlock lacks its required "text"/);
      assert.match(problems, /Action.Execute lacks its required "verb"/);
    });

    it('rejects a property an element does not define', () => {
      assert.match(rendererProblems(card([{ ...text, colour: 'Good' }])).join('\n'), /"colour"/);
    });

    it('rejects a value outside what a property allows', () => {
      assert.match(rendererProblems(card([{ ...text, size: 'Huge' }])).join('\n'), /Huge/);
    });

    it('rejects a property newer than Adaptive Cards 1.5', () => {
      const image = { type: 'Image', url: 'https://example.com/a.png', forceLoad: true };
      assert.match(rendererProblems(card([image])).join('\n'), /forceLoad/);
    });

    it('rejects a card that declares a version above 1.5, or none', () => {
      assert.match(rendererProblems(card([text], { version: '1.6' })).join('\n'), /version 1\.6/);
      const { version: _version, ...unversioned } = card([text]);
      assert.match(rendererProblems(unversioned).join('\n'), /no version/);
    });

    it('rejects a misspelt property in the fallback of a button', () => {
      const action = {
        type: 'Action.Execute',
        title: 'Go',
        verb: 'go',
        fallback: { type: 'Action.Submit', title: 'Go', dta: { verb: 'go' } },
      };
      assert.match(rendererProblems(card([text], { actions: [action] })).join('\n'), /"dta"/);
    });

    it('rejects a misspelt property of a fact, deep in a container', () => {
      const facts = { type: 'FactSet', facts: [{ title: 'Budget', valeu: '$100' }] };
      const nested = { type: 'Container', items: [{ type: 'Container', items: [facts] }] };
      assert.match(rendererProblems(card([nested])).join('\n'), /Fact.*"valeu"/);
    });
  });
});
