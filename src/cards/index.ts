import { type Locale, otherLocale, t } from '../i18n';
import { type CardAction, cardAction } from './actions';
import { type Card, expand } from './template';

export { type ActionSpec, type CardAction, cardAction } from './actions';
export { type DraftSummary, draftsCard } from './drafts';
export { intakeCard, type IntakeView, submittedCard } from './intake';
export { licenceCriterion, licenceText } from './licences';
export { listCard, type ListView } from './list';
export {
  actionsFor,
  type CardNote,
  historyCard,
  opportunityCard,
  statusCard,
  type Viewer,
} from './opportunity';
export { type Card, TEMPLATES, type TemplateName } from './template';

/** The button that starts a request, offered wherever a person may want to begin. */
export function newRequestAction(locale: Locale): CardAction {
  return cardAction({ title: t(locale, 'intake.buttons.newRequest'), verb: 'intake.new', style: 'positive' });
}

export function welcomeCard(locale: Locale): Card {
  const other = otherLocale(locale);
  return expand('welcome', {
    title: t(locale, 'welcome.title'),
    tagline: t(locale, 'app.tagline'),
    intro: t(locale, 'welcome.intro'),
    how: t(locale, 'welcome.how'),
    start: t(locale, 'welcome.start'),
    actions: [
      newRequestAction(locale),
      cardAction({ title: t(locale, 'welcome.helpButton'), verb: 'help.show' }),
    ],
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
  /** One line per role held, saying where it comes from. */
  roleLines: readonly string[],
): Card {
  return expand('help', {
    title: t(locale, 'help.title'),
    intro: t(locale, 'help.intro'),
    commandsHeading: t(locale, 'help.commandsHeading'),
    commands,
    roles: roleLines.length > 0 ? t(locale, 'help.role') : t(locale, 'help.noRole'),
    roleLines: roleLines.map((line) => ({ line })),
    actions: [
      newRequestAction(locale),
      cardAction({ title: t(locale, 'intake.buttons.drafts'), verb: 'intake.drafts' }),
    ],
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
  readonly actions?: readonly CardAction[];
}

export function noticeCard(n: Notice): Card {
  return expand('notice', {
    title: n.title,
    lines: n.lines,
    quote: n.quote ?? '',
    style: n.style ?? 'default',
    actions: n.actions ?? [],
  });
}
