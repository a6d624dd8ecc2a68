import i18next from 'i18next';
import en from './en.json';
import fr from './fr.json';

/** Every string a person reads comes from these two resources; French is chosen for any fr-* locale. */

export const LOCALES = ['en', 'fr'] as const;
export type Locale = (typeof LOCALES)[number];

/** The English resource is the reference: a key missing there is a compile error, and a test keeps French in step. */
/**
 * Plural forms (`key_zero`, `key_one`, `key_other`) are one key to callers: i18next picks the form from
 * `count` by each language's rule (French 0 is singular), and takes `_zero`, when there is one, for 0.
 */
type Leaves<T, P extends string = ''> = {
  [K in keyof T & string]: T[K] extends string
    ? K extends `${infer Base}_${'zero' | 'one' | 'other'}`
      ? `${P}${Base}`
      : `${P}${K}`
    : Leaves<T[K], `${P}${K}.`>;
}[keyof T & string];
export type MessageKey = Leaves<typeof en>;

const i18n = i18next.createInstance();
void i18n.init({
  initAsync: false,
  showSupportNotice: false,
  resources: { en: { translation: en }, fr: { translation: fr } },
  fallbackLng: false,
  // Cards are JSON, not HTML: escaping happens where text is placed, never here.
  interpolation: { escapeValue: false },
  returnNull: false,
});

export type Params = Readonly<Record<string, string | number>>;

/** Private-use marks standing for text values while i18next fills a message in. */
const MARK = /\uE000(\d+)\uE001/g;

/** A string without parameters never changes, and i18next's lookup costs far more than a Map's. */
const plain: Readonly<Record<Locale, Map<string, string>>> = { en: new Map(), fr: new Map() };

/** One message, compiled: literal text, a parameter's value, or a nested message's plural by a parameter. */
type Part =
  | { readonly text: string }
  | { readonly param: string }
  | { readonly nested: string; readonly countParam: string };

/** The forms i18next resolves: `{{name}}`, and `$t(key, {"count": {{name}} })` nesting a plural. */
const PIECE = /\{\{\s*([\w.]+)\s*\}\}|\$t\(([\w.]+), \{"count": \{\{(\w+)\}\} \}\)/g;

