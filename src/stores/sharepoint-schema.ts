import { DOCUMENT_KINDS } from '../services/documents';
import { SELF_IDENTIFICATION } from '../services/applications';
import { STATUSES } from '../services/opportunity';
import { QUESTION_STATES } from '../services/questions';

/**
 * The SharePoint lists that hold the records, as Graph column definitions: provisioning creates them and
 * the store reads and writes exactly these columns. Every column the store filters or sorts on is
 * indexed; how each query stays under the 5,000-item list view threshold is said at `planOf` in the store.
 */

export interface ColumnDefinition {
  readonly name: string;
  readonly indexed?: boolean;
  readonly enforceUniqueValues?: boolean;
  readonly text?: {
    readonly allowMultipleLines?: boolean;
    readonly maxLength?: number;
    readonly linesForEditing?: number;
    /** Multiple lines hold rich text unless said plain: rich text would wrap the stored JSON in HTML. */
    readonly textType?: 'plain';
  };
  readonly number?: { readonly decimalPlaces?: 'none' | 'automatic' };
  readonly currency?: { readonly locale: string };
  readonly dateTime?: { readonly format: 'dateTime' };
  readonly choice?: { readonly choices: readonly string[]; readonly allowTextEntry?: boolean };
  readonly boolean?: Record<string, never>;
}

export interface ListDefinition {
  /** The list's purpose, for messages. */
  readonly key:
    | 'opportunities'
    | 'audit'
    | 'counters'
    | 'questions'
    | 'subscriptions'
    | 'applications'
    | 'documents'
    | 'selfIdentification';
  readonly displayName: (prefix: string) => string;
  readonly columns: readonly ColumnDefinition[];
}

/** SharePoint's single line of text holds 255 characters. */
export const SINGLE_LINE_MAX = 255;
const text = (name: string, extra: Partial<ColumnDefinition> = {}): ColumnDefinition => ({
  name,
  text: { maxLength: SINGLE_LINE_MAX },
  ...extra,
});
const note = (name: string): ColumnDefinition => ({
  name,
  text: { allowMultipleLines: true, linesForEditing: 6, textType: 'plain' },
});

/** The answers a self-identification column offers. */
export const SELF_IDENTIFICATION_ANSWERS = ['yes', 'no', 'unsaid'] as const;

/** The column of the self-identification list that holds a question's answer: newToGovernment → NewToGovernment. */
export function answerColumn(question: (typeof SELF_IDENTIFICATION)[number]): string {
  return question.charAt(0).toUpperCase() + question.slice(1);
}

/** The status column offers exactly the workflow's statuses. */
export const STATUS_CHOICES = STATUSES;

