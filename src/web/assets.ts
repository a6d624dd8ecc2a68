import { readdirSync, readFileSync } from 'node:fs';
import { dirname, extname, join } from 'node:path';

/**
 * The files the public pages load, all served from here: the GC Design System's components and styles
 * and its fonts, from their npm packages, and the site's own few rules. Nothing comes from a CDN: the
 * design system's stylesheet names Google Fonts and its own CDN, and those addresses are rewritten to
 * these files. A path not listed here is not served.
 */

export interface Asset {
  readonly type: string;
  readonly body: Buffer;
}

const TYPES: Record<string, string> = {
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
};

const packageDir = (name: string) => dirname(require.resolve(`${name}/package.json`));

/** The design system's fonts, as @font-face rules pointing at the files served below. */
const FONT_FAMILIES = ['lato', 'noto-sans', 'noto-sans-mono', 'icons'] as const;

/** The content's own rules: plain HTML in the design system's type, colours and spacing (its tokens). */
const SITE_CSS = `
body { margin: 0; font: var(--gcds-text-size-body-desktop); color: var(--gcds-text-primary); }
main { display: block; padding-bottom: 2rem; }
main:focus { outline: none; }
main h1, main h2, main h3 { color: var(--gcds-heading-default-text); }
main h1 { font: var(--gcds-heading-h1-desktop); margin: 2.5rem 0 1.5rem; max-width: var(--gcds-heading-character-limit-h1); }
main h1::after { content: ''; display: block; width: var(--gcds-heading-h1-border-width); height: var(--gcds-heading-h1-border-height); margin-top: var(--gcds-heading-h1-border-margin); background: var(--gcds-heading-h1-border-background); }
main h2 { font: var(--gcds-heading-h3-desktop); margin: 2.5rem 0 1rem; }
main h3 { font: var(--gcds-heading-h6-desktop); margin: 0 0 0.25rem; }
main p, main li, main dd { max-width: var(--gcds-text-character-limit); }
main a { color: var(--gcds-link-default); text-underline-offset: 0.2em; }
main a:visited { color: var(--gcds-link-visited); }
main a:hover { color: var(--gcds-link-hover); }
main a:focus { outline: var(--gcds-link-focus-outline-width) solid var(--gcds-link-focus-background); outline-offset: var(--gcds-link-focus-outline-offset); border-radius: var(--gcds-link-focus-border-radius); background: var(--gcds-link-focus-background); box-shadow: var(--gcds-link-focus-box-shadow); color: var(--gcds-link-focus-text); text-decoration: none; }
.site-lead { font-size: 1.375rem; }
.site-meta { margin: 0; color: var(--gcds-text-secondary); }
.site-list { padding-left: 0; list-style: none; }
.site-list li { margin-bottom: 1.5rem; }
.site-facts { display: grid; grid-template-columns: max-content 1fr; gap: 0.5rem 1.5rem; margin: 1.5rem 0; }
.site-facts dt { font-weight: 700; }
.site-facts dd { margin: 0; }
.site-update, .site-updates strong { color: var(--gcds-text-secondary); }
.site-notice { border-left: 0.375rem solid var(--gcds-heading-h1-border-background); padding: 0.5rem 1rem; background: #f1f2f3; }
.site-fallback { margin: 0.5rem 1rem; }
.site-answer { border-left: 0.25rem solid var(--gcds-border-default, #7d828b); padding: 0 0 0 1rem; margin: 0 0 1.5rem; }
.site-answer h3 { margin-top: 0; }
.site-question p { font-weight: 700; }
.site-answer-label { color: var(--gcds-text-secondary); margin-bottom: 0.25rem; }
.site-form { max-width: 40rem; }
.site-field { margin: 0 0 1.5rem; }
.site-field label, .site-field legend { display: block; font-weight: 700; margin-bottom: 0.25rem; }
.site-field fieldset { border: 0; padding: 0; margin: 0; }
.site-field .site-choice { display: flex; align-items: flex-start; gap: 0.5rem; margin: 0.25rem 0; }
.site-choice input { width: 1.25rem; height: 1.25rem; margin: 0.2rem 0 0; flex: none; }
.site-choice label { font-weight: 400; margin: 0; }
.site-required { font-weight: 400; color: var(--gcds-text-secondary); }
.site-hint { display: block; color: var(--gcds-text-secondary); margin-bottom: 0.5rem; }
.site-error { display: block; color: var(--gcds-error-text, #a62a1e); font-weight: 700; margin-bottom: 0.5rem; }
.site-field input[type=email], .site-field input[type=text], .site-field input[type=url], .site-field textarea { box-sizing: border-box; width: 100%; font: inherit; padding: 0.5rem; border: 2px solid var(--gcds-text-primary); border-radius: 0.25rem; }
.site-field [aria-invalid=true] { border-color: var(--gcds-error-text, #a62a1e); }
.site-field input:focus, .site-field textarea:focus, .site-button:focus { outline: 3px solid var(--gcds-link-focus-background, #0535d2); outline-offset: 2px; }
.site-field textarea { min-height: 10rem; }
.site-button { font: inherit; font-weight: 700; color: #fff; background: var(--gcds-button-primary-default-background, #26374a); border: 0; border-radius: 0.375rem; padding: 0.75rem 1.5rem; cursor: pointer; }
.site-button:hover { background: var(--gcds-button-primary-hover-background, #1c578a); }
.site-summary { border: 0.25rem solid var(--gcds-error-text, #a62a1e); padding: 1rem 1.5rem; margin: 0 0 2rem; }
.site-summary h2 { margin-top: 0; }
.site-group { border: 0; padding: 0; margin: 0 0 1.5rem; }
.site-group > legend { font: var(--gcds-heading-h5-desktop, 700 1.25rem/1.3 sans-serif); margin-bottom: 0.75rem; }
.site-apply { margin: 1.5rem 0; }
.site-apply .site-button { display: inline-block; text-decoration: none; color: #fff; }
.site-hash { font-family: var(--gcds-font-families-monospace, monospace); overflow-wrap: anywhere; }
.site-trap { position: absolute; left: -10000px; width: 1px; height: 1px; overflow: hidden; }
.site-mail { border: 1px solid var(--gcds-text-secondary); padding: 1rem 1.5rem; margin: 0 0 1.5rem; }
.site-mail h2 { margin-top: 0; }
.site-mail-body { overflow-wrap: anywhere; }
.site-mail-body blockquote { border-left: 0.25rem solid var(--gcds-border-default, #7d828b); margin: 0 0 1rem; padding: 0 0 0 1rem; }
/* Before (or without) JavaScript the container is a plain block: keep its width and margins. */
gcds-container:not(:defined) { display: block; max-width: 71.25rem; margin: 0 auto; padding: 0 1rem; }
@media (max-width: 48em) {
  body { font: var(--gcds-text-size-body-mobile); }
  main h1 { font: var(--gcds-heading-h1-mobile); }
  main h2 { font: var(--gcds-heading-h3-mobile); }
  main h3 { font: var(--gcds-heading-h6-mobile); }
  .site-facts { grid-template-columns: 1fr; }
}
`;

