import { strict as assert } from 'node:assert';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PNG } from 'pngjs';
import { CHART_SIZE, type ChartLabels, defaultChartFonts, pipelineChartPng } from '../../src/cards/chart';
import { formatMoney } from '../../src/i18n/format';
import type { Opportunity, Status } from '../../src/services/opportunity';
import { pipelineSummary } from '../../src/services/pipeline';
import { CALENDAR, submitted } from '../support/opportunities';

const TODAY_FOR_TESTS = '2026-11-23';

const SHOTS = path.resolve(__dirname, '../../test-output/cards');
/** The card carrying the chart must stay under 28 KB; the image gets at most this much of it. */
const BUDGET_BASE64_CHARS = 12_000;
const BAR = 0x1f5fa8;
const TRACK = 0xe3e8ef;
const ROW_TOP = 12 + 28; // padding + title
const ROW_HEIGHT = (220 - 2 * 12 - 28) / 5;

const LABELS: Record<'en' | 'fr', ChartLabels> = {
  en: {
    title: 'Open requests by stage',
    stageNames: {
      1: 'Pre-contractual',
      2: 'Contractual',
      3: 'Solicitation',
      4: 'Contract administration',
      5: 'Post-contractual',
    },
    countLabel: 'Requests · value',
    formatValue: (cents) => formatMoney(cents, 'en'),
  },
  fr: {
    title: 'Demandes en cours par étape',
    stageNames: {
      1: 'Précontractuel',
      2: 'Contractuel',
      3: 'Sollicitation',
      4: 'Administration du contrat',
      5: 'Post-contractuel',
    },
    countLabel: 'Demandes · valeur',
    formatValue: (cents) => formatMoney(cents, 'fr'),
  },
};

function open(reference: string, status: Status, fixedPriceCents: number): Opportunity {
  const o = submitted(reference);
  return { ...o, status, pricing: { ...o.pricing, fixedPriceCents } };
}

// Stage 1: 4 requests, stage 2: 1, stage 3: 2, stage 4: 3, stage 5: none.
const SUMMARY = pipelineSummary(
  [
    open('MA-2026-0001', 'submitted', 400_000),
    open('MA-2026-0002', 'submitted', 250_000),
    open('MA-2026-0003', 'in_approval', 650_000),
    open('MA-2026-0004', 'changes_requested', 300_000),
    open('MA-2026-0005', 'supplier_selected', 800_000),
    open('MA-2026-0006', 'posted', 500_000),
    open('MA-2026-0007', 'closed', 450_000),
    open('MA-2026-0008', 'in_progress', 700_000),
    open('MA-2026-0009', 'in_progress', 869_000),
    open('MA-2026-0010', 'delivered', 120_000),
    open('MA-2026-0011', 'paid', 900_000),
  ],
  TODAY_FOR_TESTS,
  { reminderBusinessDays: 3, now: `${TODAY_FOR_TESTS}T15:00:00Z`, calendar: CALENDAR },
);

function decode(dataUrl: string): { png: PNG; base64: string } {
  const prefix = 'data:image/png;base64,';
  assert.ok(dataUrl.startsWith(prefix), dataUrl.slice(0, 40));
  const base64 = dataUrl.slice(prefix.length);
  return { png: PNG.sync.read(Buffer.from(base64, 'base64')), base64 };
}

const rgbAt = (png: PNG, x: number, y: number) => {
  const i = (y * png.width + x) * 4;
  return ((png.data[i] as number) << 16) | ((png.data[i + 1] as number) << 8) | (png.data[i + 2] as number);
};

function colours(png: PNG): Set<number> {
  const found = new Set<number>();
  for (let y = 0; y < png.height; y++) for (let x = 0; x < png.width; x++) found.add(rgbAt(png, x, y));
  return found;
}

/** Widest run of bar colour in each stage's row. */
function barWidths(png: PNG): number[] {
  return [0, 1, 2, 3, 4].map((row) => {
    let widest = 0;
    for (let y = Math.floor(ROW_TOP + row * ROW_HEIGHT); y < ROW_TOP + (row + 1) * ROW_HEIGHT; y++) {
      let run = 0;
      for (let x = 0; x < png.width; x++) run += rgbAt(png, x, y) === BAR ? 1 : 0;
      widest = Math.max(widest, run);
    }
    return widest;
  });
}

