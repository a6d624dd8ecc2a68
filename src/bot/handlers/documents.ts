import { t } from '../../i18n';
import { mayRead } from '../../services/access';
import { checkDocument, type DocumentKind, MAX_DOCUMENT_BYTES } from '../../services/documents';
import { actingRoles } from '../../services/lifecycle';
import { type Opportunity, REFERENCE_PATTERN, type Status } from '../../services/opportunity';
import type { Actor } from '../../services/roles';
import { readAttachment } from '../attachments';
import { requestCard } from './decide';
import { type Handler, warning } from '../turn';

/**
 * `attach MA-2026-0042 terms` (`joindre MA-2026-0042 conditions`) with a file attached: the signed
 * one-page terms or the supplier's invoice, kept with the request (the site's document library, or
 * beside the SQLite file) and linked from its record and the tracker export.
 */

/** The words for each kind of document, in either language. */
const KIND_WORDS: Readonly<Record<string, DocumentKind>> = {
  terms: 'terms',
  conditions: 'terms',
  invoice: 'invoice',
  facture: 'invoice',
};

/** When each document is taken: the terms until countersigned, the invoice until the payment. */
const WHEN: Readonly<Record<DocumentKind, readonly Status[]>> = {
  terms: ['supplier_selected'],
  invoice: ['accepted', 'certified'],
};

/** How long the bot waits for Teams to hand over a file before saying it could not. */
const DOWNLOAD_TIMEOUT_MS = 20_000;

function parse(args: string): { reference: string; kind: DocumentKind } | undefined {
  const [reference, word] = args.trim().split(/\s+/);
  const kind = KIND_WORDS[(word ?? '').toLowerCase()];
  const ref = (reference ?? '').toUpperCase();
  return kind && REFERENCE_PATTERN.test(ref) ? { reference: ref, kind } : undefined;
}

/** Procurement and finance keep the documents of the requests of their branches. */
function mayKeep(o: Opportunity, actor: Actor): boolean {
  const roles = actingRoles(o, actor);
  return roles.has('procurement') || roles.has('finance');
}

export const attachDocument: Handler = async (req, deps) => {
  const asked = parse(req.args);
  if (!asked) return warning(t(req.locale, 'documents.usage'));
  const o = await deps.store.get(asked.reference);
  if (!o) return warning(t(req.locale, 'decisions.refusals.notFound', { reference: asked.reference }));
  if (!mayRead(o, req.actor) || !mayKeep(o, req.actor)) return warning(t(req.locale, 'documents.notAllowed'));
  if (!WHEN[asked.kind].includes(o.status))
    return warning(
      t(req.locale, `documents.notNow.${asked.kind}`, { status: t(req.locale, `statuses.${o.status}`) }),
    );
  const attachment = req.attachments[0];
  if (!attachment) return warning(t(req.locale, 'documents.noFile'));
  const file = await readAttachment(attachment, {
    maxBytes: MAX_DOCUMENT_BYTES,
    timeoutMs: DOWNLOAD_TIMEOUT_MS,
  });
  if (!file.ok) return warning(t(req.locale, `documents.problems.${file.problem}`));
  const problems = checkDocument({
    name: file.name,
    contentType: file.contentType,
    size: file.bytes.length,
    head: file.bytes.subarray(0, 16),
  });
  if (problems[0]) return warning(t(req.locale, `documents.problems.${problems[0]}`));
  const at = deps.clock.now().toISOString();
  const kept = await deps.documents.put({
    reference: o.reference,
    kind: asked.kind,
    name: file.name,
    contentType: file.contentType,
    bytes: file.bytes,
    uploadedBy: { aadObjectId: req.actor.id, name: req.actor.name },
    at,
  });
  await deps.store.appendAudit(o.reference, {
    at,
    actor: { aadObjectId: req.actor.id, name: req.actor.name },
    action: `document_${asked.kind}`,
    outcome: 'applied',
    comment: kept.name,
  });
  return requestCard(req, deps, o, {
    style: 'good',
    text: t(req.locale, `documents.kept.${asked.kind}`, { name: kept.name }),
  });
};