let loaded: ReadonlyMap<string, Asset> | undefined;

/** The files, read from their packages once per process: they never change while it runs. */
export function loadAssets(): ReadonlyMap<string, Asset> {
  loaded ??= readAssets();
  return loaded;
}

function readAssets(): ReadonlyMap<string, Asset> {
  const assets = new Map<string, Asset>();
  const add = (path: string, body: Buffer | string) => {
    const type = TYPES[extname(path)];
    if (type) assets.set(path, { type, body: typeof body === 'string' ? Buffer.from(body) : body });
  };

  const gcds = join(packageDir('@gcds-core/components'), 'dist', 'gcds');
  for (const file of readdirSync(gcds)) {
    if (file === 'gcds.css') continue;
    add(`/assets/gcds/${file}`, readFileSync(join(gcds, file)));
  }
  const css = readFileSync(join(gcds, 'gcds.css'), 'utf8')
    .replace(/@import url\("https:\/\/fonts\.googleapis\.com[^"]*"\);?/g, '')
    .replace(
      /https:\/\/cdn\.design-system\.canada\.ca\/@gcds-core\/fonts@[\d.]+\/icons\//g,
      '/assets/fonts/icons/',
    );
  add('/assets/gcds/gcds.css', css);

  const fonts = join(packageDir('@gcds-core/fonts'), 'fonts');
  const faces: string[] = [];
  for (const family of FONT_FAMILIES) {
    for (const file of readdirSync(join(fonts, family))) {
      // The icons' @font-face is the design system's own, in gcds.css.
      if (file.endsWith('.css') && family !== 'icons') {
        faces.push(
          readFileSync(join(fonts, family, file), 'utf8').replace(
            /path\/to\/file\//g,
            `/assets/fonts/${family}/`,
          ),
        );
      } else if (!file.endsWith('.css'))
        add(`/assets/fonts/${family}/${file}`, readFileSync(join(fonts, family, file)));
    }
  }
  add('/assets/fonts.css', faces.join('\n'));
  add('/assets/site.css', SITE_CSS);

  // Whatever the stylesheets name must be here: a missing file would be a request to nowhere.
  for (const [path, asset] of assets) {
    if (!path.endsWith('.css')) continue;
    for (const [, url] of asset.body.toString('utf8').matchAll(/url\(\s*["']?([^"')]+)["']?\s*\)/g)) {
      if (url && !url.startsWith('data:') && !assets.has(url)) {
        throw new Error(`${path} names ${url}, which is not served`);
      }
    }
  }
  return assets;
}
