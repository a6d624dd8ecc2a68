import { applicationsCard } from '../../src/cards/applications';
import { debriefCard } from '../../src/cards/debrief';
import { evaluationCard } from '../../src/cards/evaluation';
import { createRoutes } from '../../src/bot/routes';
import {
  cardAction,
  draftsCard,
  helpCard,
  historyCard,
  intakeCard,
  listCard,
  noticeCard,
  opportunityCard,
  statusCard,
  submittedCard,
  welcomeCard,
} from '../../src/cards';
import { problemText } from '../../src/cards/intake';
import { licenceCriterion } from '../../src/cards/licences';
import { reminderCard } from '../../src/cards/opportunity';
import { summaryCard } from '../../src/cards/summary';
import { pipelineSummary } from '../../src/services/pipeline';
import { decide } from '../../src/services/lifecycle';
import { LOCALES, type Locale, otherLocale, say, t } from '../../src/i18n';
import { formatDateTime } from '../../src/i18n/format';
import { FIELDS, type IntakeFields, type Step } from '../../src/services/intake';
import { lookback, splittingEvidence } from '../../src/services/lookback';
import {
  type Opportunity,
  TEXT_LIMITS,
  TRANSLATED_FIELDS,
  type TranslatedTexts,
} from '../../src/services/opportunity';
import type { Problem } from '../../src/services/rules';
import {
  CALENDAR,
  CHECKLIST,
  clock,
  INVOICE,
  NOW,
  person,
  submitted,
  TERMS,
  TRANSLATION,
  typed,
} from './opportunities';

const ZONE = CALENDAR.timeZone;

/**
 * One filled example of every card the bot sends, in each language, for the card suite
 * (test/cards/cards.test.ts): schema and renderer checks, the Teams size limit, and a rendered screenshot.
 */
export interface CardSample {
  /** Kebab case; names the screenshot `test-output/cards/<name>.<locale>.png` and, spaced, the tests. */
  name: string;
  locale: Locale;
  card: Record<string, unknown>;
  /** Text a person must see on the rendered card, as shown (Markdown markers such as `**` removed). */
  expectText: string[];
  /** Buttons pressed before the text is read and the screenshot taken: Details, or a form's button. */
  press?: string[];
}

interface SampleSpec {
  readonly name: string;
  readonly build: (locale: Locale) => Pick<CardSample, 'card' | 'expectText' | 'press'>;
}

/** What the Markdown subset Teams renders leaves visible of a line: the bold markers go. */
export function visible(markdown: string): string {
  return markdown.replace(/\*\*/g, '');
}

/** The command list exactly as the help handler builds it from the route table. */
function commandLines(locale: Locale) {
  return createRoutes()
    .listCommands()
    .map((c) => ({ word: c.words[locale], description: t(locale, c.description) }));
}

/** A person's message that is not a command, with text that must stay text: Markdown and a tag. */
const TYPED = 'hlep **now** <b>please</b>';

const DRAFT_ID = '0b3f7a2e-9a1c-4c55-9d59-1b2d3e4f5a6b';

/** Every field at its longest, in accented text (two bytes a letter): the largest card a person can cause. */
function longest(): IntakeFields {
  const fill = (n: number) => 'é'.repeat(n);
  return typed(
    Object.fromEntries(
      (Object.keys(FIELDS) as (keyof typeof FIELDS)[])
        .filter((f) => FIELDS[f].kind !== 'date' && FIELDS[f].kind !== 'toggle')
        .map((f) => [f, fill(FIELDS[f].max)]),
    ),
  );
}

function intake(locale: Locale, step: Step, fields: IntakeFields, problems: Problem[] = []) {
  const branch = fields.branch ?? '';
  const others = [
    { ...submitted('MA-2026-0003'), title: 'Accessible date picker, phase 1' },
    {
      ...submitted('MA-2026-0002'),
      title: 'Payroll export',
      selection: { questions: 0, declinedSuppliers: [], supplierName: 'Ada Dev' },
    },
  ];
  return intakeCard({
    locale,
    draftId: DRAFT_ID,
    step,
    fields,
    problems,
    lookback: {
      branch,
      result: lookback({ title: fields.title ?? '', branch }, others, '2026-11-23T15:00:00.000Z'),
    },
    calendar: CALENDAR,
  });
}

