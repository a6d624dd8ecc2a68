import { z } from 'zod';
import { noticeCard } from '../../cards';
import { evaluationCard } from '../../cards/evaluation';
import { inEach, say, t, type Voice } from '../../i18n';
import { formatDateTime } from '../../i18n/format';
import { type Application, ApplicationId, confirmedApplications } from '../../services/applications';
import { applicantNumbers } from '../../services/draw';
import {
  anonymised,
  EVALUATION_FORM,
  evaluationComplete,
  evaluationProgress,
  type EvaluationProgress,
  markApplication,
  mayEvaluate,
  RESULTS,
} from '../../services/evaluation';
import { readForm } from '../../services/forms';
import type { Problem } from '../../services/rules';
import { evaluatorOf, type Opportunity, textsIn } from '../../services/opportunity';
import { idKey, sameId, SYSTEM_ACTOR } from '../../services/roles';
import { ConcurrencyError, type Person } from '../../services/store';
import { activityOf, chosenLocale, requesterChat, voiceIn } from '../notify';
import { type ActionHandler, CardVersion, type Deps, type Reply, type TurnRequest, warning } from '../turn';

/**
 * The evaluation, from the close of applications to the counts on the record. At the close each
 * confirmed application is numbered in the order the draw's seed gives, and the requester gets one card
 * per applicant in their chat; each card is marked pass or fail with a reason, the first mark standing.
 * Once every applicant is marked the clock's own actor records the counts, which the draw rests on.
 */

type EvaluationDeps = Pick<Deps, 'store' | 'notifier' | 'clock' | 'change' | 'log'>;

export const EvaluateData = z.object({
  applicationId: ApplicationId,
  version: CardVersion,
  result: z.enum(RESULTS),
});

/** Whether the requester's team is marking this request's applications now. */
const evaluating = (o: Opportunity) => o.status === 'closed' && o.selection.passed === undefined;

/** The most people procurement's card offers to give the marking to. */
const PEOPLE_OFFERED = 50;

/**
 * How far the marking is, while it goes on, and who the marking could be given to instead (the people
 * the bot can reach in a chat); read for the request's card.
 */
export async function evaluationFor(
  deps: Pick<Deps, 'store'>,
  o: Opportunity,
): Promise<(EvaluationProgress & { readonly people: readonly Person[] }) | undefined> {
  if (!evaluating(o)) return undefined;
  const progress = evaluationProgress(await confirmedApplications(deps.store, o.reference));
  const evaluator = evaluatorOf(o);
  const people = (await deps.store.peopleInChat(PEOPLE_OFFERED)).filter(
    (p) => !sameId(p.aadObjectId, evaluator.aadObjectId),
  );
  return { ...progress, people };
}

/** The person a card names to mark the applications, as their chat with the bot names them. */
export async function reachablePerson(
  deps: Pick<Deps, 'store'>,
  aadObjectId: unknown,
): Promise<Person | undefined> {
  if (typeof aadObjectId !== 'string' || aadObjectId.length > 100) return undefined;
  const user = (await deps.store.getConversation(`user:${idKey(aadObjectId)}`))?.user as
    { aadObjectId?: unknown; name?: unknown } | undefined;
  if (typeof user?.aadObjectId !== 'string') return undefined;
  return {
    aadObjectId: user.aadObjectId,
    name: typeof user.name === 'string' ? user.name : user.aadObjectId,
  };
}

/** The criterion and title in the card's language(s). */
function cardTexts(voice: Voice, o: Opportunity) {
  return {
    title: inEach(voice, (l) => textsIn(o, l).texts.title),
    criterion: inEach(voice, (l) => textsIn(o, l).texts.evaluationCriterion, '\n\n'),
  };
}

/**
 * Where the evaluator's cards go and how they speak there: the requester's chat, or the personal chat of
 * the person procurement gave the marking to.
 */
