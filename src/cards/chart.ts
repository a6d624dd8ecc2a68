import { existsSync } from 'node:fs';
import { deflateSync } from 'node:zlib';
import type { TopLevelSpec } from 'vega-lite';
import { type PipelineSummary, type Stage, STAGES } from '../services/pipeline';

/**
 * The pipeline as a picture for a card: one row per tracker stage, its name and figures above a bar of the
 * open requests. Rendered on the server (vega-lite → vega → SVG → PNG) because a card can only show an image.
 */

export interface ChartLabels {
  readonly title: string;
  readonly stageNames: Readonly<Record<Stage, string>>;
  /** Heads the column of figures. */
  readonly countLabel: string;
  /** Formats a stage's open value (e.g. formatMoney in the reader's locale); without it, counts only. */
  readonly formatValue?: (cents: number) => string;
}

export interface ChartFonts {
  /** TrueType or OpenType files to draw text with. */
  readonly files: readonly string[];
  /** Also read every font installed on the system: slower, so only when no known file is there. */
  readonly system: boolean;
}

export const CHART_SIZE = { width: 440, height: 220 } as const;

// Debian's metric-compatible Arial first (narrow enough for French stage names), then DejaVu.
const KNOWN_FONT_FILES = [
  '/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf',
  '/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf',
  '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf',
  '/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf',
];

/** The fonts found on this machine; without any, bars still render and text is left out. */
export function defaultChartFonts(): ChartFonts {
  const files = KNOWN_FONT_FILES.filter((f) => existsSync(f));
  return { files, system: files.length === 0 };
}

const PADDING = 12;
const TITLE_HEIGHT = 28;
const PLOT_WIDTH = CHART_SIZE.width - 2 * PADDING;
const PLOT_HEIGHT = CHART_SIZE.height - 2 * PADDING - TITLE_HEIGHT;
// Few flat colours keep the PNG small: the image travels inside a card limited to 28 KB.
const INK = '#1b1b1b';
const MUTED = '#595959';
const TRACK = '#e3e8ef';
const BAR = '#1f5fa8';

interface Row {
  readonly stage: Stage;
  readonly name: string;
  readonly count: number;
  readonly figure: string;
}

function chartSpec(summary: PipelineSummary, labels: ChartLabels): TopLevelSpec {
  const rows: Row[] = STAGES.map((stage) => {
    const { count, valueCents } = summary.open.byStage[stage];
    const value = labels.formatValue && count > 0 ? ` · ${labels.formatValue(valueCents)}` : '';
    return { stage, name: labels.stageNames[stage], count, figure: `${count}${value}` };
  });
  const most = Math.max(1, ...rows.map((r) => r.count));
  // Row text sits in the upper half of each band, the bar in the lower half.
  const text = { type: 'text', baseline: 'middle', yOffset: -7, fontSize: 13, color: INK } as const;
  const bar = { type: 'bar', height: 10, yOffset: 7 } as const;
  return {
    width: PLOT_WIDTH,
    height: PLOT_HEIGHT,
    // Fixed size, no layout from estimated text widths: vega has no font metrics on the server.
    autosize: { type: 'none' },
    padding: { top: PADDING + TITLE_HEIGHT, left: PADDING, right: PADDING, bottom: PADDING },
    background: '#ffffff',
    config: { font: 'Liberation Sans, DejaVu Sans, Arial, Helvetica, sans-serif', view: { stroke: null } },
    data: { values: rows },
    encoding: {
      y: { field: 'stage', type: 'ordinal', axis: null, scale: { paddingInner: 0, paddingOuter: 0 } },
    },
    layer: [
      { mark: { ...bar, color: TRACK }, encoding: { x: { value: 0 }, x2: { value: PLOT_WIDTH } } },
      {
        mark: { ...bar, color: BAR },
        encoding: {
          x: {
            field: 'count',
            type: 'quantitative',
            axis: null,
            scale: { domain: [0, most], nice: false, zero: true },
          },
        },
      },
      { mark: { ...text, align: 'left' }, encoding: { x: { value: 0 }, text: { field: 'name' } } },
      {
        mark: { ...text, align: 'right', fontWeight: 'bold' },
        encoding: { x: { value: PLOT_WIDTH }, text: { field: 'figure' } },
      },
      {
        data: { values: [{ title: labels.title, countLabel: labels.countLabel }] },
        layer: [
          {
            mark: { type: 'text', align: 'left', fontSize: 16, fontWeight: 'bold', color: INK },
            encoding: { x: { value: 0 }, y: { value: -TITLE_HEIGHT / 2 - 2 }, text: { field: 'title' } },
          },
          {
            mark: { type: 'text', align: 'right', fontSize: 12, color: MUTED },
            encoding: {
              x: { value: PLOT_WIDTH },
              y: { value: -TITLE_HEIGHT / 2 - 2 },
              text: { field: 'countLabel' },
            },
          },
        ],
      },
    ],
  };
}