/** A text in each language, as a bilingual card shows it. */
const both = (text: (locale: Locale) => string): string[] => LOCALES.map(text);

/** The request with its French version, proposed or confirmed. */
function translated(o: Opportunity, confirmed: boolean): Opportunity {
  return {
    ...o,
    translation: { ...TRANSLATION, locale: 'fr', by: { aadObjectId: 'p', name: 'Priya Raman' }, at: NOW },
    translationConfirmed: confirmed,
  };
}

/** Each text of the request as long as the intake allows, in accented French and English. */
function longestRequest(): Opportunity {
  const fill = (text: string, max: number) => text.repeat(Math.ceil(max / text.length)).slice(0, max);
  const fr = 'Élément d’accessibilité éprouvé à améliorer ';
  const en = 'Accessible component to improve and document ';
  const texts = (base: string) =>
    Object.fromEntries(TRANSLATED_FIELDS.map((f) => [f, fill(base, TEXT_LIMITS[f])])) as TranslatedTexts;
  return {
    ...submitted('MA-2026-0009'),
    ...texts(en),
    translation: { ...texts(fr), locale: 'fr', by: { aadObjectId: 'p', name: 'Priya Raman' }, at: NOW },
    translationConfirmed: false,
  };
}

/** The branch's last year as procurement weighs it: a similar request that, with this one, passes the ceiling. */
export const EVIDENCE = splittingEvidence(
  {
    similar: [
      {
        reference: 'MA-2026-0003',
        title: 'Accessible date picker, phase 1',
        status: 'paid',
        createdAt: '2026-06-01T12:00:00.000Z',
        fixedPriceCents: 600_000,
      },
    ],
    suppliers: [{ supplier: 'Ada Dev', contracts: 2, totalCents: 700_000 }],
  },
  400_000,
);

/** The sample request once vetted: finance and the union have their cards. */
/** Accepted work whose contract was ended for convenience at 40 %, agreed: finance records the invoice. */
function awaitingInvoice(): Opportunity {
  const o = vetted();
  return {
    ...o,
    status: 'accepted',
    finance: {
      ...o.finance,
      fundsStatus: 'approved',
      fundReservationNumber: 'FR-2026-118',
      section32Approver: { aadObjectId: 'f', name: 'Farah Haddad' },
      section32At: NOW,
    },
    selection: { ...o.selection, applications: 3, passed: 2, supplierName: 'Ada Dev' },
    terms: {
      ...TERMS,
      contractor: 'Ada Dev',
      countersignedBy: { aadObjectId: 'f', name: 'Farah Haddad' },
      countersignedAt: NOW,
    },
    delivery: {
      revisionsRequested: 0,
      terminationReason: 'The team’s priorities changed',
      termination: {
        kind: 'convenience',
        percentComplete: 40,
        amountCents: 160_000,
        proposedBy: { aadObjectId: 'p', name: 'Priya Raman' },
        proposedAt: NOW,
        agreedBy: { aadObjectId: 'r', name: 'Riley Tremblay' },
        agreedAt: NOW,
      },
    },
  };
}

/** Paid in full: a delegate recorded the payment on behalf of a colleague. */
function paid(): Opportunity {
  const o = awaitingInvoice();
  return {
    ...o,
    status: 'paid',
    delivery: { revisionsRequested: 0 },
    finance: {
      ...o.finance,
      invoice: INVOICE,
      section34Certifier: { aadObjectId: 'f', name: 'Farah Haddad' },
      section34At: NOW,
      paymentMethod: 'paypal',
      paymentAmountCents: 460_000,
      paymentDate: '2026-11-23',
      paidBy: { aadObjectId: 'm', name: 'Marc Gagnon', onBehalfOf: { aadObjectId: 'd', name: 'Dana Cho' } },
    },
  };
}

function vetted() {
  const outcome = decide(submitted('MA-2026-0007'), 'vet_go', CHECKLIST, person('p', 'procurement'), clock());
  if (!outcome.ok) throw new Error('the sample request cannot be vetted');
  return outcome.next;
}

