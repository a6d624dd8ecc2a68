import { sha256Of } from './document-rows';
import { type Client, ResponseType } from '@microsoft/microsoft-graph-client';
import { z } from 'zod';
import {
  DOCUMENT_KINDS,
  type DocumentStore,
  documentId,
  keptDocument,
  inListOrder,
  type NewDocument,
  nameToKeep,
  type StoredDocument,
} from '../services/documents';
import { StoreUnavailableError } from '../services/store';
import type { GraphFetch } from './graph';
import { drain, SessionGone, sendInRanges } from './upload-session';
import { type GraphItem, odataString, SharePointList, sharePointCall, statusOf } from './sharepoint-list';
import { listDefinition, SINGLE_LINE_MAX } from './sharepoint-schema';

/**
 * Requests' documents in the SharePoint site's default document library, through Graph: each file in
 * the folder `<list prefix>/<reference>/` ("Microacq/MA-2026-0042/" by default, so a second bot on the
 * site with its own prefix keeps its files apart, as its lists are), and what the bot knows of it (kind,
 * sha256, who sent it) as an item of the list "<prefix> Documents", beside the records' lists.
 *
 * A list rather than columns on the library's own items: both survive a restart and both need
 * provisioning, but only a list has a unique column, which lets SharePoint itself settle a double send
 * (the item's DocumentId is the request, kind and digest); it is read by an indexed equality like every
 * other list, with the same retries; and the library is left as people know it, its files free to be
 * opened, moved or renamed by hand.
 *
 * A file goes up in one request up to 4 MB, in an upload session above. Its name is taken with
 * conflictBehavior "fail" when free, so a retried upload whose first answer was lost meets its own file
 * (a 409) rather than leaving a copy; a name taken by another file gets "rename" ("terms 1.pdf").
 * Graph's client retries throttling within a turn; what stays throttled or unreachable is reported as
 * StoreUnavailableError, with nothing kept that a retry would not find.
 */

export interface SharePointDocumentsOptions {
  readonly client: Client;
  readonly siteId: string;
  readonly listPrefix: string;
  /**
   * Sends the requests that go to SharePoint rather than Graph: an upload session's ranges, to the
   * session's own pre-authenticated address (`fetch` in production, an emulation in tests).
   */
  readonly send: GraphFetch;
  readonly timeoutMs: number;
}

/** The list that holds what the bot knows of each document: provisioned with the records' lists. */
export const DOCUMENTS_LIST = listDefinition('documents');

/** Files up to this size go up in one request; larger ones in an upload session. */
export const SIMPLE_UPLOAD_MAX = 4 * 1024 * 1024;
const CHILDREN_PAGE = 200;

interface DriveItem {
  readonly id: string;
  readonly name: string;
  readonly size?: number;
  readonly webUrl?: string;
  readonly file?: Record<string, unknown>;
}

