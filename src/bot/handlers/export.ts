import { z } from 'zod';
import { noticeCard } from '../../cards';
import { onThisMachine } from '../../config';
import { t } from '../../i18n';
import { readableBy, readsEverything, seesFundReservation } from '../../services/access';
import { everyRecord } from '../../services/store';
import { sendInRanges } from '../../stores/upload-session';
import type { ActionHandler, Deps, Handler, Reply, TurnRequest } from '../turn';

/**
 * `export`: a CSV of the records a person may see, given to that person alone, as Teams gives files from
 * a bot: a consent card in their personal chat; once they accept, the file goes to the address Teams
 * gives (their OneDrive) and a file card stands in the chat. No link that works for whoever holds it.
 */

const FILE_CONSENT = 'application/vnd.microsoft.teams.card.file.consent';
const FILE_INFO = 'application/vnd.microsoft.teams.card.file.info';
/** What the consent card carries back: only what it is for. Who accepts comes from the activity. */
const CONTEXT = { kind: 'microacq.export' } as const;
/** The longest one range of the upload may take before the person is told it failed. */
const UPLOAD_TIMEOUT_MS = 30_000;

// Loaded by the first export: start-up holds only what every request needs. (`module.require`, not
// `import()`, which the tests' require hook for TypeScript does not serve.)
const csv = () => module.require('../../services/export') as typeof import('../../services/export');

/**
 * What this person's CSV holds now: their own records, or all for the teams (what `readableBy` gives),
 * read page by page, so that an export of 100,000 records fits the heap size `npm start` sets.
 */
function csvInput(req: TurnRequest, deps: Deps): Parameters<ReturnType<typeof csv>['recordsCsvBytes']> {
  return [
    everyRecord(deps.store, readableBy(req.actor)),
    { fundReservation: seesFundReservation({ actor: req.actor }) },
  ];
}

const fileName = (deps: Deps) => `microacq-${deps.clock.today()}.csv`;

const notice = (req: TurnRequest, key: Parameters<typeof t>[1], style: 'good' | 'warning' = 'warning') => ({
  card: noticeCard({ title: t(req.locale, key), lines: [], style }),
});

/** The message that offers the file: what it holds, and Teams' consent card for it. */
async function offer(req: TurnRequest, deps: Deps): Promise<Reply> {
  // Only the size is needed to offer the file: its bytes are written when the person accepts it.
  const { size, count } = await csv().recordsCsvSize(...csvInput(req, deps));
  const holds = t(req.locale, readsEverything(req.actor) ? 'exports.all' : 'exports.own');
  return {
    card: noticeCard({
      title: t(req.locale, 'exports.ready', { count }),
      lines: [holds, t(req.locale, 'exports.accept')],
      style: 'good',
    }),
    attachments: [
      {
        contentType: FILE_CONSENT,
        name: fileName(deps),
        content: {
          description: `${t(req.locale, 'exports.ready', { count })} ${holds}`,
          sizeInBytes: size,
          acceptContext: CONTEXT,
          declineContext: CONTEXT,
        },
      },
    ],
  };
}

export const exportRecords: Handler = async (req, deps) => {
  if (req.conversation.type === 'personal') return offer(req, deps);
  // Files from a bot go to one person, in their personal chat: never into a channel or a group chat.
  const personal = `user:${req.actor.id}`;
  if (!req.actor.id || !(await deps.store.getConversation(personal)))
    return notice(req, 'exports.sayInPersonal');
  const reply = await offer(req, deps);
  await deps.notifier.post({
    id: `export:${req.correlationId}`,
    conversationKey: personal,
    kind: 'post',
    activity: {
      type: 'message',
      attachments: [
        ...('card' in reply
          ? [{ contentType: 'application/vnd.microsoft.card.adaptive', content: reply.card }]
          : []),
        ...('attachments' in reply ? (reply.attachments ?? []) : []),
      ],
    },
    createdAt: deps.clock.now().toISOString(),
  });
  return notice(req, 'exports.sentToPersonal', 'good');
};

/** What Teams sends when the person answers the consent card (`fileConsent/invoke`). */
export const FileConsentData = z.object({
  action: z.enum(['accept', 'decline']),
  context: z.object({ kind: z.literal(CONTEXT.kind) }),
  uploadInfo: z
    .object({
      name: z.string().min(1).max(255),
      uploadUrl: z.url({ protocol: /^https?$/ }),
      contentUrl: z.url({ protocol: /^https?$/ }),
      uniqueId: z.string().min(1).max(255),
      fileType: z.string().max(20).optional(),
    })
    .optional(),
});

/**
 * Uploads the CSV to the address Teams gave: a OneDrive upload session, so in ranges (OneDrive takes
 * under 60 MiB per request; an export of 100,000 requests is about 94 MB).
 */
async function upload(uploadUrl: string, bytes: Buffer): Promise<void> {
  await sendInRanges(
    (url, init) => fetch(url, { ...init, signal: AbortSignal.timeout(UPLOAD_TIMEOUT_MS) }),
    uploadUrl,
    bytes,
  );
}

export const answerFileConsent: ActionHandler<z.output<typeof FileConsentData>> = async (req, deps, data) => {
  if (data.action === 'decline') return notice(req, 'exports.declined', 'good');
  const info = data.uploadInfo;
  if (req.conversation.type !== 'personal' || !info) return notice(req, 'exports.failed');
  // Teams gives an https address; in local mode, as for every send, only this machine is reached.
  const url = new URL(info.uploadUrl);
  if (deps.config.localMode ? !onThisMachine(info.uploadUrl) : url.protocol !== 'https:') {
    deps.log.warn({ host: url.host }, 'refused to upload an export to an address it may not reach');
    return notice(req, 'exports.failed');
  }
  try {
    await upload(info.uploadUrl, (await csv().recordsCsvBytes(...csvInput(req, deps))).bytes);
  } catch (err) {
    deps.log.warn({ err }, 'could not upload an export');
    return notice(req, 'exports.failed');
  }
  return {
    card: noticeCard({
      title: t(req.locale, 'exports.saved', { name: info.name }),
      lines: [],
      style: 'good',
    }),
    attachments: [
      {
        contentType: FILE_INFO,
        contentUrl: info.contentUrl,
        name: info.name,
        content: { uniqueId: info.uniqueId, fileType: info.fileType ?? 'csv' },
      },
    ],
  };
};
