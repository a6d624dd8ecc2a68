import { randomBytes, randomUUID } from 'node:crypto';
import type { Request, Response } from 'restify';
import { type Locale, t } from '../i18n';
import { applicationConfirmationMail } from '../mail/messages';
import { APPLY_FORM, applicationsOpen, confirmationState, readApplication } from '../services/applications';
import type { Opportunity } from '../services/opportunity';
import { formPath, type PublicOpportunity, publicOpportunity } from '../services/publication';
import { ConcurrencyError } from '../services/store';
import { applyPage, tokenPage } from './pages';
import { emptyState, queryOf, type Responder, type SiteDeps, TOKEN } from './respond';

/** An opportunity's application form, until its deadline: an application is kept pending, its link e-mailed. */
export function applicationForm(r: Responder, deps: SiteDeps) {
  return {
    show(req: Request, res: Response, locale: Locale, found: Opportunity, view: PublicOpportunity) {
      if (!applicationsOpen(found, deps.clock.now().toISOString(), deps.clock.calendar)) {
        return r.message(res, 200, locale, 'site.apply.heading', 'site.apply.closed');
      }
      r.formPage(req, res, 200, locale, formPath(locale, 'apply', found.reference), (ctx, token) =>
        applyPage(ctx, view, emptyState(token)),
      );
    },

    async post(req: Request, res: Response, locale: Locale, reference: string) {
      try {
        const found = await deps.store.get(reference);
        const view = found && publicOpportunity(found, locale);
        if (!found || !view) return r.message(res, 404, locale, 'site.notFound', 'site.notFoundHelp');
        const at = deps.clock.now().toISOString();
        if (!applicationsOpen(found, at, deps.clock.calendar)) {
          return r.message(res, 409, locale, 'site.apply.heading', 'site.apply.closed');
        }
        const got = await r.receive(req, res, locale, {
          name: 'apply',
          action: formPath(locale, 'apply', reference),
          fields: Object.keys(APPLY_FORM),
          page: (ctx, state) => applyPage(ctx, view, state),
          sent: ['site.apply.sent', 'site.apply.sentHelp'],
        });
        if (!got) return;
        const read = readApplication(got.fields);
        if (!read.ok) return got.back(400, got.fields, { problems: read.problems });
        const email = typeof got.fields.email === 'string' ? got.fields.email.trim() : '';
        const outcome = await deps.store.submitApplication(
          {
            id: `a-${randomUUID()}`,
            reference,
            email,
            locale,
            createdAt: at,
            pending: { content: read.content, token: randomBytes(32).toString('base64url'), at },
          },
          read.selfIdentification,
          deps.config.site.maxUnconfirmedApplications,
        );
        if (outcome.outcome === 'full') {
          deps.log.warn({ reference }, 'applications paused: too many wait for confirmation');
          return got.back(503, got.fields, {
            notice: `${t(locale, 'site.apply.full')}. ${t(locale, 'site.apply.fullHelp')}`,
          });
        }
        // The e-mail is in the language of the page the application came from.
        await deps.store.queueMail([
          applicationConfirmationMail(
            deps.config.site.publicUrl,
            view,
            outcome.application,
            deps.clock.calendar,
          ),
        ]);
        deps.mail.kick();
        r.message(res, 200, locale, 'site.apply.sent', 'site.apply.sentHelp');
      } catch (err) {
        r.failed(res, locale, err);
      }
    },
  };
}

/** The page of an application's e-mailed link, and its button: the pending application counts from then on. */
export function applicationConfirmation(r: Responder, deps: SiteDeps) {
  const unknown = (res: Response, locale: Locale) =>
    r.message(res, 404, locale, 'site.applyConfirm.unknown', 'site.applyConfirm.unknownHelp');
  return {
    show(req: Request, res: Response, locale: Locale, found: Opportunity) {
      const token = queryOf(req, 'token');
      if (!TOKEN.test(token)) return unknown(res, locale);
      r.formPage(req, res, 200, locale, formPath(locale, 'confirm', found.reference), (ctx, formToken) =>
        tokenPage(ctx, 'confirm', token, formToken, found.reference),
      );
    },

    async post(req: Request, res: Response, locale: Locale, reference: string) {
      const token = queryOf(req, 'token');
      if (!TOKEN.test(token)) return unknown(res, locale);
      try {
        const got = await r.receive(req, res, locale, {
          name: 'confirm',
          action: formPath(locale, 'confirm', reference),
          fields: [],
          page: (ctx, state) => tokenPage(ctx, 'confirm', token, state.token, reference),
          sent: ['site.applyConfirm.unknown', 'site.applyConfirm.unknownHelp'],
        });
        if (!got) return;
        const found = await deps.store.get(reference);
        const application = await deps.store.applicationByToken(token);
        if (!found || !application || application.reference !== reference) return unknown(res, locale);
        const at = deps.clock.now().toISOString();
        const state = confirmationState(application, found, at, deps.clock.calendar);
        if (state === 'expired') {
          return r.message(res, 410, locale, 'site.applyConfirm.expired', 'site.applyConfirm.expiredHelp');
        }
        if (state === 'closed') {
          return r.message(res, 409, locale, 'site.applyConfirm.closed', 'site.applyConfirm.closedHelp');
        }
        if (state === 'nothing_pending') return unknown(res, locale);
        try {
          await deps.store.confirmApplication(application.id, application.version, at);
        } catch (err) {
          // A second click raced the first: the application counts either way.
          if (!(err instanceof ConcurrencyError)) throw err;
        }
        r.message(res, 200, locale, 'site.applyConfirm.done', 'site.applyConfirm.doneHelp');
      } catch (err) {
        r.failed(res, locale, err);
      }
    },
  };
}