const AUDIT = [
  {
    id: '1',
    reference: 'MA-2026-0007',
    at: '2026-11-23T15:00:00.000Z',
    actor: { aadObjectId: 'r', name: 'Riley Tremblay' },
    action: 'submit',
    to: 'submitted' as const,
    outcome: 'applied' as const,
  },
  {
    id: '2',
    reference: 'MA-2026-0007',
    at: '2026-11-23T16:00:00.000Z',
    actor: { aadObjectId: 'f', name: 'Farah **Haddad**' },
    action: 'approve_funds',
    from: 'in_approval' as const,
    outcome: 'refused' as const,
    reason: 'own_request',
  },
  {
    id: '3',
    reference: 'MA-2026-0007',
    at: '2026-11-23T17:00:00.000Z',
    actor: { aadObjectId: 'p', name: 'Priya Raman' },
    action: 'vet_go',
    from: 'submitted' as const,
    to: 'in_approval' as const,
    outcome: 'applied' as const,
    comment: 'Looks [fine](https://evil.example)',
  },
];

/** Add a card by adding an entry: every entry is checked in every language. */
/** An application as its evaluator sees it: a number, an answer, links to past work. */
const APPLICANT = {
  id: 'a-6f1c2b7e-3f4a-4c1e-9b2d-5a7e1f0c9d34',
  reference: 'MA-2026-0007',
  number: 3,
  answer: 'I built the accessible date picker of the city’s permit forms, tested with NVDA and VoiceOver.',
  links: ['https://github.com/ada/picker', `https://example.dev/${'very-long-path-'.repeat(8)}`],
  version: 2,
};

