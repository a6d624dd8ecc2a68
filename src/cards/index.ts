import * as ACData from 'adaptivecards-templating';
import { type Locale, otherLocale, t } from '../i18n';
import help from './help.json';
import notice from './notice.json';
import welcome from './welcome.json';

/**
 * Cards are JSON templates in this folder, filled by typed builders. Data is bound, never spliced into
 * the template, so text a person typed is shown as text and can never become card structure.
 */

export type Card = Readonly<Record<string, unknown>>;

export const TEMPLATES = { help, notice, welcome } as const;
export type TemplateName = keyof typeof TEMPLATES;

function expand(name: TemplateName, data: object): Card {
  return new ACData.Template(TEMPLATES[name]).expand({ $root: data }) as Card;
}

export function welcomeCard(locale: Locale): Card {
  const other = otherLocale(locale);
  return expand('welcome', {
    title: t(locale, 'welcome.title'),
    tagline: t(locale, 'app.tagline'),
    intro: t(locale, 'welcome.intro'),
    how: t(locale, 'welcome.how'),
    start: t(locale, 'welcome.start'),
    helpLabel: t(locale, 'welcome.helpButton'),
    other: {
      title: t(other, 'welcome.title'),
      intro: t(other, 'welcome.intro'),
      start: t(other, 'welcome.start'),
    },
  });
}

export interface CommandLine {
  readonly word: string;
  readonly description: string;
}

export function helpCard(
  locale: Locale,
  commands: readonly CommandLine[],
  roleNames: readonly string[],
): Card {
  return expand('help', {
    title: t(locale, 'help.title'),
    intro: t(locale, 'help.intro'),
    commandsHeading: t(locale, 'help.commandsHeading'),
    commands,
    roles:
      roleNames.length > 0
        ? t(locale, 'help.role', { roles: roleNames.join(', ') })
        : t(locale, 'help.noRole'),
  });
}

export type NoticeStyle = 'default' | 'attention' | 'warning' | 'good' | 'accent';

export interface Notice {
  readonly title: string;
  /** Lines from our own resources: may use the Markdown subset Teams renders. */
  readonly lines: readonly string[];
  /** Text a person typed, echoed back in a TextRun where Markdown is never interpreted. */
  readonly quote?: string;
  readonly style?: NoticeStyle;
}

export function noticeCard(n: Notice): Card {
  return expand('notice', {
    title: n.title,
    lines: n.lines,
    quote: n.quote ?? '',
    style: n.style ?? 'default',
  });
}