function compileMessage(message: string): readonly Part[] | undefined {
  const parts: Part[] = [];
  let at = 0;
  for (const match of message.matchAll(PIECE)) {
    if (match.index > at) parts.push({ text: message.slice(at, match.index) });
    const [, param, nested, countParam] = match;
    parts.push(param !== undefined ? { param } : { nested: nested ?? '', countParam: countParam ?? '' });
    at = match.index + match[0].length;
  }
  if (at < message.length) parts.push({ text: message.slice(at) });
  // Anything else i18next would read (formats, options, unescaped values) is left to i18next itself.
  return parts.some((p) => 'text' in p && /\{\{|\$t\(/.test(p.text)) ? undefined : parts;
}

const resourceOf = (locale: Locale, key: string): unknown =>
  key
    .split('.')
    .reduce<unknown>(
      (node, step) => (node as Record<string, unknown> | undefined)?.[step],
      RESOURCES[locale],
    );

const pluralRules: Readonly<Record<Locale, Intl.PluralRules>> = {
  en: new Intl.PluralRules('en'),
  fr: new Intl.PluralRules('fr'),
};

const COUNT_FORMS = ['zero', 'one', 'two', 'few', 'many', 'other'] as const;

/** The count forms each message has, by language and key (none: not counted), looked up once. */
const formsByKey: Readonly<Record<Locale, Map<string, ReadonlySet<string> | null>>> = {
  en: new Map(),
  fr: new Map(),
};

function countFormsOf(locale: Locale, key: string): ReadonlySet<string> | null {
  let forms = formsByKey[locale].get(key);
  if (forms === undefined) {
    const has = (form: string) => typeof resourceOf(locale, `${key}_${form}`) === 'string';
    forms = has('other') ? new Set(COUNT_FORMS.filter(has)) : null;
    formsByKey[locale].set(key, forms);
  }
  return forms;
}

/** The key i18next reads for `count`: `_zero` for 0 when there is one, else the language's form, else `_other`. */
function pluralKey(locale: Locale, key: string, count: unknown): string {
  if (typeof count !== 'number') return key;
  const forms = countFormsOf(locale, key);
  if (!forms) return key;
  if (count === 0 && forms.has('zero')) return `${key}_zero`;
  const form = pluralRules[locale].select(count);
  return forms.has(form) ? `${key}_${form}` : `${key}_other`;
}

/** Compiled messages by language and resolved key; `null`: a message i18next must fill in itself. */
const compiled: Readonly<Record<Locale, Map<string, readonly Part[] | null>>> = {
  en: new Map(),
  fr: new Map(),
};

function compiledFor(locale: Locale, key: string): readonly Part[] | null {
  let parts = compiled[locale].get(key);
  if (parts === undefined) {
    const message = resourceOf(locale, key);
    parts = (typeof message === 'string' && compileMessage(message)) || null;
    compiled[locale].set(key, parts);
  }
  return parts;
}

/**
 * A message filled in by its compiled parts, as i18next would fill it (the tests compare both on every
 * message); undefined when a part is missing or the message needs i18next itself.
 */
function filled(locale: Locale, key: string, params: Params): string | undefined {
  const parts = compiledFor(locale, pluralKey(locale, key, params.count));
  if (!parts) return undefined;
  let out = '';
  for (const part of parts) {
    if ('text' in part) out += part.text;
    else if ('param' in part) {
      const value = params[part.param];
      if (value === undefined) return undefined;
      out += String(value);
    } else {
      const nested = filled(locale, part.nested, { count: params[part.countParam] ?? '' });
      if (nested === undefined) return undefined;
      out += nested;
    }
  }
  return out;
}

export function t(locale: Locale, key: MessageKey, params: Params = {}): string {
  if (Object.keys(params).length === 0) {
    let text = plain[locale].get(key);
    if (text === undefined) {
      // Typed keys are checked above; i18next's own key typing is not wired to these resources.
      text = i18n.t(key as string, { lng: locale }) as string;
      plain[locale].set(key, text);
    }
    return text;
  }
  return filled(locale, key, params) ?? withI18next(locale, key, params);
}

/** i18next filling a message in: for what the compiled messages leave to it, and for the tests to compare. */
export function withI18next(locale: Locale, key: MessageKey, params: Params = {}): string {
  // i18next puts each value in by searching the message built so far, so a value holding "{{other}}"
  // (a person's words) would take another placeholder's value. Text goes in once i18next is done.
  const texts: string[] = [];
  const marked = Object.fromEntries(
    Object.entries(params).map(([k, v]) => [
      k,
      typeof v === 'string' ? `\uE000${texts.push(v) - 1}\uE001` : v,
    ]),
  );
  const message = i18n.t(key as string, { ...marked, lng: locale }) as string;
  return message.replace(MARK, (_, i: string) => texts[Number(i)] ?? '');
}

/** Teams sends BCP-47 tags such as `fr-CA`; anything French is French, anything else falls back. */
export function localeOf(tag: string | undefined, fallback: Locale): Locale {
  if (!tag) return fallback;
  const lang = tag.toLowerCase().split(/[-_]/)[0];
  return lang === 'fr' ? 'fr' : lang === 'en' ? 'en' : fallback;
}

/**
 * Who a text is for: one person, in their language, or a channel or group chat, where federal
 * communications give both official languages with equal prominence.
 */
export type Voice = Locale | 'bilingual';

export function localesOf(voice: Voice): readonly Locale[] {
  return voice === 'bilingual' ? LOCALES : [voice];
}

/** A text in each of the voice's languages, English first: each a whole sentence in its own language. */
export function inEach(voice: Voice, text: (locale: Locale) => string, separator = ' / '): string {
  // Words both languages share ("Licence", "Attestations") are said once.
  return [...new Set(localesOf(voice).map(text))].join(separator);
}

/** A message in the voice's language, or in both. */
export function say(voice: Voice, key: MessageKey, params: Params = {}, separator = ' / '): string {
  return inEach(voice, (locale) => t(locale, key, params), separator);
}

export function otherLocale(locale: Locale): Locale {
  return locale === 'en' ? 'fr' : 'en';
}

export const RESOURCES: Readonly<Record<Locale, unknown>> = { en, fr };
