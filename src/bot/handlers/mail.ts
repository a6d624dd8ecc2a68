import { noticeCard } from '../../cards';
import { t } from '../../i18n';
import { formatDateTime } from '../../i18n/format';
import type { Handler } from '../turn';

/**
 * The e-mail side, for procurement: how many e-mails wait, went and were given up (with why, never to
 * whom: a given-up e-mail keeps no address), and how many people are on the mailing list.
 */
export const showMail: Handler = async (req, deps) => {
  if (!req.actor.roles.has('procurement')) {
    return {
      card: noticeCard({ title: t(req.locale, 'mail.status.notProcurement'), lines: [], style: 'warning' }),
    };
  }
  const counts = await deps.store.mailCounts();
  const list = await deps.store.subscriptionCounts();
  const dead = await deps.store.deadMail(10);
  const lines = [
    t(req.locale, deps.config.mail.notify ? 'mail.status.viaNotify' : 'mail.status.local'),
    t(req.locale, 'mail.status.counts', counts),
    t(req.locale, 'mail.status.subscribers', list),
    ...(dead.length > 0 ? [t(req.locale, 'mail.status.deadHeading')] : []),
    ...dead.map((m) =>
      t(req.locale, 'mail.status.dead', {
        kind: t(req.locale, `mail.kinds.${m.kind}`),
        reference: m.reference ?? '—',
        at: formatDateTime(m.createdAt, req.locale, deps.clock.calendar.timeZone),
        error: m.lastError ?? '',
      }),
    ),
  ];
  return {
    card: noticeCard({
      title: t(req.locale, 'mail.status.title'),
      lines,
      style: counts.dead > 0 ? 'warning' : 'default',
    }),
  };
};