const Kept = z.object({
  id: z.string(),
  reference: z.string(),
  kind: z.enum(DOCUMENT_KINDS),
  name: z.string(),
  contentType: z.string(),
  size: z.number().int().nonnegative(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  location: z.string(),
  uploadedAt: z.string(),
  uploadedBy: z.object({ aadObjectId: z.string(), name: z.string() }),
  driveItemId: z.string().min(1),
});
type Kept = z.infer<typeof Kept>;

const call = sharePointCall;

function keptOf(item: GraphItem): Kept {
  const raw = item.fields?.Record;
  const parsed = typeof raw === 'string' ? Kept.safeParse(JSON.parse(raw)) : undefined;
  if (!parsed?.success) {
    throw new Error(`the SharePoint item ${item.id} does not hold a valid document`, {
      cause: parsed?.error,
    });
  }
  return parsed.data;
}

function documentOf({ driveItemId: _driveItemId, ...document }: Kept): StoredDocument {
  return document;
}

/** The columns of a document's item: the whole document, and what people read and queries select on. */
export function documentFields(document: StoredDocument, driveItemId: string): Record<string, unknown> {
  return {
    Title: document.name.slice(0, SINGLE_LINE_MAX),
    DocumentId: document.id,
    Reference: document.reference,
    Kind: document.kind,
    FileName: document.name.slice(0, SINGLE_LINE_MAX),
    Sha256: document.sha256,
    Size: document.size,
    DriveItemId: driveItemId.slice(0, SINGLE_LINE_MAX),
    UploadedAt: document.uploadedAt,
    UploadedById: document.uploadedBy.aadObjectId.slice(0, SINGLE_LINE_MAX),
    UploadedByName: document.uploadedBy.name.slice(0, SINGLE_LINE_MAX),
    Record: JSON.stringify({ ...document, driveItemId }),
  };
}

export class SharePointDocuments implements DocumentStore {
  private constructor(
    private readonly options: SharePointDocumentsOptions,
    private readonly metadata: SharePointList,
  ) {}

  /** Finds the documents list; a missing one means it has not been provisioned on the site. */
  static async open(options: SharePointDocumentsOptions): Promise<SharePointDocuments> {
    const name = DOCUMENTS_LIST.displayName(options.listPrefix);
    const found = await call('open the documents', () =>
      options.client
        .api(`/sites/${options.siteId}/lists`)
        .filter(encodeURIComponent(`displayName eq ${odataString(name)}`))
        .select('id,displayName')
        .get(),
    );
    const id = (found as { value: { id: string }[] }).value[0]?.id;
    if (!id) {
      throw new StoreUnavailableError(
        `the SharePoint list "${name}" does not exist on site ${options.siteId}`,
      );
    }
    return new SharePointDocuments(options, new SharePointList(options.client, options.siteId, id));
  }

  private get drive(): string {
    return `/sites/${this.options.siteId}/drive`;
  }

  /** A path in the library, each part encoded: `Microacq/MA-2026-0042/terms.pdf`. */
  private pathOf(reference: string, name?: string): string {
    return [this.options.listPrefix, reference, ...(name === undefined ? [] : [name])]
      .map(encodeURIComponent)
      .join('/');
  }

  private async entries(reference: string): Promise<Kept[]> {
    const items = await this.metadata.findAll(
      'read the documents',
      `fields/Reference eq ${odataString(reference)}`,
      'DocumentId,Record',
    );
    return items.map(keptOf);
  }

  private async entry(id: string): Promise<Kept | undefined> {
    const [item] = await this.metadata.find(
      'read a document',
      `fields/DocumentId eq ${odataString(id)}`,
      'DocumentId,Record',
    );
    return item && keptOf(item);
  }

  async put(doc: NewDocument): Promise<StoredDocument> {
    const name = nameToKeep(doc);
    const sha256 = sha256Of(doc.bytes);
    const id = documentId(doc.reference, doc.kind, sha256);
    const kept = await this.entries(doc.reference);
    const same = kept.find((k) => k.id === id);
    if (same) return documentOf(same);
    // The same bytes kept as the other kind are one file already: it is not sent twice.
    const twin = kept.find((k) => k.sha256 === sha256);
    const item = twin
      ? { id: twin.driveItemId, name: twin.name, webUrl: twin.location }
      : await this.upload(doc, name, sha256);
    const document = keptDocument(doc, {
      sha256,
      name,
      location: item.webUrl ?? `${this.options.listPrefix}/${doc.reference}/${item.name}`,
    });
    try {
      await this.metadata.create('keep the document', documentFields(document, item.id));
      return document;
    } catch (err) {
      // However a duplicate is answered (409, 500 or 400), or a write applied though its answer was
      // lost: the item that stands is the answer. A file left without an item is found by the next put.
      const now = await this.entry(id);
      if (now) return documentOf(now);
      throw err;
    }
  }

  /** The file in the request's folder: ours if the name holds these bytes already, else sent. */
  private async upload(doc: NewDocument, name: string, sha256: string): Promise<DriveItem> {
    const path = this.pathOf(doc.reference, name);
    const existing = await this.itemAt(path);
    // A name taken: by these very bytes (a put whose list item was never written), maybe under the name
    // SharePoint gave them, or by another file.
    const ours = existing && (await this.findInFolder(doc.reference, doc.bytes, sha256));
    if (ours) return ours;
    try {
      return await this.send(path, doc.bytes, doc.contentType, existing ? 'rename' : 'fail');
    } catch (err) {
      const taken = statusOf(err) === 409;
      if (!taken && !(err instanceof SessionGone)) throw err;
      // Taken meanwhile, maybe by this very file (a retry whose first answer was lost), or the last
      // range's answer lost: whatever holds these bytes is ours.
      const found = await this.findInFolder(doc.reference, doc.bytes, sha256);
      if (found) return found;
      if (taken) return this.send(path, doc.bytes, doc.contentType, 'rename');
      throw new StoreUnavailableError('SharePoint did not say where it kept the file; try again shortly');
    }
  }

  private async send(
    path: string,
    bytes: Buffer,
    contentType: string,
    behavior: 'fail' | 'rename',
  ): Promise<DriveItem> {
    if (bytes.length <= SIMPLE_UPLOAD_MAX) {
      return (await call('keep the file', () =>
        this.options.client
          .api(`${this.drive}/root:/${path}:/content?@microsoft.graph.conflictBehavior=${behavior}`)
          .header('Content-Type', contentType)
          .put(bytes),
      )) as DriveItem;
    }
    const session = (await call('start sending the file', () =>
      this.options.client
        .api(`${this.drive}/root:/${path}:/createUploadSession`)
        .post({ item: { '@microsoft.graph.conflictBehavior': behavior } }),
    )) as { uploadUrl?: unknown };
    if (typeof session.uploadUrl !== 'string') {
      throw new StoreUnavailableError('SharePoint gave no address to send the file to');
    }
    try {
      return (await sendInRanges(
        (url, init) => this.sendRaw(url, init),
        session.uploadUrl,
        bytes,
      )) as DriveItem;
    } catch (err) {
      // The session would hold what was sent until it expires: it is let go now.
      await this.sendRaw(session.uploadUrl, { method: 'DELETE' }).then(drain, () => undefined);
      throw err;
    }
  }

  /** A request straight to SharePoint (not Graph), without a token: its address carries its own. */
  private async sendRaw(url: string, init: RequestInit): Promise<Response> {
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    // The race, not only the signal: a sender that ignores the signal still cannot hold the turn.
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const err = new Error(`SharePoint did not answer within ${this.options.timeoutMs} ms`);
        err.name = 'TimeoutError';
        controller.abort(err);
        reject(err);
      }, this.options.timeoutMs);
    });
    try {
      return await Promise.race([this.options.send(url, { ...init, signal: controller.signal }), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** The item at a path of the library, if there is one. */
  private async itemAt(path: string): Promise<DriveItem | undefined> {
    try {
      return (await call('look for the file', () =>
        this.options.client.api(`${this.drive}/root:/${path}`).get(),
      )) as DriveItem;
    } catch (err) {
      if (statusOf(err) === 404) return undefined;
      throw err;
    }
  }

  /** Whether the item is a file with exactly these bytes. */
  private async holds(item: DriveItem, bytes: Buffer, sha256: string): Promise<boolean> {
    if (!item.file || item.size !== bytes.length) return false;
    const content = await this.download(item.id);
    return content !== undefined && sha256Of(content) === sha256;
  }

  /** A file of the request's folder holding these bytes, whatever its name. */
  private async findInFolder(
    reference: string,
    bytes: Buffer,
    sha256: string,
  ): Promise<DriveItem | undefined> {
    let next: string | undefined =
      `${this.drive}/root:/${this.pathOf(reference)}:/children?$top=${CHILDREN_PAGE}`;
    while (next !== undefined) {
      let page: { value: DriveItem[]; '@odata.nextLink'?: string };
      try {
        page = (await call('look for the file', () =>
          this.options.client.api(next as string).get(),
        )) as typeof page;
      } catch (err) {
        if (statusOf(err) === 404) return undefined;
        throw err;
      }
      for (const item of page.value) if (await this.holds(item, bytes, sha256)) return item;
      next = page['@odata.nextLink'];
    }
    return undefined;
  }

  /** A file's bytes, or undefined when it is gone. */
  private async download(itemId: string): Promise<Buffer | undefined> {
    try {
      const body = await call('read the file', () =>
        this.options.client
          .api(`${this.drive}/items/${encodeURIComponent(itemId)}/content`)
          .responseType(ResponseType.ARRAYBUFFER)
          .get(),
      );
      return Buffer.from(body as ArrayBuffer);
    } catch (err) {
      if (statusOf(err) === 404) return undefined;
      throw err;
    }
  }

  async list(reference: string): Promise<readonly StoredDocument[]> {
    return inListOrder((await this.entries(reference)).map(documentOf));
  }

  async read(id: string): Promise<{ document: StoredDocument; bytes: Buffer } | undefined> {
    const kept = await this.entry(id);
    if (!kept) return undefined;
    const bytes = await this.download(kept.driveItemId);
    if (!bytes) return undefined;
    if (sha256Of(bytes) !== kept.sha256) {
      throw new Error(`the file of the document ${id} changed since it was kept`);
    }
    return { document: documentOf(kept), bytes };
  }

  async close(): Promise<void> {
    // Nothing held open: Graph's client keeps no connection of its own.
  }
}
