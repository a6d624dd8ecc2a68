import { applicationsCard } from '../../cards/applications';
import { t } from '../../i18n';
import { REFERENCE_PATTERN } from '../../services/opportunity';
import { type Handler, warning } from '../turn';

/**
 * `applications MA-2026-0042`: an opportunity's confirmed applications, names and addresses included,
 * for the procurement team and only in a personal chat (a channel or group chat is read by others).
 * Each reading is in the request's history.
 */

/** The most applications one card lists (a card holds 28 KB). */
const LISTED = 40;

export const showApplications: Handler = async (req, deps) => {
  if (!req.actor.roles.has('procurement')) return warning(t(req.locale, 'applications.notProcurement'));
  if (req.conversation.type !== 'personal') return warning(t(req.locale, 'applications.notPersonal'));
  const reference = req.args.trim().toUpperCase();
  if (!REFERENCE_PATTERN.test(reference)) return warning(t(req.locale, 'applications.usage'));
  const o = await deps.store.get(reference);
  if (!o) return warning(t(req.locale, 'decisions.refusals.notFound', { reference }));
  const [page, figures] = await Promise.all([
    deps.store.applicationsOf(reference, { confirmedOnly: true }, { limit: LISTED }),
    deps.store.applicationFigures([reference]),
  ]);
  await deps.store.appendAudit(reference, {
    at: deps.clock.now().toISOString(),
    actor: { aadObjectId: req.actor.id, name: req.actor.name },
    action: 'applications_read',
    outcome: 'applied',
  });
  const applications = [...page.items].sort(
    (a, b) => (a.number ?? Number.MAX_SAFE_INTEGER) - (b.number ?? Number.MAX_SAFE_INTEGER),
  );
  return {
    card: applicationsCard(req.locale, {
      reference,
      applications,
      total: figures.perOpportunity[reference]?.confirmed ?? applications.length,
      timeZone: deps.clock.calendar.timeZone,
    }),
  };
};
