import { randomBytes, randomUUID } from 'node:crypto';
import type { Request, Response } from 'restify';
import { type Locale, t } from '../i18n';
import { confirmationMail } from '../mail/messages';
import { readForm } from '../services/forms';
import { formPath } from '../services/publication';
import { SUBSCRIBE_FORM } from '../services/subscriptions';
import { subscribePage, tokenPage } from './pages';
import { emptyState, queryOf, type Responder, type SiteDeps, TOKEN } from './respond';

/** A repeated confirmation e-mail waits this long after the last one. */
const RESEND_AFTER_MS = 10 * 60_000;

export type ListForm = 'subscribe' | 'confirm' | 'unsubscribe';

/** The mailing list's forms: subscribing, confirming from the e-mailed link, leaving in one click. */
export function mailingList(r: Responder, deps: SiteDeps) {
  const unknown = (res: Response, locale: Locale) =>
    r.message(res, 404, locale, 'site.confirm.unknown', 'site.confirm.unknownHelp');

  const subscribe = async (req: Request, res: Response, locale: Locale) => {
    const got = await r.receive(req, res, locale, {
      name: 'subscribe',
      action: formPath(locale, 'subscribe'),
      fields: Object.keys(SUBSCRIBE_FORM),
      page: subscribePage,
      sent: ['site.subscribe.sent', 'site.subscribe.sentHelp'],
    });
    if (!got) return;
    const read = readForm(SUBSCRIBE_FORM, got.fields);
    if (!read.ok) return got.back(400, got.fields, { problems: read.problems });
    const at = deps.clock.now().toISOString();
    const outcome = await deps.store.subscribe(
      {
        id: `s-${randomUUID()}`,
        email: read.values.email,
        locale: read.values.language as Locale,
        token: randomBytes(32).toString('base64url'),
        createdAt: at,
        confirmationSentAt: at,
      },
      deps.config.site.maxUnconfirmedSubscriptions,
    );
    if (outcome.outcome === 'full') {
      deps.log.warn({}, 'subscriptions paused: too many wait for confirmation');
      return got.back(503, got.fields, {
        notice: `${t(locale, 'site.subscribe.full')}. ${t(locale, 'site.subscribe.fullHelp')}`,
      });
    }
    const s = outcome.subscription;
    // The same answer whether the address was known or not: the page never tells who subscribed.
    if (outcome.outcome === 'created') {
      await deps.store.queueMail([confirmationMail(deps.config.site.publicUrl, s)]);
      deps.mail.kick();
    } else if (!s.confirmedAt && Date.parse(at) - Date.parse(s.confirmationSentAt) >= RESEND_AFTER_MS) {
      await deps.store.confirmationResent(s.id, at);
      await deps.store.queueMail([
        confirmationMail(deps.config.site.publicUrl, { ...s, confirmationSentAt: at }),
      ]);
      deps.mail.kick();
    }
    r.message(res, 200, locale, 'site.subscribe.sent', 'site.subscribe.sentHelp');
  };

  /** Confirm or unsubscribe: the e-mailed token names the subscription. */
  const byToken = async (req: Request, res: Response, locale: Locale, form: 'confirm' | 'unsubscribe') => {
    const token = queryOf(req, 'token');
    if (!TOKEN.test(token)) return unknown(res, locale);
    const got = await r.receive(req, res, locale, {
      name: form,
      action: formPath(locale, form),
      fields: [],
      page: (ctx, state) => tokenPage(ctx, form, token, state.token),
      sent: ['site.notFound', 'site.notFoundHelp'],
      // RFC 8058: a mail client's one-click unsubscribe posts this, with the e-mailed token, and no page.
      ...(form === 'unsubscribe' ? { exempt: (f) => f['List-Unsubscribe'] === 'One-Click' } : {}),
    });
    if (!got) return;
    if (form === 'confirm') {
      const confirmed = await deps.store.confirmSubscription(token, deps.clock.now().toISOString());
      return confirmed
        ? r.message(res, 200, locale, 'site.confirm.done', 'site.confirm.doneHelp')
        : unknown(res, locale);
    }
    const gone = await deps.store.unsubscribe(token);
    if (gone) await deps.store.dropMailTo(gone.email);
    r.message(res, 200, locale, 'site.unsubscribe.done', 'site.unsubscribe.doneHelp');
  };

  return {
    /** The form, or the page of an e-mailed link with its one button (the request counted already). */
    show(req: Request, res: Response, locale: Locale, form: ListForm) {
      if (form === 'subscribe') {
        return r.formPage(req, res, 200, locale, formPath(locale, 'subscribe'), (ctx, token) =>
          subscribePage(ctx, emptyState(token, { language: locale })),
        );
      }
      const token = queryOf(req, 'token');
      if (!TOKEN.test(token)) return unknown(res, locale);
      r.formPage(req, res, 200, locale, formPath(locale, form), (ctx, formToken) =>
        tokenPage(ctx, form, token, formToken),
      );
    },

    async post(req: Request, res: Response, locale: Locale, form: ListForm) {
      try {
        await (form === 'subscribe' ? subscribe(req, res, locale) : byToken(req, res, locale, form));
      } catch (err) {
        r.failed(res, locale, err);
      }
    },
  };
}
