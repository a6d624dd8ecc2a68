import { createHmac } from 'node:crypto';
import type { Request, Response } from 'restify';
import { type Locale, t } from '../i18n';
import { readForm } from '../services/forms';
import type { Opportunity } from '../services/opportunity';
import { formPath, type PublicOpportunity, publicOpportunity } from '../services/publication';
import { ASK_FORM, lastDayForQuestions, questionsOpen } from '../services/questions';
import { CSRF_FIELD } from './forms';
import { questionPage } from './pages';
import { emptyState, type Responder, type SiteDeps } from './respond';

/** An opportunity's question form: taken until two business days before its deadline, then closed. */
export function questionForm(r: Responder, deps: SiteDeps) {
  return {
    show(req: Request, res: Response, locale: Locale, found: Opportunity, view: PublicOpportunity) {
      if (!questionsOpen(found, deps.clock.today(), deps.clock.calendar)) {
        return r.message(res, 200, locale, 'site.ask.heading', 'site.ask.closed');
      }
      const askUntil = lastDayForQuestions(found, deps.clock.calendar);
      r.formPage(req, res, 200, locale, formPath(locale, 'question', found.reference), (ctx, token) =>
        questionPage(ctx, view, askUntil, emptyState(token)),
      );
    },

    async post(req: Request, res: Response, locale: Locale, reference: string) {
      try {
        const found = await deps.store.get(reference);
        const view = found && publicOpportunity(found, locale);
        if (!found || !view) return r.message(res, 404, locale, 'site.notFound', 'site.notFoundHelp');
        if (!questionsOpen(found, deps.clock.today(), deps.clock.calendar)) {
          return r.message(res, 409, locale, 'site.ask.heading', 'site.ask.closed');
        }
        const askUntil = lastDayForQuestions(found, deps.clock.calendar);
        const got = await r.receive(req, res, locale, {
          name: 'question',
          action: formPath(locale, 'question', reference),
          fields: Object.keys(ASK_FORM),
          page: (ctx, state) => questionPage(ctx, view, askUntil, state),
          sent: ['site.ask.sent', 'site.ask.sentHelp'],
        });
        if (!got) return;
        const form = readForm(ASK_FORM, got.fields);
        if (!form.ok) return got.back(400, got.fields, { problems: form.problems });
        // The same form sent twice (a double click, a reload) is one question: its id comes from its token.
        const id = `q-${createHmac('sha256', deps.config.site.secret)
          .update(`${reference}|${String(got.fields[CSRF_FIELD])}`)
          .digest('base64url')
          .slice(0, 32)}`;
        const asked = await deps.store.askQuestion(
          {
            id,
            reference,
            locale,
            text: form.values.question,
            email: form.values.email,
            askedAt: deps.clock.now().toISOString(),
          },
          deps.config.site.questionsWaiting,
        );
        if (!asked.ok) {
          deps.log.warn({ reference, full: asked.full }, 'questions paused: too many wait for an answer');
          await deps.questionsPaused(reference, asked.full);
          return got.back(503, got.fields, {
            notice: `${t(locale, 'site.ask.full')}. ${t(locale, 'site.ask.fullHelp')}`,
          });
        }
        await deps.questionAsked(asked.question, found);
        r.message(res, 200, locale, 'site.ask.sent', 'site.ask.sentHelp');
      } catch (err) {
        r.failed(res, locale, err);
      }
    },
  };
}