const SAMPLES: readonly SampleSpec[] = [
  {
    name: 'welcome',
    build: (locale) => ({
      card: welcomeCard(locale),
      expectText: [
        t(locale, 'welcome.title'),
        t(locale, 'app.tagline'),
        visible(t(locale, 'welcome.start')),
        t(otherLocale(locale), 'welcome.title'),
        t(locale, 'welcome.helpButton'),
      ],
    }),
  },
  {
    name: 'help',
    build: (locale) => {
      const commands = commandLines(locale);
      return {
        card: helpCard(locale, commands, []),
        expectText: [
          t(locale, 'help.title'),
          t(locale, 'help.commandsHeading'),
          ...commands.flatMap((c) => [c.word, c.description]),
          t(locale, 'help.noRole'),
        ],
      };
    },
  },
  {
    name: 'help-with-roles',
    build: (locale) => {
      const lines = [
        t(locale, 'roles.line', {
          role: t(locale, 'roles.finance'),
          branches: t(locale, 'roles.branches', { branches: 'Benefits Delivery' }),
          whence: t(locale, 'roles.via.group', { label: 'FPS approvers', source: 'roles.yaml' }),
        }),
        t(locale, 'roles.line', {
          role: t(locale, 'roles.procurement'),
          branches: t(locale, 'roles.everyBranch'),
          whence: t(locale, 'roles.delegatedBy', { name: 'Priya Raman', date: '2027-01-15' }),
        }),
      ];
      return {
        card: helpCard(locale, commandLines(locale), lines),
        expectText: [t(locale, 'help.title'), 'FPS approvers', 'Priya Raman'],
      };
    },
  },
  {
    name: 'unknown-command',
    build: (locale) => {
      const suggestion = t(locale, 'unknown.suggestion', { command: locale === 'fr' ? 'aide' : 'help' });
      return {
        card: noticeCard({
          title: t(locale, 'unknown.title'),
          quote: TYPED,
          lines: [suggestion, t(locale, 'unknown.hint')],
          style: 'warning',
        }),
        expectText: [
          t(locale, 'unknown.title'),
          TYPED,
          visible(suggestion),
          visible(t(locale, 'unknown.hint')),
        ],
      };
    },
  },
  {
    name: 'unexpected-error',
    build: (locale) => {
      const line = t(locale, 'errors.unexpected', { correlationId: 'c0ffee42' });
      return {
        card: noticeCard({ title: t(locale, 'errors.title'), lines: [line], style: 'attention' }),
        expectText: [t(locale, 'errors.title'), line],
      };
    },
  },
  {
    name: 'intake-basics',
    build: (locale) => ({
      card: intake(locale, 'basics', { licence: 'MIT', contactName: 'Riley Tremblay' }),
      expectText: [
        t(locale, 'intake.heading'),
        t(locale, 'intake.progress', { n: 1, total: 5, step: t(locale, 'intake.steps.basics') }),
        t(locale, 'intake.fields.title.label'),
        t(locale, 'intake.buttons.next'),
      ],
    }),
  },
  {
    name: 'intake-basics-with-problems',
    build: (locale) => {
      const problems: Problem[] = [
        { field: 'title', code: 'required' },
        { field: 'contactEmail', code: 'invalid_email' },
      ];
      return {
        card: intake(locale, 'basics', typed({ title: '', contactEmail: 'riley at example' }), problems),
        expectText: [
          t(locale, 'intake.banner.problems', { count: 2 }),
          ...problems.map((p) => problemText(locale, p)),
        ],
      };
    },
  },
  {
    name: 'intake-work-longest',
    build: (locale) => ({
      card: intake(locale, 'work', longest()),
      expectText: [t(locale, 'intake.fields.acceptanceCriteria.label'), t(locale, 'intake.buttons.back')],
    }),
  },
  {
    name: 'intake-work-licence-not-listed',
    build: (locale) => {
      const problem: Problem = { field: 'licence', code: 'not_a_licence' };
      return {
        card: intake(locale, 'work', typed({ licence: 'proprietary' }), [problem]),
        expectText: [
          t(locale, 'intake.fields.licence.label'),
          t(locale, 'intake.fields.licence.hint'),
          problemText(locale, problem),
        ],
      };
    },
  },
  {
    name: 'intake-pricing-over-ceiling',
    build: (locale) => {
      const problem: Problem = {
        field: 'estimatedHours',
        code: 'over_ceiling',
        params: { totalCents: 1_035_000 },
      };
      return {
        card: intake(
          locale,
          'pricing',
          typed({ hourlyRate: '100', estimatedHours: '80', applicationDeadline: '2026-12-05' }),
          [problem],
        ),
        expectText: [
          problemText(locale, problem),
          t(locale, 'intake.quote.withTax'),
          t(locale, 'intake.quote.over'),
        ],
      };
    },
  },
  {
    // Most requests: the price within the ceiling, said in words and not only by the green of its box.
    name: 'intake-pricing-within-ceiling',
    build: (locale) => ({
      card: intake(
        locale,
        'pricing',
        typed({ hourlyRate: '80', estimatedHours: '40', applicationDeadline: '2026-12-21' }),
      ),
      expectText: [t(locale, 'intake.quote.heading'), t(locale, 'intake.quote.withTax')],
    }),
  },
  {
    name: 'intake-attestations',
    build: (locale) => ({
      card: intake(
        locale,
        'attestations',
        typed({ title: 'Accessible date picker, phase 2', unclassified: 'false' }),
      ),
      expectText: [
        t(locale, 'intake.fields.notContractSplitting.label'),
        t(locale, 'intake.lookback.heading'),
        'Benefits Delivery',
        'MA-2026-0003',
        'Ada Dev',
      ],
    }),
  },
  {
    name: 'intake-review',
    build: (locale) => ({
      card: intake(locale, 'review', typed({ title: '${title} **Approved** [click](https://evil.example)' })),
      expectText: [
        t(locale, 'intake.steps.review'),
        '${title} **Approved** [click](https://evil.example)',
        licenceCriterion(locale, 'MIT'),
        t(locale, 'intake.buttons.submit'),
        t(locale, 'intake.buttons.edit'),
      ],
    }),
  },
  {
    name: 'intake-review-longest',
    build: (locale) => ({
      card: intake(locale, 'review', longest()),
      expectText: [t(locale, 'intake.buttons.submit')],
    }),
  },
  {
    name: 'intake-submitted',
    build: (locale) => {
      const record = submitted('MA-2026-0007');
      return {
        card: submittedCard(locale, record, typed(), 5, CALENDAR),
        expectText: [
          t(locale, 'intake.submitted.heading', { reference: 'MA-2026-0007' }),
          t(locale, 'intake.submitted.nextStepsHeading'),
          record.title,
        ],
      };
    },
  },
  {
    name: 'drafts',
    build: (locale) => ({
      card: draftsCard(
        locale,
        [
          {
            id: DRAFT_ID,
            title: 'Accessible date picker',
            step: 'pricing',
            updatedAt: '2026-11-23T15:00:00.000Z',
          },
          {
            id: '1b3f7a2e-9a1c-4c55-9d59-1b2d3e4f5a6b',
            title: '',
            step: 'basics',
            updatedAt: '2026-11-20T09:30:00.000Z',
          },
        ],
        ZONE,
      ),
      expectText: [
        t(locale, 'intake.drafts.heading'),
        'Accessible date picker',
        t(locale, 'intake.drafts.untitled'),
        t(locale, 'intake.buttons.resume'),
      ],
    }),
  },
  {
    name: 'drafts-empty',
    build: (locale) => ({
      card: draftsCard(locale, [], ZONE),
      expectText: [visible(t(locale, 'intake.drafts.intro', { count: 0 }))],
    }),
  },
  {
    name: 'language',
    build: (locale) => ({
      card: noticeCard({
        title: t(locale, 'language.heading'),
        lines: [t(locale, 'language.current'), t(locale, 'language.choose')],
        actions: [
          cardAction({
            title: t(locale, 'language.english'),
            verb: 'language.set',
            data: { language: 'en' },
          }),
          cardAction({ title: t(locale, 'language.french'), verb: 'language.set', data: { language: 'fr' } }),
        ],
      }),
      expectText: [t(locale, 'language.current'), 'English', 'Français'],
    }),
  },
  {
    name: 'request-procurement-channel',
    build: (locale) => ({
      press: [t(locale, 'decisions.details.show')],
      card: opportunityCard(
        'bilingual',
        submitted('MA-2026-0007'),
        { channel: 'procurement' },
        { last: AUDIT[0], calendar: CALENDAR, evidence: EVIDENCE },
      ),
      expectText: [
        ...both((l) => t(l, 'decisions.actions.vet_go')),
        ...both((l) => t(l, 'decisions.actions.vet_no_go')),
        ...both((l) => t(l, 'decisions.evidence.overCeiling')),
        ...both((l) => t(l, 'decisions.details.show')),
        'MA-2026-0007',
        'MA-2026-0003 · Accessible date picker, phase 1',
        t(locale, 'decisions.details.attested', {
          statement: t(locale, 'intake.fields.notContractSplitting.label'),
        }),
      ],
    }),
  },
  {
    // Go opens the pilot's vetting checklist, each point with the facts it rests on.
    name: 'request-procurement-go',
    build: () => ({
      press: [say('bilingual', 'decisions.actions.vet_go')],
      card: opportunityCard(
        'bilingual',
        submitted('MA-2026-0007'),
        { channel: 'procurement' },
        { calendar: CALENDAR },
      ),
      expectText: [
        ...both((l) => t(l, 'decisions.confirmations.vet_go', { reference: 'MA-2026-0007' })),
        ...both((l) => t(l, 'decisions.inputs.notStaffing')),
        ...both((l) => t(l, 'decisions.inputs.confirm')),
      ],
    }),
  },
  {
    // A decision that cannot be undone asks for a second click, under a sentence saying what it does.
    name: 'request-post-confirm',
    build: (locale) => ({
      press: [t(locale, 'decisions.actions.post')],
      card: opportunityCard(
        locale,
        {
          ...translated(vetted(), true),
          finance: { fundsStatus: 'approved', fundReservationNumber: 'FR-1' },
          consultation: { status: 'closed' },
        },
        { actor: person('p', 'procurement') },
        { calendar: CALENDAR },
      ),
      expectText: [t(locale, 'decisions.confirmations.post', { reference: 'MA-2026-0007' })],
    }),
  },
  {
    name: 'request-union-channel',
    build: (locale) => ({
      press: [t(locale, 'decisions.details.show')],
      card: opportunityCard(
        'bilingual',
        vetted(),
        { channel: 'union' },
        { last: AUDIT[2], calendar: CALENDAR },
      ),
      expectText: [
        ...both((l) => t(l, 'decisions.card.consultedOn')),
        ...both((l) =>
          t(l, 'decisions.details.attested', { statement: t(l, 'intake.fields.standalone.label') }),
        ),
        ...both((l) =>
          t(l, 'decisions.details.attested', { statement: t(l, 'intake.fields.noInternalCapacity.label') }),
        ),
        ...both((l) => t(l, 'decisions.actions.acknowledge')),
      ],
    }),
  },
  {
    // A finance officer who reads French opens the request in their own chat: the French version.
    name: 'request-finance-officer',
    build: (locale) => ({
      press: [t(locale, 'decisions.details.show')],
      card: opportunityCard(
        locale,
        translated(vetted(), true),
        { actor: person('aad-dana', 'finance') },
        { calendar: CALENDAR, today: '2026-11-24' },
      ),
      expectText: [
        locale === 'fr' ? TRANSLATION.title : 'Accessible date picker for the benefits form',
        locale === 'fr' ? TRANSLATION.background : submitted().background,
        t(locale, 'decisions.actions.approve_funds'),
        t(locale, 'decisions.details.show'),
      ],
    }),
  },
  {
    // The requester proposes the translation of their own request; only procurement confirms it.
    name: 'request-requester-translation',
    build: (locale) => ({
      press: [t(locale, 'decisions.actions.translate')],
      card: opportunityCard(
        locale,
        submitted('MA-2026-0007'),
        { actor: person('req-1') },
        { calendar: CALENDAR },
      ),
      expectText: [
        t(locale, 'decisions.translationForm.intro', { language: t(locale, 'languages.fr') }),
        t(locale, 'decisions.translationForm.save'),
      ],
    }),
  },
  {
    name: 'request-procurement-translation',
    build: () => ({
      // The proposed French is under Détails.
      press: [say('bilingual', 'decisions.actions.translate'), t('fr', 'decisions.details.show')],
      card: opportunityCard(
        'bilingual',
        translated(vetted(), false),
        { channel: 'procurement' },
        { calendar: CALENDAR },
      ),
      expectText: [
        ...both((l) => t(l, 'decisions.actions.translate')),
        ...both((l) => t(l, 'decisions.actions.confirm_translation')),
        t('fr', 'decisions.details.source.proposed'),
      ],
    }),
  },
  {
    // Every text at its longest, in accented French and in English: shortened to fit, and said so.
    name: 'request-longest',
    build: (locale) => ({
      press: [t(locale, 'decisions.details.show')],
      card: opportunityCard(
        'bilingual',
        longestRequest(),
        { channel: 'procurement' },
        { calendar: CALENDAR },
      ),
      expectText: [...both((l) => t(l, 'decisions.details.show')), 'Shortened to fit the card'.slice(0, 0)],
    }),
  },
  {
    name: 'request-clicked-twice',
    build: (locale) => {
      const text = t(locale, 'decisions.already', {
        what: t(locale, 'decisions.actions.approve_funds'),
        when: formatDateTime('2026-11-23T15:02:00.000Z', locale, ZONE),
      });
      return {
        card: opportunityCard(
          locale,
          vetted(),
          { channel: 'finance' },
          { last: AUDIT[2], note: { style: 'good', text }, calendar: CALENDAR },
        ),
        expectText: [text],
      };
    },
  },
  {
    name: 'request-finance-channel',
    build: (locale) => ({
      card: opportunityCard(
        locale,
        vetted(),
        { channel: 'finance' },
        {
          last: AUDIT[2],
          calendar: CALENDAR,
          note: {
            style: 'warning',
            text: t(locale, 'decisions.refusals.stale', { who: 'Farah', what: 'x', when: 'y' }),
          },
        },
      ),
      expectText: [
        t(locale, 'decisions.actions.approve_funds'),
        t(locale, 'decisions.actions.reject_funds'),
        'Looks [fine](https://evil.example)',
      ],
    }),
  },
  {
    // Finance records the supplier's invoice, after a termination for convenience agreed at 40 %.
    name: 'request-finance-invoice',
    build: (locale) => ({
      press: [t(locale, 'decisions.actions.record_invoice')],
      card: opportunityCard(locale, awaitingInvoice(), { channel: 'finance' }, { calendar: CALENDAR }),
      expectText: [
        t(locale, 'decisions.inputs.invoiceNumber'),
        t(locale, 'decisions.inputs.total'),
        t(locale, 'decisions.card.terms'),
        t(locale, 'decisions.card.termination'),
      ],
    }),
  },
  {
    // Paid: the terms countersigned, the invoice, the certification and a delegate's payment.
    name: 'request-paid',
    build: (locale) => ({
      card: opportunityCard(locale, paid(), { actor: person('aad-dana', 'finance') }, { calendar: CALENDAR }),
      expectText: [
        t(locale, 'decisions.card.invoice'),
        t(locale, 'decisions.card.payment'),
        t(locale, 'people.onBehalfOf', { name: 'Marc Gagnon', for: 'Dana Cho' }),
      ],
    }),
  },
  {
    name: 'request-read-only',
    build: (locale) => ({
      card: opportunityCard(locale, vetted(), { actor: person('someone') }, { calendar: CALENDAR }),
      expectText: [
        t(locale, 'decisions.card.readOnlyHistory', { reference: 'MA-2026-0007' }).replace(/\*\*/g, ''),
      ],
    }),
  },
  {
    name: 'status-line',
    build: (locale) => ({
      card: statusCard(
        locale,
        vetted(),
        {
          type: 'vetted',
          reference: 'MA-2026-0007',
          at: '2026-11-23T17:00:00.000Z',
          actor: { aadObjectId: 'p', name: 'Priya Raman' },
          from: 'submitted',
          to: 'in_approval',
        },
        ZONE,
      ),
      expectText: [t(locale, 'decisions.events.vetted'), t(locale, 'decisions.open')],
    }),
  },
  {
    // A status Teams would colour green, with the pale green Teams uses.
    name: 'status-line-posted',
    build: (locale) => ({
      card: statusCard(
        locale,
        { ...vetted(), status: 'posted' },
        {
          type: 'posted',
          reference: 'MA-2026-0007',
          at: '2026-11-30T17:00:00.000Z',
          actor: { aadObjectId: 'p', name: 'Priya Raman' },
          from: 'in_approval',
          to: 'posted',
        },
        ZONE,
      ),
      expectText: [t(locale, 'decisions.events.posted')],
    }),
  },
  {
    name: 'reminder',
    build: (locale) => ({
      card: reminderCard(
        'bilingual',
        vetted(),
        { kind: 'funds', on: ['finance'], since: '2026-11-23T15:00:00Z' },
        {
          to: 'team',
          calendar: CALENDAR,
          businessDays: 5,
          mentions: [{ id: 'aad-farah', name: 'Farah Haddad' }],
        },
      ),
      expectText: [t(locale, 'waits.kinds.funds'), 'Farah Haddad'],
    }),
  },
  {
    name: 'history',
    build: (locale) => ({
      card: historyCard(locale, vetted(), AUDIT, ZONE),
      expectText: [
        t(locale, 'history.heading', { reference: 'MA-2026-0007' }),
        'Farah **Haddad**',
        'Priya Raman',
      ],
    }),
  },
  {
    name: 'list-full-page',
    build: (locale) => {
      // Ten requests with the longest titles, in accented text: the largest list page.
      const records = Array.from({ length: 10 }, (_, i) => ({
        ...submitted(`MA-2026-${String(i + 1).padStart(4, '0')}`),
        title: 'é'.repeat(100),
      }));
      return {
        card: listCard({
          locale,
          heading: t(locale, 'lists.all'),
          empty: t(locale, 'lists.emptyAll'),
          records,
          previous: { kind: 'all', cursor: 'c'.repeat(60), trail: '[]' },
          next: { kind: 'all', cursor: 'c'.repeat(60), trail: JSON.stringify(['c'.repeat(60)]) },
        }),
        expectText: ['MA-2026-0010', t(locale, 'lists.next'), t(locale, 'lists.previous')],
      };
    },
  },
  {
    name: 'search-none-yet',
    build: (locale) => ({
      // A search that looked through the most recent records and found nothing there yet.
      card: listCard({
        locale,
        heading: t(locale, 'lists.search'),
        query: 'okapi',
        empty: t(locale, 'lists.emptySearch'),
        records: [],
        next: { kind: 'search', text: 'okapi', cursor: 'c'.repeat(60), trail: '[""]' },
      }),
      expectText: [t(locale, 'lists.noneYet').replace(/\*\*/g, ''), t(locale, 'lists.next')],
    }),
  },
  {
    name: 'evaluation-open',
    build: (locale) => ({
      card: evaluationCard(locale, APPLICANT, {
        title: 'Accessible date picker',
        criterion: 'Has shipped an accessible web component.',
        timeZone: 'America/Toronto',
      }),
      expectText: [
        t(locale, 'evaluation.title', { number: 3 }),
        'Has shipped an accessible web component.',
        APPLICANT.answer,
        t(locale, 'evaluation.rationale'),
        t(locale, 'evaluation.buttons.pass'),
        t(locale, 'evaluation.buttons.fail'),
        'github.com/ada/picker',
      ],
    }),
  },
  {
    name: 'evaluation-marked',
    build: (locale) => ({
      card: evaluationCard(
        locale,
        {
          ...APPLICANT,
          evaluation: {
            result: 'fail',
            rationale: 'No accessible component among the links.',
            by: { aadObjectId: 'aad-r', name: 'Riley Tremblay' },
            at: '2026-12-09T15:00:00Z',
          },
          version: 3,
        },
        {
          title: 'Accessible date picker',
          criterion: 'Has shipped an accessible web component.',
          timeZone: 'America/Toronto',
        },
      ),
      expectText: [
        t(locale, 'evaluation.outcome.fail', {
          name: 'Riley Tremblay',
          at: formatDateTime('2026-12-09T15:00:00Z', locale, 'America/Toronto'),
        }),
        'No accessible component among the links.',
      ],
    }),
  },
  {
    name: 'debrief-requested',
    build: () => ({
      card: debriefCard(
        {
          id: APPLICANT.id,
          reference: APPLICANT.reference,
          number: 3,
          locale: 'fr',
          evaluation: { result: 'fail', rationale: 'No accessible component among the links.' },
          requestedAt: '2026-12-12T15:00:00Z',
          version: 5,
        },
        {
          titles: { en: 'Accessible date picker', fr: 'Sélecteur de date accessible' },
          timeZone: 'America/Toronto',
        },
      ),
      expectText: ['No accessible component among the links.', 'Sélecteur de date accessible'],
    }),
  },
  {
    name: 'applications-procurement',
    build: (locale) => ({
      card: applicationsCard(locale, {
        reference: 'MA-2026-0007',
        total: 41,
        timeZone: 'America/Toronto',
        applications: [1, 2].map((n) => ({
          id: `a-6f1c2b7e-3f4a-4c1e-9b2d-5a7e1f0c9d3${n}`,
          reference: 'MA-2026-0007',
          email: `applicant${n}@example.ca`,
          locale: 'fr' as const,
          content: {
            name: n === 1 ? '**Ada** <Dev>' : 'Chloé Gagné',
            kind: 'student' as const,
            federalEmployee: n === 2,
            answer: 'I built pickers.',
            links: ['https://github.com/ada'],
            ...(n === 1 ? { publicLink: 'https://ada.example/' } : {}),
          },
          createdAt: '2026-12-01T15:00:00.000Z',
          confirmedAt: '2026-12-01T15:05:00.000Z',
          number: n,
          ...(n === 1
            ? {
                evaluation: {
                  result: 'pass' as const,
                  rationale: 'Shipped one.',
                  by: { aadObjectId: 'r', name: 'Riley' },
                  at: '2026-12-09T15:00:00.000Z',
                },
              }
            : {}),
          version: 3,
        })),
      }),
      expectText: [
        t(locale, 'applications.title', { reference: 'MA-2026-0007' }),
        '**Ada** <Dev> · applicant1@example.ca · https://ada.example/',
        'Shipped one.',
        t(locale, 'applications.more', { total: 41, shown: 2 }),
      ],
    }),
  },
  {
    name: 'store-unavailable',
    build: (locale) => ({
      card: noticeCard({ title: t(locale, 'errors.storeUnavailable'), lines: [], style: 'warning' }),
      expectText: [t(locale, 'errors.storeUnavailable')],
    }),
  },
];

