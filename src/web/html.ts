/**
 * HTML built from tagged templates: every interpolated value is escaped unless it is itself HTML built
 * here, so text a person typed can never become markup on a public page.
 */

const SAFE = Symbol('html');

export interface Html {
  readonly [SAFE]: string;
}

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
}

function isHtml(value: unknown): value is Html {
  return typeof value === 'object' && value !== null && SAFE in value;
}

function piece(value: unknown): string {
  if (value === undefined || value === null || value === false) return '';
  if (Array.isArray(value)) return value.map(piece).join('');
  if (isHtml(value)) return value[SAFE];
  return escapeHtml(String(value));
}

/** Markup with its values escaped; arrays are joined, and undefined, null and false leave nothing. */
export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  let out = strings[0] ?? '';
  values.forEach((value, i) => {
    out += piece(value) + (strings[i + 1] ?? '');
  });
  return { [SAFE]: out };
}

/** The document's text. */
export function render(markup: Html): string {
  return markup[SAFE];
}