async function evaluatorVoice(deps: Pick<Deps, 'store'>, o: Opportunity) {
  const registered = async (key: string) => (await deps.store.getConversation(key)) !== undefined;
  const evaluator = evaluatorOf(o);
  const to = o.selection.evaluator
    ? `user:${idKey(evaluator.aadObjectId)}`
    : await requesterChat(o, registered);
  if (!to || !(await registered(to))) return undefined;
  const voice = voiceIn(
    await deps.store.getConversation(to),
    await chosenLocale(deps.store, evaluator.aadObjectId, o.locale),
  );
  return { to, voice, evaluator: idKey(evaluator.aadObjectId) };
}

/** The evaluation card's message: one per application and evaluator, replaced in place when marked. */
const cardKey = (a: Pick<Application, 'id'>, evaluator: string) => `evaluation:${a.id}:${evaluator}`;

/**
 * Numbers the confirmed applications of a request whose applications closed (keeping numbers given
 * before), posts the requester a card for each one not yet marked, and records the counts once every one
 * is. Run again (the next tick, after a restart) it adds nothing: the numbers come from the seed and each
 * message's id from its application.
 */
export async function openEvaluation(deps: EvaluationDeps, o: Opportunity): Promise<void> {
  if (!evaluating(o) || !o.selection.drawSeed) return;
  let applications = await confirmedApplications(deps.store, o.reference);
  const numbers = applicantNumbers(
    o.selection.drawSeed,
    applications.map((a) => a.id),
  );
  applications = await Promise.all(
    applications.map(async (a) => {
      const number = numbers.get(a.id) as number;
      if (a.number !== undefined) return a;
      return deps.store.saveApplication({ ...a, number, version: a.version + 1 }, a.version);
    }),
  );
  const at = deps.clock.now().toISOString();
  const where = await evaluatorVoice(deps, o);
  if (where) {
    const waiting = applications
      .filter((a) => !a.evaluation)
      .sort((a, b) => (a.number ?? 0) - (b.number ?? 0));
    const texts = cardTexts(where.voice, o);
    await deps.notifier.post({
      id: `evaluation-intro:${o.reference}:${where.evaluator}`,
      conversationKey: where.to,
      kind: 'post',
      activity: activityOf(
        noticeCard({
          title: say(where.voice, applications.length > 0 ? 'evaluation.intro' : 'evaluation.none', {
            reference: o.reference,
            count: applications.length,
          }),
          lines: [],
        }),
      ),
      createdAt: at,
    });
    for (const a of waiting) {
      const view = anonymised(a);
      if (!view) continue;
      await deps.notifier.post({
        id: cardKey(a, where.evaluator),
        conversationKey: where.to,
        kind: 'post',
        activity: activityOf(
          evaluationCard(where.voice, view, { ...texts, timeZone: deps.clock.calendar.timeZone }),
        ),
        messageKey: cardKey(a, where.evaluator),
        createdAt: at,
      });
    }
  }
  await recordIfComplete(deps, o, evaluationProgress(applications));
}

/** Every applicant marked: the counts go on the record, by the clock's actor, through the one path. */
async function recordIfComplete(deps: EvaluationDeps, o: Opportunity, progress: EvaluationProgress) {
  if (!evaluationComplete(progress)) return;
  await deps.change({
    kind: 'decide',
    actor: SYSTEM_ACTOR,
    reference: o.reference,
    action: 'record_evaluation',
    payload: { applications: progress.applications, passed: progress.passed },
  });
}

async function audit(
  req: TurnRequest,
  deps: Deps,
  a: Application,
  outcome: 'applied' | 'refused',
  detail: { reason?: string; comment?: string },
) {
  await deps.store.appendAudit(a.reference, {
    at: deps.clock.now().toISOString(),
    actor: { aadObjectId: req.actor.id, name: req.actor.name },
    action: 'application_marked',
    outcome,
    ...detail,
  });
}