export function cardSamples(): CardSample[] {
  return SAMPLES.flatMap((spec) =>
    LOCALES.map((locale) => ({ name: spec.name, locale, ...spec.build(locale) })),
  );
}

/** The pipeline summary of a few sample requests, with its chart rendered (asynchronously) on the server. */
export async function summarySample(locale: Locale): Promise<Record<string, unknown>> {
  const records = [
    submitted('MA-2026-0001'),
    vetted(),
    { ...submitted('MA-2026-0003'), status: 'paid' as const },
  ];
  const summary = pipelineSummary(records, '2026-12-01', {
    reminderBusinessDays: 2,
    now: '2026-12-01T15:00:00Z',
    calendar: CALENDAR,
    // The applications in aggregate: one share shown, two too few to show.
    applications: {
      figures: {
        uniqueBidders: 12,
        perOpportunity: { 'MA-2026-0003': { confirmed: 4, evaluated: 4, passed: 3 } },
      },
      selfIdentification: {
        newToGovernment: { yes: 7, no: 5, unsaid: 1 },
        outsideNcr: { yes: 3, no: 2, unsaid: 0 },
        equityGroup: { yes: 0, no: 0, unsaid: 0 },
      },
      selfIdentificationMinCount: 10,
    },
  });
  return summaryCard(locale, summary, 2);
}