/** The chart as SVG, for inspection; the card takes the PNG. */
export async function pipelineChartSvg(summary: PipelineSummary, labels: ChartLabels): Promise<string> {
  // Loaded by the first chart, not at start-up: only `summary` draws one.
  // (`module.require`, as the compiled bot would anyway: the tests' require hook does not serve `import()`.)
  const { parse, View } = module.require('vega') as typeof import('vega');
  const { compile } = module.require('vega-lite') as typeof import('vega-lite');
  const view = new View(parse(compile(chartSpec(summary, labels)).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** A `data:image/png;base64,…` URL of the pipeline chart, 440 × 220 px. */
export async function pipelineChartPng(
  summary: PipelineSummary,
  labels: ChartLabels,
  fonts: ChartFonts = defaultChartFonts(),
): Promise<string> {
  const svg = await pipelineChartSvg(summary, labels);
  const { Resvg } = module.require('@resvg/resvg-js') as typeof import('@resvg/resvg-js');
  const rendered = new Resvg(svg, {
    background: '#ffffff',
    font: { loadSystemFonts: fonts.system, fontFiles: [...fonts.files] },
  }).render();
  const png = indexedPng(rendered.pixels, rendered.width, rendered.height) ?? Buffer.from(rendered.asPng());
  return `data:image/png;base64,${png.toString('base64')}`;
}

/**
 * Re-encodes opaque RGBA pixels as an 8-bit palette PNG: the flat colours and the anti-aliased text edges
 * come to well under 256 colours, and one byte a pixel deflates to less than half of resvg's RGBA output.
 * Undefined when the image has more than 256 colours or any transparency.
 */
function indexedPng(rgba: Buffer, width: number, height: number): Buffer | undefined {
  const index = new Map<number, number>();
  const palette: number[] = [];
  const stride = width + 1;
  const raw = Buffer.alloc(stride * height); // each row: filter byte 0 (none), then one index a pixel
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const pixel = rgba.readUInt32BE((y * width + x) * 4);
      if ((pixel & 0xff) !== 0xff) return undefined; // a palette without transparency cannot hold it
      const rgb = pixel >>> 8;
      let i = index.get(rgb);
      if (i === undefined) {
        if (palette.length === 256) return undefined;
        i = palette.length;
        index.set(rgb, i);
        palette.push(rgb);
      }
      raw[y * stride + 1 + x] = i;
    }
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 3, 0, 0, 0], 8); // bit depth 8, palette colour, deflate, adaptive filtering, no interlace
  const plte = Buffer.alloc(palette.length * 3);
  palette.forEach((rgb, i) => plte.writeUIntBE(rgb, i * 3, 3));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('PLTE', plte),
    chunk('IDAT', deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

// zlib.crc32 arrived in Node 20.15; the engines field allows 20.11.
const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes: Buffer): number {
  let c = 0xffffffff;
  for (const b of bytes) c = (CRC_TABLE[(c ^ b) & 0xff] as number) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