/** The card as it stands, for whoever clicked. */
function cardReply(
  req: TurnRequest,
  deps: Deps,
  o: Opportunity,
  a: Application,
  extra: {
    typed?: string;
    problems?: readonly Problem[];
    note?: string;
    tone?: 'good' | 'warning';
  } = {},
): Reply {
  const view = anonymised(a);
  if (!view) return warning(t(req.locale, 'evaluation.notFound'));
  return {
    card: evaluationCard(req.locale, view, {
      ...cardTexts(req.locale, o),
      timeZone: deps.clock.calendar.timeZone,
      ...(extra.typed !== undefined ? { typed: extra.typed } : {}),
      ...(extra.problems ? { problems: extra.problems } : {}),
      ...(extra.note ? { note: { text: extra.note, tone: extra.tone ?? 'warning' } } : {}),
    }),
  };
}

/** The note for a click that came after the application was marked, or after the evaluation ended. */
function lateNote(req: TurnRequest, deps: Deps, a: Application): string {
  return a.evaluation
    ? t(req.locale, 'evaluation.stale', {
        name: a.evaluation.by.name,
        at: formatDateTime(a.evaluation.at, req.locale, deps.clock.calendar.timeZone),
      })
    : t(req.locale, 'evaluation.closed');
}

/**
 * Pass or fail from an application's card. Only the request's requester marks; the first mark stands
 * and a stale click shows it; the rationale is required; every mark and refusal is audited on the request.
 */
export const evaluateFromCard: ActionHandler<z.output<typeof EvaluateData>> = async (req, deps, data) => {
  const a = await deps.store.getApplication(data.applicationId);
  const o = a && (await deps.store.get(a.reference));
  if (!a || !o || a.number === undefined) return warning(t(req.locale, 'evaluation.notFound'));
  if (!mayEvaluate(o, req.actor)) {
    await audit(req, deps, a, 'refused', { reason: 'role' });
    return warning(t(req.locale, 'evaluation.role', { reference: o.reference, name: evaluatorOf(o).name }));
  }
  if (!evaluating(o) || a.evaluation || a.version !== data.version) {
    await audit(req, deps, a, 'refused', { reason: 'stale' });
    return cardReply(req, deps, o, a, { note: lateNote(req, deps, a) });
  }
  const form = readForm(EVALUATION_FORM, req.data);
  if (!form.ok) {
    return cardReply(req, deps, o, a, { typed: form.kept.rationale ?? '', problems: form.problems });
  }
  const at = deps.clock.now().toISOString();
  const marking = markApplication(
    a,
    data.result,
    form.values.rationale,
    { aadObjectId: req.actor.id, name: req.actor.name },
    at,
  );
  if (!marking.ok) return cardReply(req, deps, o, marking.settled, { note: lateNote(req, deps, a) });
  let marked: Application;
  try {
    marked = await deps.store.saveApplication(marking.application, a.version);
  } catch (err) {
    if (!(err instanceof ConcurrencyError)) throw err;
    const now = (await deps.store.getApplication(a.id)) ?? a;
    await audit(req, deps, a, 'refused', { reason: 'stale' });
    return cardReply(req, deps, o, now, { note: lateNote(req, deps, now) });
  }
  await audit(req, deps, a, 'applied', {
    comment: `${t('en', 'evaluation.title', { number: a.number })}: ${data.result}`,
  });
  const progress = evaluationProgress(await confirmedApplications(deps.store, o.reference));
  // Procurement follows the marking on the request's cards.
  await deps.notifier.refresh(o, `marked-${progress.marked}`);
  await recordIfComplete(deps, o, progress);
  const note = evaluationComplete(progress)
    ? t(req.locale, 'evaluation.complete', { ...progress })
    : t(req.locale, 'evaluation.marked', { ...progress });
  return cardReply(req, deps, o, marked, { note, tone: 'good' });
};
