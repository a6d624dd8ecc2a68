import { strict as assert } from 'node:assert';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import * as AdaptiveCards from 'adaptivecards';
import type { Browser, Page } from 'playwright-core';
import { type CardSample, cardSamples, summarySample } from '../support/card-samples';
import { LOCALES, t } from '../../src/i18n';
import { launchChromium } from '../support/chromium';

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

/** Close to Teams' light theme: its type scale, colours and spacing, on a white card. */
const FONT = '"Segoe UI", "Segoe UI Web (West European)", "Liberation Sans", Arial, sans-serif';
const TEAMS_LIGHT = {
  fontFamily: FONT,
  supportsInteractivity: true,
  spacing: { small: 4, default: 8, medium: 16, large: 20, extraLarge: 24, padding: 16 },
  separator: { lineThickness: 1, lineColor: '#E0E0E0' },
  fontTypes: {
    default: {
      fontFamily: FONT,
      fontSizes: { small: 12, default: 14, medium: 14, large: 18, extraLarge: 24 },
      fontWeights: { lighter: 300, default: 400, bolder: 600 },
    },
    monospace: {
      fontFamily: 'Consolas, "Liberation Mono", monospace',
      fontSizes: { small: 12, default: 14, medium: 14, large: 18, extraLarge: 24 },
      fontWeights: { lighter: 300, default: 400, bolder: 600 },
    },
  },
  containerStyles: Object.fromEntries(
    (
      [
        ['default', '#FFFFFF'],
        ['emphasis', '#F5F5F5'],
        ['accent', '#E8EBFA'],
        ['good', '#F1FAF1'],
        ['attention', '#FDF3F4'],
        ['warning', '#FFF9F5'],
      ] as const
    ).map(([style, backgroundColor]) => [
      style,
      {
        backgroundColor,
        foregroundColors: {
          default: { default: '#242424', subtle: '#616161' },
          dark: { default: '#242424', subtle: '#424242' },
          light: { default: '#FFFFFF', subtle: '#F5F5F5' },
          accent: { default: '#5B5FC7', subtle: '#4F52B2' },
          good: { default: '#0E700E', subtle: '#107C10' },
          warning: { default: '#BC4B09', subtle: '#C4680E' },
          attention: { default: '#C4314B', subtle: '#B10E1C' },
        },
      },
    ]),
  ),
  actions: {
    maxActions: 6,
    spacing: 'default',
    buttonSpacing: 8,
    actionsOrientation: 'horizontal',
    actionAlignment: 'left',
    showCard: { actionMode: 'inline', inlineTopMargin: 16 },
  },
  adaptiveCard: { allowCustomStyle: true },
};

/** A Teams-like chat pane: the card alone, 500 pixels wide, on the conversation's grey. */
const PAGE = `<!doctype html><html><head><meta charset="utf-8"><style>
  body { margin: 0; padding: 16px; background: #F5F5F5; font-family: ${FONT}; }
  #host { width: 500px; }
  #host .ac-adaptiveCard { border: 1px solid #E0E0E0; border-radius: 4px; }
</style></head><body><div id="host"></div></body></html>`;

/** Renders in the page the way Teams does: its host config, and the bold Markdown of our own lines. */
function renderInPage({ card, hostConfig }: { card: Json; hostConfig: unknown }): string {
  const AC = (window as unknown as { AdaptiveCards: typeof AdaptiveCards }).AdaptiveCards;
  AC.AdaptiveCard.onProcessMarkdown = (text, result) => {
    const escaped = text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
    result.outputHtml = escaped.replace(/\*\*(.+?)\*\*/g, '<strong>$1</strong>');
    result.didProcess = true;
  };
  const adaptiveCard = new AC.AdaptiveCard();
  adaptiveCard.hostConfig = new AC.HostConfig(hostConfig);
  adaptiveCard.parse(card);
  const element = adaptiveCard.render();
  const host = document.getElementById('host');
  if (!element || !host) throw new Error('the renderer produced no element');
  host.replaceChildren(element);
  return element.innerText;
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

  describe('rendered in headless Chromium', function () {
    this.timeout(60_000);
    let browser: Browser;
    let page: Page;
    const pageErrors: Error[] = [];

    before(async () => {
      mkdirSync(SHOTS, { recursive: true });
      browser = await launchChromium();
      page = await browser.newPage({ viewport: { width: 600, height: 800 }, deviceScaleFactor: 1 });
      page.on('pageerror', (err) => pageErrors.push(err));
      await page.setContent(PAGE);
      await page.addStyleTag({ path: RENDERER_CSS });
      await page.addScriptTag({ path: RENDERER });
    });

    after(async () => {
      await browser?.close();
    });

    // The summary's chart is rendered on the server asynchronously, so its card is built inside the test.
    for (const locale of LOCALES) {
      it(`the pipeline summary card in ${locale === 'en' ? 'English' : 'French'} is valid, under 28 KB, and renders its chart`, async () => {
        const card = await summarySample(locale);
        assert.deepEqual(rendererProblems(card), []);
        assert.ok(cardBytes(card) < MAX_BYTES, `${cardBytes(card)} bytes`);
        const text = flat(await page.evaluate(renderInPage, { card, hostConfig: TEAMS_LIGHT }));
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
    }

    for (const sample of samples) {
      it(`${title(sample)} renders with its text and is saved as a screenshot`, async () => {
        const text = flat(await page.evaluate(renderInPage, { card: sample.card, hostConfig: TEAMS_LIGHT }));
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
