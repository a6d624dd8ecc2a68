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
