import { daysBetween } from './business-days';
import { type Opportunity, type Person, stageOf } from './opportunity';
import { totalWithHighestTaxCents } from './pricing';

/**
 * The records as CSV, for a spreadsheet. Cells a spreadsheet would run as a formula (text a person typed
 * starting with =, +, - or @) are written as text, so an export can never carry a formula into a desk.
 */

export interface ExportOptions {
  /** Whether the reader may see fund reservation numbers (finance and the procurement team). */
  readonly fundReservation: boolean;
}

const FORMULA_START = /^[=+\-@\t\r]/;

export function csvCell(value: string | number | boolean | undefined): string {
  if (value === undefined) return '';
  let text = String(value);
  if (typeof value === 'string' && FORMULA_START.test(text)) text = `'${text}`;
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

const money = (cents: number | undefined) => (cents === undefined ? undefined : (cents / 100).toFixed(2));
/** A person as a decision records them; a delegate's decision names whom it was for. */
const who = (p: Person | undefined) =>
  p ? (p.onBehalfOf ? `${p.name} (for ${p.onBehalfOf.name})` : p.name) : undefined;

type Column = readonly [name: string, value: (o: Opportunity) => string | number | boolean | undefined];

/**
 * The pilot's tracker, a column each: the request, every step's date, the original and extended dates,
 * the section 32 and 34 signers, the selection, the terms, the invoice, the payment and its time to pay
 * (from the invoice, as the pilot measured it), a termination, and links to the documents. Dates of steps
 * are the instants they happened (UTC, ISO 8601), so a spreadsheet can count the days between any two.
 */
const COLUMNS: readonly Column[] = [
  ['reference', (o) => o.reference],
  ['title', (o) => o.title],
  ['status', (o) => o.status],
  ['stage', (o) => stageOf(o.status)],
  ['department', (o) => o.client.department],
  ['branch', (o) => o.client.branch],
  ['team', (o) => o.client.team],
  ['requester', (o) => o.requester.name],
  ['contact_email', (o) => o.client.contactEmail],
  ['fixed_price', (o) => money(o.pricing.fixedPriceCents)],
  ['total_with_highest_tax', (o) => money(totalWithHighestTaxCents(o.pricing.fixedPriceCents))],
  ['licence', (o) => o.licence],
  ['repository', (o) => o.repositoryUrl],
  ['draft_started_at', (o) => o.draftStartedAt],
  ['created_at', (o) => o.createdAt],
  ['vetted_at', (o) => o.eventAt?.vetted],
  ['vetted_by', (o) => who(o.vettedBy)],
  ['funds', (o) => o.finance.fundsStatus],
  ['section_32_approver', (o) => who(o.finance.section32Approver)],
  ['section_32_at', (o) => o.finance.section32At],
  ['cost_centre', (o) => o.finance.costCentre],
  ['consultation', (o) => o.consultation.status],
  ['consultation_opened_at', (o) => o.consultation.opensAt],
  [
    'consultation_closed_at',
    (o) =>
      o.eventAt?.consultation_closed ?? o.eventAt?.consultation_acknowledged ?? o.eventAt?.concern_answered,
  ],
  ['union_concern', (o) => o.consultation.concern],
  ['translation_confirmed_at', (o) => o.eventAt?.translation_confirmed],
  ['posted_at', (o) => o.timeline.posted],
  ['application_deadline', (o) => o.dates.applicationDeadline],
  ['extended_application_deadline', (o) => o.dates.extendedApplicationDeadline],
  ['supplier_selection_date', (o) => o.dates.supplierSelectionDate],
  ['extended_supplier_selection_date', (o) => o.dates.extendedSupplierSelectionDate],
  ['delivery_date', (o) => o.dates.deliveryDate],
  ['extended_delivery_date', (o) => o.dates.extendedDeliveryDate],
  ['questions', (o) => o.selection.questions],
  ['closed_at', (o) => o.timeline.closed],
  ['applications', (o) => o.selection.applications],
  ['passed', (o) => o.selection.passed],
  ['evaluation_recorded_at', (o) => o.eventAt?.evaluation_recorded],
  ['draw_seed', (o) => o.selection.draw?.seed],
  ['supplier_selected_at', (o) => o.timeline.supplier_selected],
  ['supplier', (o) => o.selection.supplierName],
  ['supplier_link', (o) => o.selection.supplierLink],
  ['declined_suppliers', (o) => o.selection.declinedSuppliers.join(' ')],
  ['terms_contractor', (o) => o.terms?.contractor],
  ['terms_start_date', (o) => o.terms?.startDate],
  ['terms_end_date', (o) => o.terms?.endDate],
  ['terms_licence', (o) => o.terms?.licence],
  ['terms_document', (o) => o.terms?.document?.location],
  ['terms_countersigned_by', (o) => who(o.terms?.countersignedBy)],
  ['terms_countersigned_at', (o) => o.terms?.countersignedAt],
  ['delivered_at', (o) => o.timeline.delivered],
  ['delivered_link', (o) => o.delivery.deliveredLink],
  ['revisions_requested', (o) => o.delivery.revisionsRequested],
  ['non_delivery_review_opened_on', (o) => o.delivery.reviewOpenedOn],
  ['accepted_at', (o) => o.timeline.accepted],
  ['invoice_number', (o) => o.finance.invoice?.number],
  ['invoice_date', (o) => o.finance.invoice?.date],
  ['invoice_amount_before_tax', (o) => money(o.finance.invoice?.amountCents)],
  ['invoice_taxes', (o) => money(o.finance.invoice?.taxCents)],
  ['invoice_total', (o) => money(o.finance.invoice?.totalCents)],
  ['section_34_certifier', (o) => who(o.finance.section34Certifier)],
  ['section_34_at', (o) => o.finance.section34At],
  ['payment_method', (o) => o.finance.paymentMethod],
  ['payment_amount', (o) => money(o.finance.paymentAmountCents)],
  ['paid_on', (o) => o.finance.paymentDate],
  ['paid_by', (o) => who(o.finance.paidBy)],
  [
    'days_to_pay',
    (o) =>
      o.finance.invoice && o.finance.paymentDate
        ? daysBetween(o.finance.invoice.date, o.finance.paymentDate)
        : undefined,
  ],
  ['termination', (o) => o.delivery.termination?.kind],
  ['termination_reason', (o) => o.delivery.terminationReason],
  ['termination_percent_completed', (o) => o.delivery.termination?.percentComplete],
  ['termination_amount', (o) => money(o.delivery.termination?.amountCents)],
  ['terminated_at', (o) => o.timeline.terminated],
  ['rejected_at', (o) => o.timeline.rejected],
  ['cancelled_at', (o) => o.timeline.cancelled],
  ['decision_note', (o) => o.decisionNote],
];

/** Finance's business: shown to finance and the procurement team only, after the section 32 columns. */
const FUND_RESERVATION: readonly Column[] = [
  ['fund_reservation_number', (o) => o.finance.fundReservationNumber],
  ['invoice_fund_reservation_number', (o) => o.finance.invoice?.fundReservationNumber],
];

function columnsFor(options: ExportOptions): readonly Column[] {
  const at = COLUMNS.findIndex(([name]) => name === 'cost_centre');
  return options.fundReservation
    ? [...COLUMNS.slice(0, at), ...FUND_RESERVATION, ...COLUMNS.slice(at)]
    : COLUMNS;
}

const headerLine = (columns: readonly Column[]) => columns.map(([name]) => csvCell(name)).join(',');
const recordLine = (columns: readonly Column[], o: Opportunity) =>
  columns.map(([, value]) => csvCell(value(o))).join(',');
// A byte order mark so spreadsheets read the accents of French text correctly.
const fileOf = (lines: readonly string[]) => `\uFEFF${lines.join('\r\n')}\r\n`;

export function recordsCsv(records: readonly Opportunity[], options: ExportOptions): string {
  const columns = columnsFor(options);
  return fileOf([headerLine(columns), ...records.map((o) => recordLine(columns, o))]);
}

/** Lines gathered before they are encoded: few Buffers, and a short stretch of text on the heap. */
const LINES_PER_CHUNK = 500;

/**
 * The same CSV, written from records read page by page: each record becomes its line as it arrives and is
 * let go, and the text goes to `write` a chunk at a time. Resolves with the number of records.
 */
async function writeRecordsCsv(
  records: AsyncIterable<Opportunity>,
  options: ExportOptions,
  write: (text: string) => void,
): Promise<number> {
  const columns = columnsFor(options);
  let lines = [`\uFEFF${headerLine(columns)}`];
  let count = 0;
  const flush = () => {
    write(`${lines.join('\r\n')}\r\n`);
    lines = [];
  };
  for await (const o of records) {
    lines.push(recordLine(columns, o));
    count += 1;
    if (lines.length >= LINES_PER_CHUNK) flush();
  }
  if (lines.length > 0) flush();
  return count;
}

/**
 * The CSV as UTF-8 bytes, encoded as it grows, outside the heap. An export of every record thus holds
 * neither every record decoded at once (90,000 paid requests are about 600 MB of objects) nor the file as
 * a string (the byte order mark would make it UTF-16: twice its bytes).
 */
export async function recordsCsvBytes(
  records: AsyncIterable<Opportunity>,
  options: ExportOptions,
): Promise<{ bytes: Buffer<ArrayBuffer>; count: number }> {
  const chunks: Buffer[] = [];
  const count = await writeRecordsCsv(records, options, (text) => chunks.push(Buffer.from(text, 'utf8')));
  return { bytes: Buffer.concat(chunks), count };
}

/** How large the CSV's bytes would be, without keeping them: what the offer of the file shows. */
export async function recordsCsvSize(
  records: AsyncIterable<Opportunity>,
  options: ExportOptions,
): Promise<{ size: number; count: number }> {
  let size = 0;
  const count = await writeRecordsCsv(records, options, (text) => (size += Buffer.byteLength(text, 'utf8')));
  return { size, count };
}