/** Pixels dark enough to be text: every channel low (the blue bars have a low red channel only). */
function inkPixels(png: PNG): number {
  let n = 0;
  for (let i = 0; i < png.data.length; i += 4) {
    if (Math.max(png.data[i] as number, png.data[i + 1] as number, png.data[i + 2] as number) < 0x60) n++;
  }
  return n;
}

describe('pipeline chart', () => {
  for (const locale of ['en', 'fr'] as const) {
    it(`draws open requests per stage as a small PNG (${locale})`, async () => {
      const url = await pipelineChartPng(SUMMARY, LABELS[locale]);
      mkdirSync(SHOTS, { recursive: true });
      const file = locale === 'en' ? 'pipeline-chart.png' : `pipeline-chart.${locale}.png`;
      writeFileSync(path.join(SHOTS, file), Buffer.from(url.split(',')[1] as string, 'base64'));

      const { png, base64 } = decode(url);
      assert.equal(png.width, CHART_SIZE.width);
      assert.equal(png.height, CHART_SIZE.height);
      assert.ok(base64.length <= BUDGET_BASE64_CHARS, `${base64.length} base64 characters`);
      const found = colours(png);
      assert.ok(found.has(BAR) && found.has(TRACK) && found.has(0xffffff), 'bars, tracks and background');
      assert.ok(found.size >= 8, `${found.size} colours: text edges are drawn too`);
      assert.ok(inkPixels(png) > 500, 'text is drawn');
    });
  }

  it('draws each bar in proportion to the stage with the most requests', async () => {
    const { png } = decode(await pipelineChartPng(SUMMARY, LABELS.en));
    // 4, 1, 2, 3, 0 requests over the 416 px plot: 416, 104, 208, 312, 0
    const widths = barWidths(png);
    const expected = [416, 104, 208, 312, 0];
    widths.forEach((w, i) =>
      assert.ok(Math.abs(w - (expected[i] as number)) <= 1, `${widths} vs ${expected}`),
    );
  });

  it('gives the same image for the same summary', async () => {
    const first = await pipelineChartPng(SUMMARY, LABELS.fr);
    const second = await pipelineChartPng(SUMMARY, LABELS.fr);
    assert.equal(first, second);
    assert.notEqual(first, await pipelineChartPng(SUMMARY, LABELS.en));
  });

  it('shows counts only when no value format is given', async () => {
    const { formatValue: _, ...countsOnly } = LABELS.en;
    const withValues = decode(await pipelineChartPng(SUMMARY, LABELS.en)).png;
    const counts = decode(await pipelineChartPng(SUMMARY, countsOnly)).png;
    assert.ok(inkPixels(counts) < inkPixels(withValues));
  });

  it('draws an empty pipeline as empty tracks', async () => {
    const empty = pipelineSummary([], TODAY_FOR_TESTS, {
      reminderBusinessDays: 3,
      now: `${TODAY_FOR_TESTS}T15:00:00Z`,
      calendar: CALENDAR,
    });
    const { png } = decode(await pipelineChartPng(empty, LABELS.fr));
    assert.deepEqual(barWidths(png), [0, 0, 0, 0, 0]);
    assert.ok(colours(png).has(TRACK));
  });

  it('still draws the bars when no font can be found', async () => {
    const { png, base64 } = decode(
      await pipelineChartPng(SUMMARY, LABELS.en, { files: ['/nonexistent/font.ttf'], system: false }),
    );
    assert.equal(png.width, CHART_SIZE.width);
    assert.ok(base64.length <= BUDGET_BASE64_CHARS);
    assert.equal(barWidths(png)[0], 416);
    assert.equal(inkPixels(png), 0, 'no text without a font');
  });

  it('finds a font among the system fonts when none of the known files is there', async function () {
    this.timeout(20_000); // scanning every system font takes about a second
    const { png } = decode(await pipelineChartPng(SUMMARY, LABELS.en, { files: [], system: true }));
    assert.ok(inkPixels(png) > 500, 'text is drawn');
  });

  it('uses the fonts this machine has without scanning them all', () => {
    const fonts = defaultChartFonts();
    assert.ok(fonts.files.length > 0, 'Liberation Sans or DejaVu Sans is installed (fonts-liberation)');
    assert.equal(fonts.system, false);
  });
});
