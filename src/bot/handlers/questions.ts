import { z } from 'zod';
import { noticeCard } from '../../cards';
import { questionCard } from '../../cards/question';
import { say } from '../../i18n';
import { formatDateTime } from '../../i18n/format';
import { settlementMail } from '../../mail/messages';
import { readForm } from '../../services/forms';
import type { Opportunity } from '../../services/opportunity';
import { textsIn } from '../../services/opportunity';
import { publicOpportunity } from '../../services/publication';
import {
  ANSWER_FORM,
  answerQuestion,
  DECLINE_REASONS,
  declineQuestion,
  type Question,
  type Settlement,
  withoutAddress,
} from '../../services/questions';
import { ConcurrencyError } from '../../services/store';
import { channelKey } from '../../services/routing';
import { activityOf, questionMessage } from '../notify';
import { type ActionHandler, CardVersion, type Deps, type Reply, type TurnRequest, warning } from '../turn';

/**
 * Suppliers' questions from procurement's side: each reaches its channel as a card, answered there in
 * both languages or declined. The card names the question and the version seen; who may settle it comes
 * from the activity. The first settlement wins: a stale click shows who settled it and changes nothing.
 */

export const QuestionData = z.object({
  questionId: z.string().regex(/^q-[A-Za-z0-9_-]{8,64}$/),
  version: CardVersion,
});
export const DeclineData = QuestionData.extend({ reason: z.enum(DECLINE_REASONS) });

function cardOptions(deps: Pick<Deps, 'config' | 'clock'>, o: Opportunity | undefined) {
  return {
    titles: {
      en: o ? textsIn(o, 'en').texts.title : '',
      fr: o ? textsIn(o, 'fr').texts.title : '',
    },
    timeZone: deps.clock.calendar.timeZone,
    site: deps.config.site.publicUrl,
  };
}

/** Posts a new question's card to procurement's channel (once: the message id is the question's). */
export async function postQuestionCard(
  deps: Pick<Deps, 'config' | 'clock' | 'notifier'>,
  q: Question,
  o: Opportunity,
): Promise<void> {
  await deps.notifier.post(questionMessage(q, o, deps.config, deps.clock));
}

async function refuse(req: TurnRequest, deps: Deps, q: Question, action: string, reason: string) {
  await deps.store.appendAudit(q.reference, {
    at: deps.clock.now().toISOString(),
    actor: { aadObjectId: req.actor.id, name: req.actor.name },
    action,
    outcome: 'refused',
    reason,
    comment: q.id,
  });
}

/** The card as it stands now, with a note for whoever clicked too late. */
async function staleReply(deps: Deps, q: Question): Promise<Reply> {
  const o = await deps.store.get(q.reference);
  const note = q.settledBy
    ? say('bilingual', 'questions.stale', {
        name: q.settledBy.name,
        at: formatDateTime(q.settledAt ?? q.askedAt, 'en', deps.clock.calendar.timeZone),
      })
    : undefined;
  return {
    card: questionCard(q, {
      ...cardOptions(deps, o),
      ...(note ? { note: { text: note, tone: 'warning' } } : {}),
    }),
  };
}

/**
 * Settles the question the card names, if the clicker may and nobody settled it first: saved, the asker's
 * e-mail queued, their address then erased, the decision audited on the request.
 */
async function settleFromCard(
  req: TurnRequest,
  deps: Deps,
  data: { questionId: string; version: number },
  action: 'question_answered' | 'question_declined',
  decide: (
    q: Question,
    by: NonNullable<Question['settledBy']>,
    at: string,
    o: Opportunity | undefined,
  ) => Settlement | Reply,
): Promise<Reply> {
  const q = await deps.store.getQuestion(data.questionId);
  if (!q) return warning(say(req.locale, 'questions.notFound'));
  if (!req.actor.roles.has('procurement')) {
    await refuse(req, deps, q, action, 'role');
    return warning(say(req.locale, 'questions.role'));
  }
  if (q.state !== 'asked' || q.version !== data.version) {
    await refuse(req, deps, q, action, 'stale');
    return staleReply(deps, q);
  }
  const at = deps.clock.now().toISOString();
  const o = await deps.store.get(q.reference);
  const outcome = decide(q, { aadObjectId: req.actor.id, name: req.actor.name }, at, o);
  if (!('ok' in outcome)) return outcome;
  if (!outcome.ok) return staleReply(deps, outcome.settled);
  let settled: Question;
  try {
    settled = await deps.store.settleQuestion(outcome.question, q.version);
  } catch (err) {
    if (!(err instanceof ConcurrencyError)) throw err;
    const now = await deps.store.getQuestion(q.id);
    await refuse(req, deps, q, action, 'stale');
    return now ? staleReply(deps, now) : warning(say(req.locale, 'questions.notFound'));
  }
  const view = o && publicOpportunity(o, q.locale);
  if (view && settled.email) {
    await deps.store.queueMail([settlementMail(deps.config.site.publicUrl, view, settled, settled.email)]);
    deps.mail.kick();
  }
  const kept = settled.email
    ? await deps.store.settleQuestion(withoutAddress(settled), settled.version)
    : settled;
  await deps.store.appendAudit(q.reference, {
    at,
    actor: { aadObjectId: req.actor.id, name: req.actor.name },
    action,
    outcome: 'applied',
    comment: q.id,
  });
  return { card: questionCard(kept, cardOptions(deps, o)) };
}

export const answerFromCard: ActionHandler<z.output<typeof QuestionData>> = (req, deps, data) =>
  settleFromCard(req, deps, data, 'question_answered', (q, by, at, o) => {
    const form = readForm(ANSWER_FORM, req.data);
    if (!form.ok) {
      return {
        card: questionCard(q, { ...cardOptions(deps, o), typed: form.kept, problems: form.problems }),
      };
    }
    return answerQuestion(q, form.values, by, at);
  });

export const declineFromCard: ActionHandler<z.output<typeof DeclineData>> = (req, deps, data) =>
  settleFromCard(req, deps, data, 'question_declined', (q, by, at) =>
    declineQuestion(q, data.reason, by, at),
  );

/**
 * The question form stopped taking questions (too many wait): procurement is told in its channel, once
 * a day per opportunity (or once for all), so a flood is seen without filling the channel.
 */
export async function postQuestionsPaused(
  deps: Pick<Deps, 'config' | 'clock' | 'notifier'>,
  reference: string,
  full: 'opportunity' | 'total',
): Promise<void> {
  const limits = deps.config.site.questionsWaiting;
  const text =
    full === 'total'
      ? say('bilingual', 'questions.pausedAll', { waiting: limits.total })
      : say('bilingual', 'questions.paused', { reference, waiting: limits.perOpportunity });
  await deps.notifier.post({
    id: `questions-paused:${full === 'total' ? 'all' : reference}:${deps.clock.today()}`,
    conversationKey: channelKey('procurement'),
    kind: 'post',
    activity: activityOf(noticeCard({ title: text, lines: [], style: 'warning' })),
    createdAt: deps.clock.now().toISOString(),
  });
}
