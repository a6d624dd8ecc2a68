/**
 * Draws the Microacq Teams icons: a code bracket pair "< >" around a check mark
 * ("approved code"). Shapes are described by signed distance functions and each
 * pixel's coverage is derived from the distance to the shape edge, which gives
 * smooth antialiased edges without any image library beyond pngjs.
 *
 * Usage: node --import tsx scripts/draw-icons.ts  (writes appPackage/color.png and appPackage/outline.png)
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { PNG } from 'pngjs';

type Point = readonly [number, number];
type Rgb = readonly [number, number, number];

/** Distance from p to the segment a-b. */
function segmentDistance(p: Point, a: Point, b: Point): number {
  const [dx, dy] = [b[0] - a[0], b[1] - a[1]];
  const t = Math.max(0, Math.min(1, ((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / (dx * dx + dy * dy)));
  return Math.hypot(p[0] - a[0] - t * dx, p[1] - a[1] - t * dy);
}

/** Signed distance to a polyline stroked with round caps and joins (negative inside). */
function strokeDistance(p: Point, points: readonly Point[], width: number): number {
  let best = Infinity;
  for (let i = 1; i < points.length; i++) {
    best = Math.min(best, segmentDistance(p, points[i - 1] as Point, points[i] as Point));
  }
  return best - width / 2;
}

/** Signed distance to an axis-aligned rounded rectangle (negative inside). */
function roundedRectDistance(p: Point, x: number, y: number, w: number, h: number, r: number): number {
  const qx = Math.abs(p[0] - (x + w / 2)) - (w / 2 - r);
  const qy = Math.abs(p[1] - (y + h / 2)) - (h / 2 - r);
  return Math.hypot(Math.max(qx, 0), Math.max(qy, 0)) + Math.min(Math.max(qx, qy), 0) - r;
}

/** Fraction of a pixel covered by a shape, from the signed distance at the pixel centre. */
function coverage(distance: number): number {
  return Math.max(0, Math.min(1, 0.5 - distance));
}

/**
 * The glyph in a unit box: left bracket, check mark, right bracket.
 * The polylines are scaled into the box (left, top, size) of the target icon.
 */
const GLYPH: readonly (readonly Point[])[] = [
  [
    [0.27, 0.24],
    [0.05, 0.5],
    [0.27, 0.76],
  ],
  [
    [0.355, 0.535],
    [0.455, 0.645],
    [0.655, 0.355],
  ],
  [
    [0.73, 0.24],
    [0.95, 0.5],
    [0.73, 0.76],
  ],
];

function glyphDistance(p: Point, left: number, top: number, size: number, stroke: number): number {
  let best = Infinity;
  for (const line of GLYPH) {
    const scaled = line.map(([x, y]): Point => [left + x * size, top + y * size]);
    best = Math.min(best, strokeDistance(p, scaled, stroke));
  }
  return best;
}

function lerp(a: Rgb, b: Rgb, t: number): Rgb {
  return [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t];
}

type Shader = (p: Point) => { rgb: Rgb; alpha: number };

function render(size: number, shade: Shader): Buffer {
  const png = new PNG({ width: size, height: size });
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const { rgb, alpha } = shade([x + 0.5, y + 0.5]);
      const i = (y * size + x) * 4;
      png.data[i] = Math.round(rgb[0]);
      png.data[i + 1] = Math.round(rgb[1]);
      png.data[i + 2] = Math.round(rgb[2]);
      png.data[i + 3] = Math.round(alpha * 255);
    }
  }
  return PNG.sync.write(png);
}

const DEEP_BLUE: Rgb = [10, 46, 112];
const TEAL: Rgb = [8, 128, 138];
const WHITE: Rgb = [255, 255, 255];

/** 192×192 full-colour icon: white glyph on a rounded square with a blue-to-teal diagonal gradient. */
export function drawColorIcon(): Buffer {
  const size = 192;
  return render(size, (p) => {
    const background = lerp(DEEP_BLUE, TEAL, (p[0] + p[1]) / (2 * size));
    const tile = coverage(roundedRectDistance(p, 0, 0, size, size, 40));
    const ink = coverage(glyphDistance(p, 32, 32, 128, 15));
    // The glyph sits inside the tile, so compositing it over the background colour is enough.
    return { rgb: lerp(background, WHITE, ink), alpha: tile };
  });
}

/** 32×32 outline icon: white glyph with alpha on a fully transparent background, as Teams requires. */
export function drawOutlineIcon(): Buffer {
  return render(32, (p) => ({ rgb: WHITE, alpha: coverage(glyphDistance(p, 1, 1, 30, 3)) }));
}

if (require.main === module) {
  const dir = path.resolve(__dirname, '..', 'appPackage');
  for (const [name, data] of [
    ['color.png', drawColorIcon()],
    ['outline.png', drawOutlineIcon()],
  ] as const) {
    writeFileSync(path.join(dir, name), data);
    console.log(`wrote ${path.join(dir, name)}`);
  }
}
