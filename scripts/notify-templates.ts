import { placeholdersOf, templateOf } from '../src/mail/templates';
import { MAIL_KINDS } from '../src/services/mail';

/**
 * Prints the e-mail templates to create in GC Notify (one per message and language, e-mail type), and
 * the NOTIFY_TEMPLATES value to fill with their ids. The text is the bot's own, from its language files.
 */

const skeleton: Record<string, Record<string, string>> = {};
for (const kind of MAIL_KINDS) {
  skeleton[kind] = {};
  for (const locale of ['en', 'fr'] as const) {
    const text = templateOf(kind, locale);
    console.log(`=== ${kind} (${locale}) — placeholders: ${placeholdersOf(text).join(', ')}`);
    console.log(`Subject: ${text.subject}\n`);
    console.log(`${text.body}\n`);
    (skeleton[kind] as Record<string, string>)[locale] = `<${kind} ${locale} template id>`;
  }
}
console.log('=== NOTIFY_TEMPLATES (one line in .env):');
console.log(JSON.stringify(skeleton));
