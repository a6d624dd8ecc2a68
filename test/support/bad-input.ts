import { type Locale, type MessageKey, t } from '../../src/i18n';
import { FIELDS, type FieldName, FIELD_NAMES, fieldsOf } from '../../src/services/intake';
import { typed } from './opportunities';
import { activity, PEOPLE, CHECKED } from './teams';

/**
 * Malformed requests and payloads, generated from tables: each case is what reaches /api/messages and
 * what must come back. Never a 5xx, never a stack trace: a 4xx before any turn runs, or a card that says
 * what is wrong, that the action is not available, or that the request does not exist, in the person's
 * language; what a person typed is shown back as typed, or refused next to its field.
 */

/** What the bot under test holds before the corpus runs. */
export interface CorpusContext {
  readonly serviceUrl: string;
  /** A draft of PEOPLE.requester, at its first step. */
  readonly draftId: string;
  /** PEOPLE.requester's request, just submitted (version 1). */
  readonly submitted: string;
  /** A request posted, its applications open until 7 December 2026. */
  readonly posted: string;
  /** A request closed for applications, awaiting their evaluation. */
  readonly closed: string;
}

export type Expected =
  /** Refused before any turn runs. */
  | { readonly status: 400 | 413 | 415 }
  /** A card whose text holds this. */
  | { readonly status: 200; readonly says: string }
  /** The typed text, shown back exactly (in an input or a text run), or an error under `field`. */
  | { readonly status: 200; readonly shows: string; readonly field?: FieldName }
  /** Fields that only take a well-formed value: an error under the field. */
  | { readonly status: 200; readonly refuses: FieldName }
  /** The compose box's search: an answer listing what was found. */
  | { readonly status: 200; readonly results: true };

export interface BadInput {
  readonly name: string;
  readonly category: 'transport' | 'activity' | 'card data' | 'injection';
  /** Undefined sends no content type at all. */
  readonly contentType: string | undefined;
  readonly body: (ctx: CorpusContext) => string | Buffer;
  readonly expect: Expected;
  /** The verb the case sends card data to, to show that every routed verb is covered. */
  readonly verb?: string;
}

const JSON_TYPE = 'application/json';
type Json = Record<string, unknown>;
type Who = { id: string; aadObjectId: string; name: string };
interface Sender {
  readonly locale?: string;
  readonly from?: Who;
}

const localeOf = (s: Sender): Locale => (s.locale?.startsWith('fr') ? 'fr' : 'en');
const says = (s: Sender, key: MessageKey, params: Record<string, string> = {}): Expected => ({
  status: 200,
  says: t(localeOf(s), key, params),
});

/** Someone who has never used the bot: starting requests never runs into the limit of drafts. */
let newcomers = 0;
const newcomer = (): Who => {
  const n = ++newcomers;
  return { id: `29:newcomer-${n}`, aadObjectId: `aad-newcomer-${n}`, name: `Newcomer ${n}` };
};

const message = (ctx: CorpusContext, text: string, s: Sender = {}, extra: Json = {}): Json =>
  activity('message', { serviceUrl: ctx.serviceUrl, ...s }, { text, ...extra });
const invoke = (ctx: CorpusContext, name: string, value: unknown, s: Sender = {}): Json =>
  activity('invoke', { serviceUrl: ctx.serviceUrl, ...s }, { name, value });
const cardClick = (ctx: CorpusContext, verb: string, data: unknown, s: Sender = {}): Json =>
  invoke(ctx, 'adaptiveCard/action', { action: { type: 'Action.Execute', verb, data } }, s);
/** JSON with a value JSON can hold but JavaScript cannot write, such as 1e309: put in place of a mark. */
const withRaw = (value: unknown, mark: string, raw: string) =>
  JSON.stringify(value).replace(JSON.stringify(mark), raw);
const json = (build: (ctx: CorpusContext) => unknown) => (ctx: CorpusContext) => JSON.stringify(build(ctx));

// ---------------------------------------------------------------------------------------------------
// Transport: what is not a JSON activity never reaches botbuilder.

const help = (ctx: CorpusContext) => message(ctx, 'help');

