import { timingSafeEqual } from 'node:crypto';
import type { Request, Response } from 'restify';
import { type Locale, t } from '../i18n';
import { type Application, ApplicationId } from '../services/applications';
import { requestDebrief } from '../services/debrief';
import type { Opportunity } from '../services/opportunity';
import { formPath, publicOpportunity } from '../services/publication';
import { SYSTEM_ACTOR } from '../services/roles';
import { ConcurrencyError } from '../services/store';
import { tokenPage } from './pages';
import { queryOf, type Responder, type SiteDeps, TOKEN } from './respond';

/** Two writers at once on one application is rare; a few tries settle it. */
const SAVE_TRIES = 3;

/** Whether the link's secret is the application's, in constant time (the secrets are the same length). */
function tokenMatches(a: Pick<Application, 'debriefToken'>, token: string): boolean {
  if (!a.debriefToken) return false;
  const expected = Buffer.from(a.debriefToken);
  const given = Buffer.from(token);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

/**
 * The page of a not-selected applicant's debrief link, and its button: the request is recorded once and
 * its card goes to procurement's channel once, whatever the clicks. Any link that is not exactly an
 * application's, to this opportunity, gets the same page, so a guess learns nothing.
 */
export function debriefRequest(r: Responder, deps: SiteDeps) {
  const unknown = (res: Response, locale: Locale) =>
    r.message(res, 404, locale, 'site.debrief.unknown', 'site.debrief.unknownHelp');
  const linkOf = (req: Request) => ({ id: queryOf(req, 'application'), token: queryOf(req, 'token') });
  const wellFormed = (link: { id: string; token: string }) =>
    ApplicationId.safeParse(link.id).success && TOKEN.test(link.token);

  /** The request and its card; the card is queued again on a later click, in case the first was lost. */
  async function record(a: Application, o: Opportunity): Promise<'requested' | 'already' | 'answered'> {
    let current = a;
    for (let tries = 1; !current.debrief; tries++) {
      const at = deps.clock.now().toISOString();
      try {
        current = await deps.store.saveApplication(requestDebrief(current, at), current.version);
      } catch (err) {
        if (!(err instanceof ConcurrencyError) || tries >= SAVE_TRIES) throw err;
        current = (await deps.store.getApplication(a.id)) ?? current;
        continue;
      }
      await post(current, o);
      await deps.store.appendAudit(o.reference, {
        at,
        actor: { aadObjectId: SYSTEM_ACTOR.id, name: SYSTEM_ACTOR.name },
        action: 'debrief_requested',
        outcome: 'applied',
        comment: t('en', 'evaluation.title', { number: current.number ?? 0 }),
      });
      return 'requested';
    }
    if (current.debrief?.answer) return 'answered';
    await post(current, o);
    return 'already';
  }

  // The card's message id is the application's: asked for twice, it is posted once.
  const post = (a: Application, o: Opportunity) => deps.debriefRequested(a, o);

  return {
    show(req: Request, res: Response, locale: Locale, found: Opportunity) {
      const link = linkOf(req);
      if (!wellFormed(link)) return unknown(res, locale);
      r.formPage(req, res, 200, locale, formPath(locale, 'debrief', found.reference), (ctx, formToken) =>
        tokenPage(ctx, 'debrief', link.token, formToken, found.reference, link.id),
      );
    },

    async post(req: Request, res: Response, locale: Locale, reference: string) {
      const link = linkOf(req);
      if (!wellFormed(link)) return unknown(res, locale);
      try {
        const got = await r.receive(req, res, locale, {
          name: 'debrief',
          action: formPath(locale, 'debrief', reference),
          fields: [],
          page: (ctx, state) => tokenPage(ctx, 'debrief', link.token, state.token, reference, link.id),
          sent: ['site.debrief.done', 'site.debrief.doneHelp'],
        });
        if (!got) return;
        const found = await deps.store.get(reference);
        const a = await deps.store.getApplication(link.id);
        if (!found || !publicOpportunity(found, locale) || !a || a.reference !== reference) {
          return unknown(res, locale);
        }
        if (!tokenMatches(a, link.token)) return unknown(res, locale);
        const outcome = await record(a, found);
        if (outcome === 'requested') {
          return r.message(res, 200, locale, 'site.debrief.done', 'site.debrief.doneHelp');
        }
        if (outcome === 'answered') {
          return r.message(res, 200, locale, 'site.debrief.answered', 'site.debrief.answeredHelp');
        }
        r.message(res, 200, locale, 'site.debrief.already', 'site.debrief.alreadyHelp');
      } catch (err) {
        r.failed(res, locale, err);
      }
    },
  };
}
