import { t } from '../i18n';
import type { MailKind } from '../services/mail';

/**
 * The e-mails' words, in the language files, in GC Notify's template syntax: `((name))` placeholders,
 * `#` headings, `*` lists, `^` inset text. With a key, GC Notify holds copies of these templates (`npm
 * run notify-templates` prints them to paste in); without one, the local mailbox fills them in here.
 */

export interface MailText {
  readonly subject: string;
  readonly body: string;
}

export function templateOf(kind: MailKind, locale: 'en' | 'fr'): MailText {
  return { subject: t(locale, `mail.${kind}.subject`), body: t(locale, `mail.${kind}.body`) };
}

/** The placeholders a template names, each once, in order. */
export function placeholdersOf(text: MailText): string[] {
  return [
    ...new Set([...`${text.subject}\n${text.body}`.matchAll(/\(\(([\w-]+)\)\)/g)].map((m) => m[1] ?? '')),
  ];
}

/**
 * Fills the placeholders as Notify does: each value in place of its `((name))`; a value is inserted as
 * text, so a value holding `((other))` is not filled again.
 */
export function fillTemplate(text: MailText, personalisation: Readonly<Record<string, string>>): MailText {
  const fill = (s: string) =>
    s.replace(/\(\(([\w-]+)\)\)/g, (whole, name: string) => personalisation[name] ?? whole);
  return { subject: fill(text.subject).replace(/\s+/g, ' ').trim(), body: fill(text.body) };
}
