import assert from 'node:assert/strict';
import {
  applicationConfirmationMail,
  confirmationMail,
  debriefMail,
  newOpportunityMail,
  notSelectedMail,
  selectedMail,
  settlementMail,
} from '../../src/mail/messages';
import type { Application } from '../../src/services/applications';
import { fillTemplate, placeholdersOf, templateOf } from '../../src/mail/templates';
import { Calendar } from '../../src/services/calendar';
import { MAIL_KINDS, type MailKind, type NewMail } from '../../src/services/mail';
import { publicOpportunity } from '../../src/services/publication';
import { answerQuestion, declineQuestion, type Question } from '../../src/services/questions';
import type { Subscription } from '../../src/services/subscriptions';
import { posted } from '../support/opportunities';

/** The e-mails: each message fills every placeholder of its template, in both languages, and nothing else. */

const ORIGIN = 'https://microacq.example.gc.ca';
const calendar = new Calendar({ timeZone: 'America/Toronto', province: 'ON' });
const subscriber = (locale: 'en' | 'fr'): Subscription => ({
  id: `s-${locale}`,
  email: `${locale}@example.ca`,
  locale,
  token: 'T'.repeat(43),
  createdAt: '2026-11-20T10:00:00.000Z',
  confirmationSentAt: '2026-11-20T10:00:00.000Z',
  confirmedAt: '2026-11-20T10:05:00.000Z',
});
const question = (locale: 'en' | 'fr'): Question => ({
  id: 'q-0123456789abcdef',
  reference: 'MA-2026-0001',
  locale,
  text: 'Can we use Rust?',
  email: 'asker@example.ca',
  askedAt: '2026-11-20T10:00:00.000Z',
  state: 'asked',
  version: 1,
});
const BY = { aadObjectId: 'p', name: 'Priya' };
/** An application numbered at the close and marked, with its debrief link made. */
const applicant = (locale: 'en' | 'fr', result: 'pass' | 'fail' = 'pass'): Application => ({
  id: 'a-0002',
  reference: 'MA-2026-0001',
  email: 'applicant@example.ca',
  locale,
  content: {
    name: 'Chloé Gagné',
    kind: 'student',
    federalEmployee: false,
    answer: 'I did.',
    links: ['https://github.com/chloe'],
  },
  createdAt: '2026-11-21T10:00:00.000Z',
  confirmedAt: '2026-11-21T10:05:00.000Z',
  number: 4,
  evaluation: { result, rationale: 'Clear.', by: BY, at: '2026-12-01T10:00:00.000Z' },
  debriefToken: 'D'.repeat(43),
  version: 4,
});
const AT = '2026-12-02T10:00:00.000Z';
const ANSWER = { questionEn: 'Rust?', questionFr: 'Rust?', answerEn: 'Yes.', answerFr: 'Oui.' };

function mailsOf(locale: 'en' | 'fr'): Record<MailKind, NewMail> {
  const o = posted();
  const view = publicOpportunity(o, locale);
  assert.ok(view);
  const answered = answerQuestion(question(locale), ANSWER, BY, '2026-11-21T10:00:00.000Z');
  const declined = declineQuestion(question(locale), 'duplicate', BY, '2026-11-21T10:00:00.000Z');
  assert.ok(answered.ok && declined.ok);
  return {
    'subscription-confirm': confirmationMail(ORIGIN, subscriber(locale)),
    'new-opportunity': newOpportunityMail(
      ORIGIN,
      view,
      subscriber(locale),
      calendar,
      '2026-11-21T10:00:00.000Z',
    ),
    'question-answered': settlementMail(ORIGIN, view, answered.question, 'asker@example.ca'),
    'question-declined': settlementMail(ORIGIN, view, declined.question, 'asker@example.ca'),
    'application-confirm': applicationConfirmationMail(
      ORIGIN,
      view,
      {
        id: 'a-0001',
        reference: view.reference,
        email: 'applicant@example.ca',
        locale,
        pending: { content: {} as never, token: 'P'.repeat(43), at: '2026-11-21T10:00:00.000Z' },
        createdAt: '2026-11-21T10:00:00.000Z',
        version: 1,
      },
      calendar,
    ),
    'application-selected': selectedMail(ORIGIN, view, applicant(locale), AT),
    'application-not-selected': notSelectedMail(ORIGIN, view, applicant(locale), AT),
    debrief: debriefMail(ORIGIN, view, applicant(locale), 'Your tests were thin.', AT),
  };
}

