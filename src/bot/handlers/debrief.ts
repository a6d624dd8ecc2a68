import { z } from 'zod';
import { debriefCard } from '../../cards/debrief';
import { inEach, say, t } from '../../i18n';
import { formatDateTime } from '../../i18n/format';
import { debriefMail } from '../../mail/messages';
import { type Application, ApplicationId } from '../../services/applications';
import { answerDebrief, DEBRIEF_FORM, type DebriefView, debriefView } from '../../services/debrief';
import { readForm } from '../../services/forms';
import { type Opportunity, textsIn } from '../../services/opportunity';
import { publicOpportunity } from '../../services/publication';
import type { Problem } from '../../services/rules';
import { channelKey } from '../../services/routing';
import type { DepartmentClock } from '../../services/calendar';
import { ConcurrencyError, type NewOutboxMessage } from '../../services/store';
import { activityOf } from '../notify';
import { type ActionHandler, CardVersion, type Deps, type Reply, type TurnRequest, warning } from '../turn';

/**
 * Debriefs from procurement's side: an applicant's request (from the public site) reaches procurement's
 * channel as a card, and the debrief is written and sent from it. The first debrief sent is the one
 * e-mailed: a stale click shows who sent it and changes nothing. Only procurement sends one.
 */

export const DebriefData = z.object({
  applicationId: ApplicationId,
  version: CardVersion,
});

const cardOptions = (clock: Pick<DepartmentClock, 'calendar'>, o: Opportunity) => ({
  titles: { en: textsIn(o, 'en').texts.title, fr: textsIn(o, 'fr').texts.title },
  timeZone: clock.calendar.timeZone,
});

/** The request's card for procurement's channel; its id is the application's, so it is posted once. */
export function debriefRequestMessage(
  a: Application,
  o: Opportunity,
  clock: Pick<DepartmentClock, 'now' | 'calendar'>,
): NewOutboxMessage | undefined {
  const view = debriefView(a);
  if (!view) return undefined;
  const key = `debrief:${a.id}`;
  return {
    id: key,
    conversationKey: channelKey('procurement'),
    kind: 'post',
    activity: activityOf(debriefCard(view, cardOptions(clock, o))),
    messageKey: key,
    createdAt: clock.now().toISOString(),
  };
}

/** Posts an applicant's debrief request to procurement's channel and wakes the sender. */
export async function postDebriefCard(
  deps: Pick<Deps, 'clock' | 'notifier'>,
  a: Application,
  o: Opportunity,
): Promise<void> {
  const message = debriefRequestMessage(a, o, deps.clock);
  if (message) await deps.notifier.post(message);
}

async function audit(
  req: TurnRequest,
  deps: Deps,
  a: DebriefView,
  outcome: 'applied' | 'refused',
  reason?: 'role' | 'stale',
) {
  await deps.store.appendAudit(a.reference, {
    at: deps.clock.now().toISOString(),
    actor: { aadObjectId: req.actor.id, name: req.actor.name },
    action: 'debrief_sent',
    outcome,
    ...(reason ? { reason } : {}),
    comment: t('en', 'evaluation.title', { number: a.number }),
  });
}

/** The card as it stands, for whoever clicked. */
function cardReply(
  deps: Deps,
  o: Opportunity,
  d: DebriefView,
  extra: { typed?: string; problems?: readonly Problem[]; note?: string; tone?: 'good' | 'warning' } = {},
): Reply {
  return {
    card: debriefCard(d, {
      ...cardOptions(deps.clock, o),
      ...(extra.typed !== undefined ? { typed: extra.typed } : {}),
      ...(extra.problems ? { problems: extra.problems } : {}),
      ...(extra.note ? { note: { text: extra.note, tone: extra.tone ?? 'warning' } } : {}),
    }),
  };
}

/** The note for a click on a card that is no longer the application's: sent by someone first, or older. */
function lateNote(deps: Deps, d: DebriefView): string {
  const sent = d.answer;
  return sent
    ? inEach('bilingual', (l) =>
        t(l, 'debrief.stale', {
          name: sent.by.name,
          at: formatDateTime(sent.at, l, deps.clock.calendar.timeZone),
        }),
      )
    : say('bilingual', 'debrief.changed');
}

/**
 * Sends the debrief the card holds, if the clicker is procurement and nobody sent one first: saved, the
 * e-mail queued in the applicant's language, the sending (or its refusal) audited on the request.
 */
export const sendDebrief: ActionHandler<z.output<typeof DebriefData>> = async (req, deps, data) => {
  const a = await deps.store.getApplication(data.applicationId);
  const o = a && (await deps.store.get(a.reference));
  const d = a && debriefView(a);
  if (!a || !o || !d) return warning(say(req.locale, 'debrief.notFound'));
  if (!req.actor.roles.has('procurement')) {
    await audit(req, deps, d, 'refused', 'role');
    return warning(say(req.locale, 'debrief.role'));
  }
  if (d.answer || d.version !== data.version) {
    await audit(req, deps, d, 'refused', 'stale');
    return cardReply(deps, o, d, { note: lateNote(deps, d) });
  }
  const form = readForm(DEBRIEF_FORM, req.data);
  if (!form.ok) return cardReply(deps, o, d, { typed: form.kept.debrief, problems: form.problems });
  const view = publicOpportunity(o, a.locale);
  if (!view) return warning(say(req.locale, 'debrief.notFound'));
  const at = deps.clock.now().toISOString();
  const sending = answerDebrief(
    a,
    form.values.debrief,
    { aadObjectId: req.actor.id, name: req.actor.name },
    at,
  );
  if (!sending.ok) return cardReply(deps, o, d, { note: lateNote(deps, d) });
  let sent: Application;
  try {
    sent = await deps.store.saveApplication(sending.application, a.version);
  } catch (err) {
    if (!(err instanceof ConcurrencyError)) throw err;
    await audit(req, deps, d, 'refused', 'stale');
    const now = await deps.store.getApplication(a.id);
    const current = (now && debriefView(now)) ?? d;
    return cardReply(deps, o, current, { note: lateNote(deps, current) });
  }
  await deps.store.queueMail([debriefMail(deps.config.site.publicUrl, view, sent, form.values.debrief, at)]);
  deps.mail.kick();
  await audit(req, deps, d, 'applied');
  const shown = debriefView(sent) ?? d;
  return cardReply(deps, o, shown, { note: say('bilingual', 'debrief.done'), tone: 'good' });
};
