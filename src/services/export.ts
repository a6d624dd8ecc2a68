import { type Opportunity, stageOf } from './opportunity';
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

const money = (cents: number) => (cents / 100).toFixed(2);

export function recordsCsv(records: readonly Opportunity[], options: ExportOptions): string {
  const header = [
    'reference',
    'title',
    'status',
    'stage',
    'department',
    'branch',
    'team',
    'requester',
    'fixed_price',
    'total_with_highest_tax',
    'created_at',
    'application_deadline',
    'supplier_selection_date',
    'delivery_date',
    'funds',
    ...(options.fundReservation ? ['fund_reservation_number'] : []),
    'consultation',
    'applications',
    'passed',
    'supplier',
    'paid_on',
  ];
  const rows = records.map((o) => [
    o.reference,
    o.title,
    o.status,
    stageOf(o.status),
    o.client.department,
    o.client.branch,
    o.client.team,
    o.requester.name,
    money(o.pricing.fixedPriceCents),
    money(totalWithHighestTaxCents(o.pricing.fixedPriceCents)),
    o.createdAt,
    o.dates.applicationDeadline,
    o.dates.supplierSelectionDate,
    o.dates.extendedDeliveryDate ?? o.dates.deliveryDate,
    o.finance.fundsStatus,
    ...(options.fundReservation ? [o.finance.fundReservationNumber] : []),
    o.consultation.status,
    o.selection.applications,
    o.selection.passed,
    o.selection.supplierName,
    o.finance.paymentDate,
  ]);
  // A byte order mark so spreadsheets read the accents of French text correctly.
  return `\uFEFF${[header, ...rows].map((row) => row.map(csvCell).join(',')).join('\r\n')}\r\n`;
}