describe('the e-mails', () => {
  for (const locale of ['en', 'fr'] as const) {
    for (const kind of MAIL_KINDS) {
      it(`${kind} in ${locale} fills every placeholder of its template and names no other`, () => {
        const mail = mailsOf(locale)[kind];
        assert.equal(mail.kind, kind);
        assert.equal(mail.locale, locale);
        const template = templateOf(kind, locale);
        assert.deepEqual(Object.keys(mail.personalisation).sort(), placeholdersOf(template).sort());
        const filled = fillTemplate(template, mail.personalisation);
        assert.doesNotMatch(`${filled.subject}\n${filled.body}`, /\(\(/);
        for (const value of Object.values(mail.personalisation)) assert.ok(value.trim() !== '', kind);
      });
    }
  }

  it('links to the public pages and to a one-click unsubscribe in the subscriber’s language', () => {
    const fr = mailsOf('fr')['new-opportunity'];
    assert.equal(fr.personalisation.url, `${ORIGIN}/fr/possibilites/${fr.reference}`);
    assert.equal(
      fr.personalisation.unsubscribe_url,
      `${ORIGIN}/fr/possibilites/desabonnement?token=${'T'.repeat(43)}`,
    );
    const en = mailsOf('en')['subscription-confirm'];
    assert.equal(
      en.personalisation.confirm_url,
      `${ORIGIN}/en/opportunities/confirm?token=${'T'.repeat(43)}`,
    );
    assert.match(
      fillTemplate(templateOf('new-opportunity', 'fr'), fr.personalisation).body,
      /Se désabonner en un clic/,
    );
  });

  it('names each e-mail after its occasion, so it is queued once however often it is built', () => {
    const first = mailsOf('en');
    const again = mailsOf('en');
    for (const kind of MAIL_KINDS) assert.equal(first[kind].id, again[kind].id, kind);
    // A question is answered or declined, once: both outcomes of one version share the one id.
    assert.equal(first['question-answered'].id, first['question-declined'].id);
    assert.equal(new Set(Object.values(first).map((m) => m.id)).size, MAIL_KINDS.length - 1);
  });

  it('tells the asker the answer in the language they asked in, and why a question was declined', () => {
    const fr = mailsOf('fr');
    assert.equal(fr['question-answered'].personalisation.answer, 'Oui.');
    assert.equal(fr['question-declined'].personalisation.reason, 'une réponse déjà publiée la couvre.');
    assert.equal(mailsOf('en')['question-answered'].personalisation.answer, 'Yes.');
  });

  it('tells a not-selected applicant why, in their language, with a debrief link of their own', () => {
    const view = publicOpportunity(posted(), 'fr');
    assert.ok(view);
    const passed = notSelectedMail(ORIGIN, view, applicant('fr', 'pass'), AT);
    assert.match(
      passed.personalisation.outcome ?? '',
      /satisfait à l’évaluation \(candidat 4\), mais n’a pas été tirée/,
    );
    assert.equal(
      passed.personalisation.debrief_url,
      `${ORIGIN}/fr/possibilites/MA-2026-0001/compte-rendu?application=a-0002&token=${'D'.repeat(43)}`,
    );
    const failed = notSelectedMail(ORIGIN, view, applicant('fr', 'fail'), AT);
    assert.match(failed.personalisation.outcome ?? '', /n’a pas satisfait à l’évaluation \(candidat 4\)/);
    const { evaluation: _unmarked, ...cancelled } = applicant('en');
    const en = publicOpportunity(posted(), 'en');
    assert.ok(en);
    assert.match(
      notSelectedMail(ORIGIN, en, cancelled, AT).personalisation.outcome ?? '',
      /cancelled before/,
    );
    const { debriefToken: _none, ...noLink } = applicant('en');
    assert.throws(() => notSelectedMail(ORIGIN, en, noLink, AT), /no debrief link/);
  });

  it('fills a value as text: a value naming a placeholder is not filled again', () => {
    const filled = fillTemplate({ subject: '((a))', body: '((a)) ((b))' }, { a: '((b))', b: 'B' });
    assert.equal(filled.body, '((b)) B');
  });
});