export const LISTS: readonly ListDefinition[] = [
  {
    key: 'opportunities',
    displayName: (prefix) => `${prefix} Opportunities`,
    columns: [
      text('Reference', { indexed: true, enforceUniqueValues: true }),
      { name: 'Status', indexed: true, choice: { choices: STATUS_CHOICES } },
      text('RequesterId', { indexed: true }),
      text('RequesterName'),
      text('Branch', { indexed: true }),
      { name: 'CreatedAt', dateTime: { format: 'dateTime' } },
      // SharePoint keeps whole seconds in a dateTime: "created since" needs the milliseconds, so it
      // compares this ISO text, which orders the same way.
      text('CreatedKey', { indexed: true }),
      // The newest-first order: year and number as one number (the reference's text sorts MA-2026-10000
      // before MA-2026-9999), and the block of 1,000 references a query no other clause narrows reads.
      { name: 'Serial', indexed: true, number: { decimalPlaces: 'none' } },
      text('Block', { indexed: true }),
      { name: 'UpdatedAt', dateTime: { format: 'dateTime' } },
      { name: 'Version', number: { decimalPlaces: 'none' } },
      { name: 'FixedPrice', currency: { locale: 'en-CA' } },
      { name: 'TranslationConfirmed', boolean: {} },
      text('IdempotencyKey', { indexed: true, enforceUniqueValues: true }),
      // The whole record, validated on every read: the columns above are for people and for queries.
      note('Record'),
    ],
  },
  {
    key: 'audit',
    displayName: (prefix) => `${prefix} Audit`,
    columns: [
      text('EntryId', { indexed: true, enforceUniqueValues: true }),
      text('Reference', { indexed: true }),
      { name: 'At', dateTime: { format: 'dateTime' } },
      text('ActorId'),
      text('ActorName'),
      text('Action'),
      text('FromStatus'),
      text('ToStatus'),
      { name: 'Outcome', choice: { choices: ['applied', 'refused'] } },
      text('Reason'),
      note('Comment'),
      // The entry exactly as written (to the millisecond): the columns above are for people.
      note('Entry'),
    ],
  },
  {
    key: 'counters',
    displayName: (prefix) => `${prefix} Counters`,
    columns: [
      text('CounterKey', { indexed: true, enforceUniqueValues: true }),
      { name: 'Value', number: { decimalPlaces: 'none' } },
      // Who took the last numbers: a writer whose answer was lost finds its own number here.
      note('Takers'),
    ],
  },
  {
    key: 'questions',
    displayName: (prefix) => `${prefix} Questions`,
    columns: [
      text('QuestionId', { indexed: true, enforceUniqueValues: true }),
      text('Reference', { indexed: true }),
      // The bounds count the questions waiting: those in `asked`, few whatever the list's size.
      { name: 'State', indexed: true, choice: { choices: QUESTION_STATES } },
      { name: 'AskedAt', dateTime: { format: 'dateTime' } },
      { name: 'Version', number: { decimalPlaces: 'none' } },
      { name: 'Locale', choice: { choices: ['en', 'fr'] } },
      // The whole question, validated on every read: the columns above are for people and for queries.
      note('Record'),
    ],
  },
  {
    key: 'subscriptions',
    displayName: (prefix) => `${prefix} Subscriptions`,
    columns: [
      text('SubscriptionId', { indexed: true, enforceUniqueValues: true }),
      // The address in lower case: SharePoint itself refuses a second subscription of one address.
      text('EmailKey', { indexed: true, enforceUniqueValues: true }),
      text('Token', { indexed: true, enforceUniqueValues: true }),
      // Unconfirmed subscriptions are few (bounded): queries on them lead with this column.
      { name: 'Confirmed', indexed: true, boolean: {} },
      // When it was made, as ISO text to the millisecond, for forgetting the unconfirmed.
      text('CreatedKey', { indexed: true }),
      { name: 'Locale', choice: { choices: ['en', 'fr'] } },
      note('Record'),
    ],
  },
  {
    key: 'applications',
    displayName: (prefix) => `${prefix} Applications`,
    columns: [
      text('ApplicationId', { indexed: true, enforceUniqueValues: true }),
      // An opportunity's applications are read by its reference: a few hundred at most.
      text('Reference', { indexed: true }),
      // The reference and the address in lower case: SharePoint itself refuses a second application of
      // one address to one opportunity.
      text('AddressKey', { indexed: true, enforceUniqueValues: true }),
      text('PendingToken', { indexed: true }),
      // Applications never confirmed are few (bounded): the bound's count leads with this column.
      { name: 'Confirmed', indexed: true, boolean: {} },
      { name: 'Version', number: { decimalPlaces: 'none' } },
      { name: 'Locale', choice: { choices: ['en', 'fr'] } },
      // The self-identification waiting with the pending change, as JSON, until it is confirmed.
      note('PendingAnswers'),
      // The whole application, validated on every read: the columns above are for people and queries.
      note('Record'),
    ],
  },
  {
    key: 'selfIdentification',
    displayName: (prefix) => `${prefix} Self-identification`,
    columns: [
      text('ApplicationId', { indexed: true, enforceUniqueValues: true }),
      text('Reference', { indexed: true }),
      // One column per question, blank when it was not answered.
      ...SELF_IDENTIFICATION.map((q) => ({
        name: answerColumn(q),
        choice: { choices: SELF_IDENTIFICATION_ANSWERS },
      })),
    ],
  },
  {
    // What the bot knows of each document kept in the site's library: the signed terms, invoices.
    key: 'documents',
    displayName: (prefix) => `${prefix} Documents`,
    columns: [
      // `<reference>.<kind>.<sha256>`: one item per document, however many times it is sent.
      text('DocumentId', { indexed: true, enforceUniqueValues: true }),
      text('Reference', { indexed: true }),
      { name: 'Kind', choice: { choices: [...DOCUMENT_KINDS] } },
      text('FileName'),
      text('Sha256'),
      { name: 'Size', number: { decimalPlaces: 'none' } },
      text('DriveItemId'),
      text('UploadedAt'),
      text('UploadedById'),
      text('UploadedByName'),
      // The whole document as kept, validated on every read: the columns above are for people and queries.
      note('Record'),
    ],
  },
];

export function listDefinition(key: ListDefinition['key']): ListDefinition {
  const found = LISTS.find((l) => l.key === key);
  if (!found) throw new RangeError(`no list ${key}`);
  return found;
}

/** The column type, as Graph names the facet that carries it. */
export function columnType(
  c: Pick<ColumnDefinition, 'text' | 'number' | 'currency' | 'dateTime' | 'choice' | 'boolean'>,
): string {
  if (c.text) {
    if (!c.text.allowMultipleLines) return 'text';
    return c.text.textType === 'plain' ? 'multiline text' : 'rich text';
  }
  if (c.number) return 'number';
  if (c.currency) return 'currency';
  if (c.dateTime) return 'dateTime';
  if (c.choice) return 'choice';
  if (c.boolean) return 'boolean';
  return 'unknown';
}
