import * as ACData from 'adaptivecards-templating';
import debrief from './debrief.json';
import applications from './applications.json';
import decision from './decision.json';
import details from './details.json';
import drafts from './drafts.json';
import evaluation from './evaluation.json';
import help from './help.json';
import history from './history.json';
import intake from './intake.json';
import list from './list.json';
import notice from './notice.json';
import opportunity from './opportunity.json';
import question from './question.json';
import status from './status.json';
import summary from './summary.json';
import welcome from './welcome.json';

/**
 * Cards are JSON templates in this folder, filled by typed builders. Data is bound, never spliced into
 * the template, so text a person typed is shown as text and can never become card structure.
 */

export type Card = Readonly<Record<string, unknown>>;

export const TEMPLATES = {
  applications,
  debrief,
  decision,
  details,
  drafts,
  evaluation,
  help,
  history,
  intake,
  list,
  summary,
  notice,
  opportunity,
  question,
  status,
  welcome,
} as const;
export type TemplateName = keyof typeof TEMPLATES;

/** Parsing a template's expressions costs more than binding them, so each is parsed once, then reused. */
const prepared = new Map<TemplateName, ACData.Template>();

export function expand(name: TemplateName, data: object): Card {
  let template = prepared.get(name);
  if (!template) {
    template = new ACData.Template(TEMPLATES[name]);
    prepared.set(name, template);
  }
  return template.expand({ $root: data }) as Card;
}