const transport: BadInput[] = [
  ...(
    [
      ['text that is not JSON', 'hello bot'],
      ['truncated JSON', '{"type":"message","text":"hel'],
      ['a JSON array', '[{"type":"message"}]'],
      ['a JSON number', '42'],
      ['JSON null', 'null'],
      ['a JSON string', '"message"'],
      ['JSON true', 'true'],
      ['an empty body', ''],
      ['a body of blanks', ' \n\t '],
      ['JSON with a trailing comma', '{"type":"message",}'],
      ['JSON with single quotes', "{'type':'message'}"],
      ['JSON with comments', '{/* hi */"type":"message"}'],
      ['two JSON documents', '{"type":"message"}{"type":"message"}'],
      ['NaN as a bare word', '{"type":"message","text":NaN}'],
    ] as const
  ).map(([what, body]): BadInput => ({
    name: `refuses ${what} with 400`,
    category: 'transport',
    contentType: JSON_TYPE,
    body: () => body,
    expect: { status: 400 },
  })),
  ...(
    [
      ['text/plain', 'text/plain'],
      ['form-urlencoded', 'application/x-www-form-urlencoded'],
      ['multipart', 'multipart/form-data; boundary=b'],
      ['XML', 'application/xml'],
      ['JSON Patch', 'application/json-patch+json'],
      ['a made-up type', 'application/x-microacq'],
      ['no content type', undefined],
    ] as const
  ).map(([what, contentType]): BadInput => ({
    name: `refuses an activity sent as ${what} with 415`,
    category: 'transport',
    contentType,
    body: (ctx) =>
      contentType === 'application/x-www-form-urlencoded'
        ? `type=message&text=help&serviceUrl=${encodeURIComponent(ctx.serviceUrl)}`
        : contentType?.startsWith('multipart/')
          ? `--b\r\nContent-Disposition: form-data; name="activity"\r\n\r\n${JSON.stringify(help(ctx))}\r\n--b--\r\n`
          : JSON.stringify(help(ctx)),
    expect: { status: 415 },
  })),
  {
    name: 'refuses a 10 MB body with 413 without reading it',
    category: 'transport',
    contentType: JSON_TYPE,
    body: (ctx) => {
      const head = JSON.stringify(help(ctx)).slice(0, -1);
      return Buffer.concat([
        Buffer.from(`${head},"pad":"`),
        Buffer.alloc(10 * 1024 * 1024, 'a'),
        Buffer.from('"}'),
      ]);
    },
    expect: { status: 413 },
  },
  {
    name: 'refuses a body just over the limit with 413',
    category: 'transport',
    contentType: JSON_TYPE,
    body: (ctx) => JSON.stringify({ ...help(ctx), text: `help ${'x'.repeat(300 * 1024)}` }),
    expect: { status: 413 },
  },
  ...(
    [
      ['a byte that is never UTF-8', [0xff]],
      ['a cut-off two-byte character', [0xc3]],
      ['an overlong slash', [0xc0, 0xaf]],
      ['an encoded surrogate', [0xed, 0xa0, 0x80]],
      ['a code point past U+10FFFF', [0xf4, 0x90, 0x80, 0x80]],
    ] as const
  ).map(([what, bytes]): BadInput => ({
    name: `refuses a body with ${what} (invalid UTF-8) with 400`,
    category: 'transport',
    contentType: JSON_TYPE,
    body: (ctx) => {
      const [head, tail] = JSON.stringify(message(ctx, 'help MARK')).split('MARK');
      return Buffer.concat([Buffer.from(head ?? ''), Buffer.from(bytes), Buffer.from(tail ?? '')]);
    },
    expect: { status: 400 },
  })),
  {
    name: 'refuses an activity in UTF-16 with 400',
    category: 'transport',
    contentType: JSON_TYPE,
    body: (ctx) => Buffer.from(`\ufeff${JSON.stringify(help(ctx))}`, 'utf16le'),
    expect: { status: 400 },
  },
  {
    name: 'reads an activity that starts with a byte order mark',
    category: 'transport',
    contentType: `${JSON_TYPE}; charset=utf-8`,
    body: (ctx) => `\ufeff${JSON.stringify(help(ctx))}`,
    expect: says({}, 'help.title'),
  },
  ...(
    [
      ['arrays', (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`],
      ['objects', (n: number) => `${'{"a":'.repeat(n)}1${'}'.repeat(n)}`],
    ] as const
  ).flatMap(([what, nest]) =>
    [100, 10_000].map((depth): BadInput => ({
      name: `refuses ${depth} nested ${what} in an activity with 400`,
      category: 'transport',
      contentType: JSON_TYPE,
      body: (ctx) => withRaw({ ...help(ctx), value: 'MARK' }, 'MARK', nest(depth)),
      expect: { status: 400 },
    })),
  ),
];

// ---------------------------------------------------------------------------------------------------
// Activity shape: the fields botbuilder and the bot read must be there, with their types.

const REQUIRED = ['type', 'from', 'recipient', 'conversation', 'serviceUrl', 'channelId'] as const;
const TYPED = [...REQUIRED, 'locale', 'text', 'entities', 'channelData', 'membersAdded'] as const;
const WRONG_VALUES: readonly (readonly [string, unknown])[] = [
  ['a number', 42],
  ['a boolean', true],
  ['an array of numbers', [1]],
  ['an object', { $ne: null }],
];

const activityShape: BadInput[] = [
  ...REQUIRED.map((field): BadInput => ({
    name: `refuses an activity without ${field} with 400`,
    category: 'activity',
    contentType: JSON_TYPE,
    body: json((ctx) => ({ ...help(ctx), [field]: undefined })),
    expect: { status: 400 },
  })),
  ...TYPED.flatMap((field) =>
    // Teams' channelData is an object of any shape.
    WRONG_VALUES.filter(([, v]) => field !== 'channelData' || Array.isArray(v) || typeof v !== 'object').map(
      ([what, value]): BadInput => ({
        name: `refuses an activity whose ${field} is ${what} with 400`,
        category: 'activity',
        contentType: JSON_TYPE,
        body: json((ctx) => ({ ...help(ctx), [field]: value })),
        expect: { status: 400 },
      }),
    ),
  ),
  ...(
    [
      ['a script URL', 'javascript:alert(1)'],
      ['a file URL', 'file:///etc/passwd'],
      ['words', 'not a url'],
    ] as const
  ).map(([what, url]): BadInput => ({
    name: `refuses an activity whose serviceUrl is ${what} with 400`,
    category: 'activity',
    contentType: JSON_TYPE,
    body: json((ctx) => ({ ...help(ctx), serviceUrl: url })),
    expect: { status: 400 },
  })),
  ...(['from', 'conversation'] as const).map((field): BadInput => ({
    name: `refuses an activity whose ${field} has an empty id with 400`,
    category: 'activity',
    contentType: JSON_TYPE,
    body: json((ctx) => ({ ...help(ctx), [field]: { ...(help(ctx)[field] as Json), id: '' } })),
    expect: { status: 400 },
  })),
  ...['bogus', 'Message', '__proto__', 'message ', 'invoke/adaptiveCard'].map((type): BadInput => ({
    name: `refuses an activity of the unknown type "${type}" with 400`,
    category: 'activity',
    contentType: JSON_TYPE,
    body: json((ctx) => ({ ...help(ctx), type })),
    expect: { status: 400 },
  })),
  ...[
    'bogus/thing',
    'task/fetch',
    'composeExtension/fetchTask',
    'signin/verifyState',
    'adaptiveCard/action ',
  ].map((name): BadInput => ({
    name: `refuses the invoke "${name}", which this bot does not take, with 400`,
    category: 'activity',
    contentType: JSON_TYPE,
    body: json((ctx) => invoke(ctx, name, {})),
    expect: { status: 400 },
  })),
  ...(
    [
      ['no value', undefined],
      ['a value that is text', 'decide'],
      ['no action', {}],
      ['a null action', { action: null }],
      ['an action without a type', { action: { verb: 'help.show' } }],
      ['a verb that is a number', { action: { type: 'Action.Execute', verb: 42 } }],
      ['an Action.Submit', { action: { type: 'Action.Submit', verb: 'help.show' } }],
    ] as const
  ).map(([what, value]): BadInput => ({
    name: `refuses a card action with ${what} with 400`,
    category: 'activity',
    contentType: JSON_TYPE,
    body: json((ctx) => invoke(ctx, 'adaptiveCard/action', value)),
    expect: { status: 400 },
  })),
  ...(
    [
      ['no value', undefined],
      ['no answer', {}],
      ['an answer that is neither accept nor decline', { action: 'maybe' }],
      ['a value that is text', 'accept'],
    ] as const
  ).map(([what, value]): BadInput => ({
    name: `refuses a file consent answer with ${what} with 400`,
    category: 'activity',
    contentType: JSON_TYPE,
    body: json((ctx) => invoke(ctx, 'fileConsent/invoke', value)),
    expect: { status: 400 },
  })),
  ...(
    [
      ['parameters that are text', { parameters: 'query' }],
      ['a null parameter', { parameters: [null] }],
      ['a query that is an object', { parameters: [{ name: 'query', value: { $ne: '' } }] }],
      ['no parameters', {}],
    ] as const
  ).map(([what, value]): BadInput => ({
    name: `answers a compose-box search with ${what} with a list`,
    category: 'activity',
    contentType: JSON_TYPE,
    body: json((ctx) => invoke(ctx, 'composeExtension/query', value)),
    expect: { status: 200, results: true },
  })),
  ...(
    [
      ['an empty verb', ''],
      ['an unknown verb', 'bogus'],
      ['a verb in capitals', 'DECIDE'],
      ['a verb with a trailing space', 'decide '],
      ['a prototype name as verb', '__proto__'],
      ['"constructor" as verb', 'constructor'],
      ['"toString" as verb', 'toString'],
    ] as const
  ).flatMap(([what, verb]) =>
    [{}, { locale: 'fr-CA' }].flatMap((s): BadInput[] => [
      {
        name: `says a button is no longer available for ${what} (${localeOf(s)})`,
        category: 'activity',
        contentType: JSON_TYPE,
        body: json((ctx) => cardClick(ctx, verb, {}, s)),
        expect: says(s, 'unknownAction.text'),
      },
      {
        name: `says a button is no longer available for ${what} sent as Action.Submit (${localeOf(s)})`,
        category: 'activity',
        contentType: JSON_TYPE,
        body: json((ctx) => message(ctx, '', s, { text: undefined, value: { verb } })),
        expect: says(s, 'unknownAction.text'),
      },
    ]),
  ),
];

// ---------------------------------------------------------------------------------------------------
// Card data: what a forged or stale button sends to every verb.

/** What each verb answers to card data it cannot use. */
const UNUSABLE: Readonly<Record<string, MessageKey>> = {
  'help.show': 'help.title',
  'list.page': 'unknownAction.text',
  decide: 'unknownAction.text',
  'card.refresh': 'unknownAction.text',
  'intake.new': 'intake.heading',
  'intake.drafts': 'intake.drafts.heading',
  'intake.resume': 'intake.drafts.notFound',
  'intake.next': 'intake.drafts.notFound',
  'intake.back': 'intake.drafts.notFound',
  'intake.edit': 'intake.drafts.notFound',
  'intake.discard': 'intake.drafts.notFound',
  'intake.submit': 'intake.drafts.notFound',
  'intake.revise': 'intake.revise.notNow',
  'language.set': 'language.heading',
  'question.answer': 'unknownAction.text',
  'question.decline': 'unknownAction.text',
  'application.evaluate': 'unknownAction.text',
  'debrief.send': 'unknownAction.text',
};
export const CORPUS_VERBS = Object.keys(UNUSABLE);

const TAMPERED: readonly (readonly [string, (ctx: CorpusContext) => unknown])[] = [
  ['no data', () => ({})],
  ['data that is text', () => 'MA-2026-0001'],
  ['data that is an array', () => ['MA-2026-0001']],
  ['numbers for identifiers', () => ({ draftId: 42, reference: 1, version: 1, action: 7, kind: 3 })],
  ['arrays for identifiers', (c) => ({ draftId: [c.draftId], reference: [c.submitted], kind: ['all'] })],
  ['operator objects for identifiers', () => ({ draftId: { $ne: null }, reference: { $gt: '' } })],
  ['100,000-character identifiers', () => ({ draftId: 'x'.repeat(100_000), reference: 'M'.repeat(100_000) })],
  [
    'a draft and a request that do not exist',
    () => ({
      draftId: '6f1c1f0e-0000-4000-8000-000000000000',
      reference: 'MA-2026-9999',
      version: '1',
      action: 'cancel',
    }),
  ],
  [
    'SQL in the identifiers',
    (c) => ({ draftId: `${c.draftId}' OR 1=1--`, reference: `${c.submitted}' OR 1=1`, version: '1' }),
  ],
  ['a prototype key', () => JSON.parse('{"__proto__":{"admin":true},"constructor":{"prototype":{}}}')],
];

const tamperedData: BadInput[] = CORPUS_VERBS.flatMap((verb) =>
  TAMPERED.map(([what, data], i): BadInput => {
    // Half of each verb's cases come from a French client; starting requests, from newcomers.
    const sender = (): Sender => ({
      ...(i % 2 ? { locale: 'fr-CA' } : {}),
      ...(verb === 'intake.new' ? { from: newcomer() } : {}),
    });
    const s = sender();
    return {
      name: `answers ${verb} with ${what} with a clear card (${localeOf(s)})`,
      category: 'card data',
      contentType: JSON_TYPE,
      verb,
      body: json((ctx) => cardClick(ctx, verb, data(ctx), s)),
      expect:
        what === 'a draft and a request that do not exist' && (verb === 'decide' || verb === 'card.refresh')
          ? says(s, 'decisions.refusals.notFound', { reference: 'MA-2026-9999' })
          : says(s, UNUSABLE[verb] as MessageKey),
    };
  }),
);

const decideWith = (data: (ctx: CorpusContext) => Json, s: Sender) =>
  json((ctx) => cardClick(ctx, 'decide', data(ctx), s));

/**
 * A click that sends a decision's form, its inputs named as the form names them (`<form>.<input>`),
 * on version 1 of a request of the corpus.
 */
const formClick = (
  request: (ctx: CorpusContext) => string,
  action: string,
  form: string,
  inputs: Json,
  s: Sender,
) =>
  decideWith(
    (c) => ({
      reference: request(c),
      version: '1',
      action,
      ...Object.fromEntries(Object.entries(inputs).map(([k, v]) => [`${form}.${k}`, v])),
    }),
    s,
  );

const BOTH: readonly Sender[] = [{}, { locale: 'fr-CA' }];

/** The go form's checklist, every point ticked, its inputs by name. */
const TICKED: Json = Object.fromEntries(
  Object.entries(CHECKED).map(([id, v]) => [id.replace('vet_go.', ''), v]),
);

/** Every point of the go form ticked but one, which holds what a forged card sent instead. */
const FORGED_TICKS: readonly (readonly [string, unknown])[] = [
  ['"yes"', 'yes'],
  ['"TRUE"', 'TRUE'],
  ['a list', ['true']],
  ['an object', { value: 'true' }],
  ['the number 1', 1],
  ['left out', undefined],
];

/** Translations no form holds: the title too long, or not text at all. */
const FORGED_TRANSLATIONS: readonly (readonly [string, unknown])[] = [
  ['5,000 characters long', 'é'.repeat(5_000)],
  ['100 KB long', 'x'.repeat(100_000)],
  ['a list', ['Titre']],
  ['an object', { fr: 'Titre' }],
  ['the boolean true', true],
];

const tamperedDecisions: BadInput[] = [
  ...(['0', '-1', 'MARK', '"abc"', '1.5', '[1]', 'null', '""', '" 1 "', '"0x1"', 'true'] as const).map(
    (version): BadInput => ({
      name: `refuses a decision on version ${version === 'MARK' ? '1e309' : version} as no longer available`,
      category: 'card data',
      contentType: JSON_TYPE,
      verb: 'decide',
      body: (ctx) =>
        withRaw(
          cardClick(ctx, 'decide', { reference: ctx.submitted, version: 'V', action: 'cancel' }),
          'V',
          version === 'MARK' ? '1e309' : version,
        ),
      expect: says({}, 'unknownAction.text'),
    }),
  ),
  ...['delete', 'DROP TABLE', 'approve', '__proto__', 'vet_go; cancel'].map((action): BadInput => ({
    name: `refuses the made-up action "${action}" as no longer available`,
    category: 'card data',
    contentType: JSON_TYPE,
    verb: 'decide',
    body: decideWith((c) => ({ reference: c.submitted, version: '1', action }), {}),
    expect: says({}, 'unknownAction.text'),
  })),
  ...[{}, { locale: 'fr-CA' }].map((s): BadInput => ({
    name: `tells the requester only procurement may vet their request (${localeOf(s)})`,
    category: 'card data',
    contentType: JSON_TYPE,
    verb: 'decide',
    body: decideWith((c) => ({ reference: c.submitted, version: '1', action: 'vet_go', ...CHECKED }), s),
    expect: says(s, 'decisions.refusals.role', { who: t(localeOf(s), 'decisions.refusals.who.procurement') }),
  })),
  ...(
    [
      ['approve_funds', PEOPLE.requester, {}],
      ['close_consultation', PEOPLE.requester, { locale: 'fr-CA' }],
      ['pay', PEOPLE.finance, {}],
      ['post', PEOPLE.procurement, { locale: 'fr-CA' }],
      ['certify', PEOPLE.finance, {}],
      ['record_evaluation', PEOPLE.procurement, {}],
    ] as const
  ).map(([action, from, where]): BadInput => ({
    name: `says ${action} does not apply to a request just submitted (${localeOf(where)})`,
    category: 'card data',
    contentType: JSON_TYPE,
    verb: 'decide',
    body: decideWith((c) => ({ reference: c.submitted, version: '1', action }), { ...where, from }),
    expect: says(where, 'decisions.refusals.wrong_state', {
      status: t(localeOf(where), 'statuses.submitted'),
    }),
  })),
  // Dates typed into the forms that move them: refused next to what was typed, in the person's language.
  ...(
    [
      ['the 30th of February', '2026-02-30'],
      ['words', 'next friday'],
      ['in the North American order', '12/14/2026'],
      ['a 10,000-character word', 'x'.repeat(10_000)],
      ['empty', ''],
    ] as const
  ).flatMap(([what, date]) =>
    [{}, { locale: 'fr-CA' }].map((s): BadInput => ({
      name: `refuses a changed deadline that is ${what}, naming the field (${localeOf(s)})`,
      category: 'card data',
      contentType: JSON_TYPE,
      verb: 'decide',
      body: formClick(
        (c) => c.submitted,
        'amend_dates',
        'amend_dates',
        { applicationDeadline: date, supplierSelectionDate: '2026-12-16', deliveryDate: '2027-02-05' },
        s,
      ),
      expect: says(s, 'decisions.refusals.invalid_input', {
        fields: t(localeOf(s), 'decisions.inputs.applicationDeadline'),
      }),
    })),
  ),
  ...[{}, { locale: 'fr-CA' }].map((s): BadInput => ({
    name: `refuses changed dates that break the intake's rules, saying which (${localeOf(s)})`,
    category: 'card data',
    contentType: JSON_TYPE,
    verb: 'decide',
    body: formClick(
      (c) => c.submitted,
      'amend_dates',
      'amend_dates',
      { applicationDeadline: '2026-11-20', supplierSelectionDate: '2026-11-25', deliveryDate: '2027-02-05' },
      s,
    ),
    expect: says(s, 'decisions.guards.content_rules', { problems: '' }),
  })),
  ...(
    [
      ['the deadline in force', '2026-12-07'],
      ['earlier than the deadline in force', '2026-12-01'],
    ] as const
  ).flatMap(([what, date]) =>
    [{}, { locale: 'fr-CA' }].map((s): BadInput => ({
      name: `refuses extending applications to ${what} (${localeOf(s)})`,
      category: 'card data',
      contentType: JSON_TYPE,
      verb: 'decide',
      body: formClick(
        (c) => c.posted,
        'extend_applications',
        'extend_applications',
        { applicationDeadline: date, supplierSelectionDate: '2026-12-16' },
        { ...s, from: PEOPLE.procurement },
      ),
      expect: says(s, 'decisions.guards.deadline_not_later'),
    })),
  ),
  ...[{}, { locale: 'fr-CA' }].map((s): BadInput => ({
    name: `tells a requester that only procurement extends applications (${localeOf(s)})`,
    category: 'card data',
    contentType: JSON_TYPE,
    verb: 'decide',
    body: formClick(
      (c) => c.posted,
      'extend_applications',
      'extend_applications',
      { applicationDeadline: '2026-12-14', supplierSelectionDate: '2026-12-16' },
      s,
    ),
    expect: says(s, 'decisions.refusals.role', {
      who: t(localeOf(s), 'decisions.refusals.who.procurement'),
    }),
  })),
  // The evaluation's counts come from the applicants' marks: counts sent from a card, whatever they
  // are, are refused before they are read.
  ...(
    [
      ['negative', '-3'],
      ['not a number', 'NaN'],
      ['1e308', '1e308'],
      ['grouped by commas', '1,000,000,000'],
      ['infinite', 'Infinity'],
      ['hexadecimal', '0x10'],
      ['SQL', "3'; DROP TABLE opportunities; --"],
      ['plausible', '3'],
    ] as const
  ).map(([what, count]): BadInput => ({
    name: `refuses evaluation counts sent from a card (${what}): only the marks make them`,
    category: 'card data',
    contentType: JSON_TYPE,
    verb: 'decide',
    body: decideWith(
      (c) => ({
        reference: c.closed,
        version: '1',
        action: 'record_evaluation',
        'record_evaluation.applications': count,
        'record_evaluation.passed': '1',
      }),
      { from: PEOPLE.procurement },
    ),
    expect: {
      status: 200,
      says: t('en', 'decisions.refusals.role', { who: t('en', 'decisions.refusals.who.system') }),
    },
  })),
  // Go with a point of the vetting checklist not ticked as the form ticks it: refused, the rule said.
  ...FORGED_TICKS.flatMap(([what, value]) =>
    BOTH.map((s): BadInput => ({
      name: `refuses go when a point of the checklist is ${what}, saying every point must be ticked (${localeOf(s)})`,
      category: 'card data',
      contentType: JSON_TYPE,
      verb: 'decide',
      body: formClick(
        (c) => c.submitted,
        'vet_go',
        'vet_go',
        { ...TICKED, notStaffing: value },
        { ...s, from: PEOPLE.procurement },
      ),
      expect: says(s, 'decisions.guards.vetting_checklist_incomplete'),
    })),
  ),
  // A proposed translation whose title no form would send: refused, the field named.
  ...FORGED_TRANSLATIONS.flatMap(([what, title]) =>
    BOTH.map((s): BadInput => ({
      name: `refuses a translated title that is ${what}, naming the field (${localeOf(s)})`,
      category: 'card data',
      contentType: JSON_TYPE,
      verb: 'decide',
      body: formClick((c) => c.submitted, 'translate', 'translate', { title, background: 'Contexte' }, s),
      expect: says(s, 'decisions.refusals.invalid_input', {
        fields: t(localeOf(s), 'decisions.inputs.title'),
      }),
    })),
  ),
  ...BOTH.map((s): BadInput => ({
    name: `refuses confirming a translation before the request is vetted, saying where it stands (${localeOf(s)})`,
    category: 'card data',
    contentType: JSON_TYPE,
    verb: 'decide',
    body: formClick((c) => c.submitted, 'confirm_translation', 'translate', { title: 'Titre' }, s),
    expect: says(s, 'decisions.refusals.wrong_state', {
      status: t(localeOf(s), 'statuses.submitted'),
    }),
  })),
];

/** A step's values as the intake card would send them, with `changes` typed over them. */
function stepClick(ctx: CorpusContext, field: FieldName, changes: Json, s: Sender): Json {
  const step = FIELDS[field].step;
  const values = Object.fromEntries(fieldsOf(step).map((f) => [f, typed()[f] ?? '']));
  return cardClick(ctx, 'intake.next', { draftId: ctx.draftId, step, ...values, ...changes }, s);
}

const AMOUNTS: readonly (readonly [string, unknown])[] = [
  ['negative', '-80'],
  ['a negative number', -80],
  ['zero', '0'],
  ['not a number', 'NaN'],
  ['infinite', 'Infinity'],
  ['1e308', '1e308'],
  ['1e308 as a number', 1e308],
  ['a billion grouped by commas', '1,000,000,000'],
  ['hexadecimal', '0x50'],
  ['words', 'eighty'],
  ['an array', [80]],
  ['an object', { amount: 80 }],
];

const tamperedAmounts: BadInput[] = (['hourlyRate', 'estimatedHours'] as const).flatMap((field) =>
  AMOUNTS.map(([what, value], i): BadInput => ({
    name: `refuses ${field === 'hourlyRate' ? 'an hourly rate' : 'hours'} that are ${what}, under the field`,
    category: 'card data',
    contentType: JSON_TYPE,
    verb: 'intake.next',
    body: json((ctx) => stepClick(ctx, field, { [field]: value }, i % 3 === 0 ? { locale: 'fr-CA' } : {})),
    expect: { status: 200, refuses: field },
  })),
);

const tamperedSteps: BadInput[] = [
  ...['submitted', 'REVIEW', '../basics', '__proto__'].map((step): BadInput => ({
    name: `keeps the draft's own step when a card names the step "${step}"`,
    category: 'card data',
    contentType: JSON_TYPE,
    verb: 'intake.back',
    body: json((ctx) => cardClick(ctx, 'intake.back', { draftId: ctx.draftId, step })),
    expect: says({}, 'intake.heading'),
  })),
  ...['nonsense', 'review', 'submitted'].map((target): BadInput => ({
    name: `opens the first step when a card asks to edit the step "${target}"`,
    category: 'card data',
    contentType: JSON_TYPE,
    verb: 'intake.edit',
    body: json((ctx) => cardClick(ctx, 'intake.edit', { draftId: ctx.draftId, target })),
    expect: says({}, 'intake.steps.basics'),
  })),
  {
    name: 'does not submit a draft that is not complete, showing what is missing',
    category: 'card data',
    contentType: JSON_TYPE,
    verb: 'intake.submit',
    body: json((ctx) => cardClick(ctx, 'intake.submit', { draftId: ctx.draftId, step: 'review' })),
    expect: says({}, 'intake.heading'),
  },
  {
    name: "does not let a colleague submit someone else's draft",
    category: 'card data',
    contentType: JSON_TYPE,
    verb: 'intake.submit',
    body: json((ctx) =>
      cardClick(ctx, 'intake.submit', { draftId: ctx.draftId, step: 'review' }, { from: PEOPLE.colleague }),
    ),
    expect: says({}, 'intake.drafts.notFound'),
  },
  ...(
    [
      ['a state that does not exist', { kind: 'all', status: 'deleted' }],
      ['SQL in the state', { kind: 'all', status: "posted' OR 1=1--" }],
      ['a list that does not exist', { kind: 'everyone' }],
      ['a forged cursor', { kind: 'all', cursor: 'not-a-cursor' }],
      ['a trail that is not JSON', { kind: 'all', trail: '[' }],
      ['a trail of numbers', { kind: 'all', trail: '[1,2]' }],
    ] as const
  ).map(([what, data]): BadInput => ({
    name: `answers a list page with ${what} with a clear card`,
    category: 'card data',
    contentType: JSON_TYPE,
    verb: 'list.page',
    body: json((ctx) => cardClick(ctx, 'list.page', data, { from: PEOPLE.procurement })),
    expect: what === 'a forged cursor' ? says({}, 'lists.all') : says({}, 'unknownAction.text'),
  })),
];

// ---------------------------------------------------------------------------------------------------
// Text injection: typed text is text, in every field of the intake and in every command.

export const PAYLOADS: readonly (readonly [string, string])[] = [
  ['Markdown', '**bold** _it_ [link](https://evil.example) ![x](https://evil.example/x.png)'],
  ['a Markdown heading and list', '# Heading\n- item\n1. first'],
  ['a script tag', '<script>alert(1)</script>'],
  ['HTML with an event handler', '<b>b</b><img src=x onerror=alert(1)>'],
  ['a template expression', '${1+1} ${$root.title}'],
  ['a template function', "${if(true, 'yes', 'no')} ${string(1)}"],
  ['a double-brace expression', '{{DATE(2026-01-01T00:00:00Z, SHORT)}} {{title}} {{states}}'],
  ['a translation reference', '$t(errors.title) $& $1'],
  ['an OData quote', "O'Brien %27 '' and 1 eq 1"],
  ['an OData filter', "$filter=startswith(Title,'a') or 1 eq 1&$top=999"],
  ['SQL', "'; DROP TABLE opportunities; --"],
  ['FTS5 operators', 'NEAR(date picker, 2) OR title:* "unclosed AND NOT'],
  ['control characters', 'a\u0000b\u0001c\u0007d\u0008e\u000bf\u001bg\u001fh'],
  ['line breaks and tabs', 'one\r\ntwo\tthree\rfour'],
  ['a right-to-left override', 'invoice\u202Efdp.exe\u202C'],
  ['zero-width characters', 'da\u200bte pi\u200dcker\ufeff'],
  ['lone surrogates', 'a\ud800b\udfffc'],
  ['emoji', '👩🏽‍💻 🇨🇦 ✅ 🔥'],
];

/** How a command reads the words after it: blanks of any kind between words become one space. */
export const asWords = (s: string) => s.trim().split(/\s+/).filter(Boolean).join(' ');

/** Fields a person types into freely, each on its step. Toggles are not typed. */
const TYPED_FIELDS = FIELD_NAMES.filter((f) => FIELDS[f].kind !== 'toggle');

/** A required field of the same step, left empty so the step comes back with what was typed. */
function siblingOf(field: FieldName): FieldName {
  const sibling = fieldsOf(FIELDS[field].step).find(
    (f) => f !== field && !('optional' in FIELDS[f]) && FIELDS[f].kind !== 'toggle',
  );
  if (!sibling) throw new Error(`no other field on the step of ${field}`);
  return sibling;
}

const fieldInjection: BadInput[] = TYPED_FIELDS.flatMap((field) =>
  PAYLOADS.map(([what, payload], i): BadInput => {
    const s: Sender = i % 3 === 1 ? { locale: 'fr-CA' } : {};
    return {
      name: `shows ${what} typed in ${field} as typed, or says what is wrong with it (${localeOf(s)})`,
      category: 'injection',
      contentType: JSON_TYPE,
      verb: 'intake.next',
      body: json((ctx) => stepClick(ctx, field, { [field]: payload, [siblingOf(field)]: '' }, s)),
      expect: { status: 200, shows: payload, field },
    };
  }),
);

/** Each command, what it answers to words it cannot use, and whether it shows them back. */
const COMMANDS: readonly {
  readonly word: (l: Locale) => string;
  readonly answer: (payload: string, s: Sender) => Expected;
  readonly newcomer?: boolean;
}[] = [
  {
    word: (l) => (l === 'fr' ? 'chercher' : 'search'),
    answer: (p) => ({ status: 200, shows: asWords(p) }),
  },
  { word: (l) => (l === 'fr' ? 'état' : 'status'), answer: (_, s) => says(s, 'statusCard.usage') },
  { word: (l) => (l === 'fr' ? 'historique' : 'history'), answer: (_, s) => says(s, 'history.usage') },
  {
    word: (l) => (l === 'fr' ? 'nouveau' : 'new'),
    answer: (p) => ({ status: 200, shows: asWords(p) }),
    newcomer: true,
  },
  // The state named is quoted back cut to 40 characters.
  {
    word: (l) => (l === 'fr' ? 'liste' : 'list'),
    answer: (p) => ({ status: 200, shows: asWords(p).slice(0, 40) }),
  },
  { word: (l) => (l === 'fr' ? 'langue' : 'language'), answer: (p) => ({ status: 200, shows: asWords(p) }) },
  { word: () => '', answer: (p) => ({ status: 200, shows: p.trim() }) },
];

const commandInjection: BadInput[] = COMMANDS.flatMap((command) =>
  PAYLOADS.map(([what, payload], i): BadInput => {
    const base: Sender = i % 2 ? { locale: 'fr-CA' } : {};
    const word = command.word(localeOf(base));
    return {
      name: `answers "${word || '(no command)'}" followed by ${what} without reading it as markup (${localeOf(base)})`,
      category: 'injection',
      contentType: JSON_TYPE,
      body: json((ctx) =>
        message(ctx, word ? `${word} ${payload}` : payload, {
          ...base,
          ...(command.newcomer ? { from: newcomer() } : { from: PEOPLE.procurement }),
        }),
      ),
      expect: command.answer(payload, base),
    };
  }),
);

export const CORPUS: readonly BadInput[] = [
  ...transport,
  ...activityShape,
  ...tamperedData,
  ...tamperedDecisions,
  ...tamperedAmounts,
  ...tamperedSteps,
  ...fieldInjection,
  ...commandInjection,
];
