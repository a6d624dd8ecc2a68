import { strict as assert } from 'node:assert';
import type { Opportunity } from '../src/services/opportunity';
import type { Actor } from '../src/services/roles';
import type { NewAuditEntry } from '../src/services/store';
import { contentAt, newOpportunity, step, submittedAudit } from './contract/fixtures';
import {
  activity,
  cardAction,
  Connector,
  PEOPLE,
  post,
  type Sent,
  startTestBot,
  textOf,
  type TestBot,
} from './support/teams';
import { CHECKLIST } from './support/opportunities';

/**
 * `export` gives the CSV to the person who asked and nobody else, as Teams gives files from a bot: a
 * consent card in their personal chat, the file uploaded to the address Teams gives once they accept,
 * and a file card in the chat. Played here against the connector stand-in, which also takes the upload.
 */

const FILE_CONSENT = 'application/vnd.microsoft.teams.card.file.consent';
const FILE_INFO = 'application/vnd.microsoft.teams.card.file.info';
type Who = (typeof PEOPLE)[keyof typeof PEOPLE];
const as = (who: Who, ...roles: ('procurement' | 'finance')[]): Actor => ({
  id: who.aadObjectId,
  name: who.name,
  roles: new Set(roles),
});

interface Attachment {
  readonly contentType: string;
  readonly name?: string;
  readonly contentUrl?: string;
  readonly content: Record<string, unknown>;
}
const attachmentsOf = (sent: Sent | undefined) => (sent?.body.attachments ?? []) as Attachment[];

describe('export, as a file for the person who asked', function () {
  this.timeout(20_000);
  let connector: Connector;
  let bot: TestBot;
  let mine: Opportunity;
  let theirs: Opportunity;

  beforeEach(async () => {
    connector = await Connector.start();
    bot = await startTestBot({}, { now: () => new Date('2026-03-09T15:00:00Z'), background: false });
    let n = 0;
    const seed = async (by: Actor, funded: boolean) => {
      const input = newOpportunity({ requester: by });
      let o = await bot.store.create(input, submittedAudit(input), `seed-${++n}`);
      if (!funded) return o;
      for (const [action, payload, who] of [
        ['vet_go', CHECKLIST, as(PEOPLE.procurement, 'procurement')],
        ['approve_funds', { fundReservationNumber: 'FR-9' }, as(PEOPLE.finance, 'finance')],
      ] as const) {
        const { next, audit } = step(o, action, payload, who);
        o = await bot.store.transition(next, o.version, audit as NewAuditEntry);
      }
      return o;
    };
    mine = await seed(as(PEOPLE.requester), true);
    theirs = await seed(as(PEOPLE.colleague), false);
  });
  afterEach(async () => {
    await bot.server.stop();
    await connector.close();
  });

  const where = (from: Who, locale = 'en-US', conversationType: 'personal' | 'channel' = 'personal') => ({
    serviceUrl: connector.url,
    from,
    locale,
    conversationType,
  });
  const say = async (text: string, from: Who = PEOPLE.requester, locale = 'en-US', inChannel = false) => {
    const before = connector.sent.length;
    const res = await post(
      bot,
      activity('message', where(from, locale, inChannel ? 'channel' : 'personal'), { text }),
    );
    assert.equal(res.status, 200);
    return (await connector.waitFor(before + 1)).at(-1);
  };
  /** What Teams sends when the person presses Accept or Decline on the consent card. */
  const answer = async (
    from: Who,
    action: 'accept' | 'decline',
    context: unknown,
    uploadUrl = `${connector.url}/upload/session-1`,
  ) => {
    const before = connector.sent.length;
    const res = await post(
      bot,
      activity('invoke', where(from), {
        name: 'fileConsent/invoke',
        value: {
          type: 'fileUpload',
          action,
          context,
          ...(action === 'accept'
            ? {
                uploadInfo: {
                  contentUrl:
                    'https://contoso-my.sharepoint.com/personal/riley/Documents/Applications/microacq.csv',
                  name: 'microacq-2026-03-09.csv',
                  uploadUrl,
                  fileType: 'csv',
                  uniqueId: '5f1a-2b3c',
                },
              }
            : {}),
        },
      }),
    );
    assert.equal(res.status, 200);
    return (await connector.waitFor(before + 1)).at(-1);
  };

  it('offers the file with Teams’ consent card in the personal chat, saying what it holds', async () => {
    const offer = await say('export');
    const [card, consent] = attachmentsOf(offer);
    assert.match(textOf(card?.content), /Your export is ready: one record/);
    assert.match(textOf(card?.content), /It holds your own requests/);
    assert.equal(consent?.contentType, FILE_CONSENT);
    assert.equal(consent?.name, 'microacq-2026-03-09.csv');
    assert.ok(Number(consent?.content.sizeInBytes) > 100);
    assert.deepEqual(consent?.content.acceptContext, { kind: 'microacq.export' });
  });

  it('uploads, once accepted, only what the person may see, and shows the file in the chat', async () => {
    const consent = attachmentsOf(await say('export'))[1];
    const saved = await answer(PEOPLE.requester, 'accept', consent?.content.acceptContext);
    const [upload] = connector.uploads;
    assert.ok(upload);
    assert.match(upload.body, new RegExp(mine.reference));
    assert.doesNotMatch(upload.body, new RegExp(theirs.reference));
    assert.doesNotMatch(upload.body, /FR-9|fund_reservation_number/);
    const size = Buffer.byteLength(upload.body);
    assert.equal(upload.headers['content-range'], `bytes 0-${size - 1}/${size}`);
    const info = attachmentsOf(saved).find((a) => a.contentType === FILE_INFO);
    assert.deepEqual(info, {
      contentType: FILE_INFO,
      contentUrl: 'https://contoso-my.sharepoint.com/personal/riley/Documents/Applications/microacq.csv',
      name: 'microacq-2026-03-09.csv',
      content: { uniqueId: '5f1a-2b3c', fileType: 'csv' },
    });
    assert.match(textOf(attachmentsOf(saved)[0]?.content), /Saved in your OneDrive: microacq-2026-03-09.csv/);
  });

  it('gives finance every request, with fund reservation numbers, in French', async () => {
    const offer = await say('exporter', PEOPLE.finance, 'fr-CA');
    assert.match(textOf(attachmentsOf(offer)[0]?.content), /Votre exportation est prête : 2 dossiers/);
    await answer(PEOPLE.finance, 'accept', { kind: 'microacq.export' });
    const csv = connector.uploads[0]?.body ?? '';
    assert.match(csv, new RegExp(theirs.reference));
    assert.match(csv, /fund_reservation_number/);
    assert.match(csv, /FR-9/);
  });

  it('uploads nothing when the person declines, and says so', async () => {
    await say('export');
    const declined = await answer(PEOPLE.requester, 'decline', { kind: 'microacq.export' });
    assert.match(textOf(attachmentsOf(declined)[0]?.content), /The export was not saved/);
    assert.deepEqual(connector.uploads, []);
  });

  it('says the file could not be saved when OneDrive keeps failing, and to try again', async () => {
    const unavailable = {
      status: 503,
      method: 'PUT',
      headers: { 'Retry-After': '0' },
      body: { error: { code: 'serviceNotAvailable' } },
    };
    connector.script(unavailable, unavailable, unavailable);
    const failed = await answer(PEOPLE.requester, 'accept', { kind: 'microacq.export' });
    assert.match(textOf(attachmentsOf(failed)[0]?.content), /could not be saved in your OneDrive/);
    assert.deepEqual(connector.uploads, []);
  });

  it('sends the file again where OneDrive was busy once, and saves it', async () => {
    connector.script({ status: 503, method: 'PUT', headers: { 'Retry-After': '0' } });
    const saved = await answer(PEOPLE.requester, 'accept', { kind: 'microacq.export' });
    assert.match(textOf(attachmentsOf(saved)[0]?.content), /Saved in your OneDrive/);
    assert.equal(connector.uploads.length, 1);
    assert.match(connector.uploads[0]?.body ?? '', new RegExp(mine.reference));
  });

  it('sends a large export in the ranges OneDrive takes, and the file arrives whole', async function () {
    this.timeout(60_000);
    // Enough requests for a CSV of more than one range (5 MiB): about 950 bytes each, with long team and
    // department names.
    const client = {
      ...contentAt('2026-03-09T15:00:00Z').client,
      team: `Team ${'t'.repeat(250)}`,
      department: `Department ${'d'.repeat(240)}`,
    };
    const many: string[] = [];
    for (let i = 0; i < 6_000; i++) {
      const input = newOpportunity({
        requester: as(PEOPLE.requester),
        title: `Large export ${i} ${'x'.repeat(80)}`,
        content: { client },
      });
      many.push((await bot.store.create(input, submittedAudit(input), `many-${i}`)).reference);
    }
    const saved = await answer(PEOPLE.requester, 'accept', { kind: 'microacq.export' });
    assert.match(textOf(attachmentsOf(saved)[0]?.content), /Saved in your OneDrive/);
    const [upload] = connector.uploads;
    assert.ok(upload);
    const size = Buffer.byteLength(upload.body);
    assert.ok(size > 5 * 1024 * 1024, `${size} bytes`);
    assert.ok(upload.ranges.length >= 2, upload.ranges.join(', '));
    assert.equal(upload.ranges.at(-1)?.endsWith(`-${size - 1}/${size}`), true);
    const lines = upload.body.trimEnd().split(/\r?\n/);
    assert.equal(lines.length, 1 + 1 + many.length, 'the header, the first request and every other one');
    for (const reference of [many[0], many[2_999], many.at(-1)])
      assert.match(upload.body, new RegExp(`${reference},`));
  });

  it('uploads nowhere but this machine in local mode, and nothing for an answer of another kind', async () => {
    const away = await answer(
      PEOPLE.requester,
      'accept',
      { kind: 'microacq.export' },
      'https://evil.example/u',
    );
    assert.match(textOf(attachmentsOf(away)[0]?.content), /could not be saved/);
    const other = await answer(PEOPLE.requester, 'accept', { kind: 'something else' });
    assert.match(textOf(attachmentsOf(other)[0]?.content), /could not be saved/);
    assert.deepEqual(connector.uploads, []);
  });

  it('never puts the file in a channel: it goes to the personal chat, or the person is told where to ask', async () => {
    const unknown = await say('export', PEOPLE.finance, 'en-US', true);
    assert.match(
      textOf(attachmentsOf(unknown)[0]?.content),
      /open your chat with Microacq and say \*\*export\*\* there/,
    );
    assert.ok(attachmentsOf(unknown).every((a) => a.contentType !== FILE_CONSENT));
    await say('help', PEOPLE.finance);
    const told = await say('export', PEOPLE.finance, 'en-US', true);
    assert.match(textOf(attachmentsOf(told)[0]?.content), /waiting in your personal chat/);
    assert.ok(attachmentsOf(told).every((a) => a.contentType !== FILE_CONSENT));
    const before = connector.sent.length;
    await bot.server.tick();
    const offer = (await connector.waitFor(before + 1)).at(-1);
    assert.match(offer?.path ?? '', /a%3Achat-personal-aad-finance|a:chat-personal-aad-finance/);
    assert.equal(attachmentsOf(offer)[1]?.contentType, FILE_CONSENT);
  });

  it('cannot be reached from a card button', async () => {
    const res = await post(
      bot,
      cardAction(where(PEOPLE.requester), 'file.consent', {
        action: 'accept',
        context: { kind: 'microacq.export' },
        uploadInfo: {
          uploadUrl: `${connector.url}/upload/x`,
          contentUrl: connector.url,
          name: 'x',
          uniqueId: 'x',
        },
      }),
    );
    assert.equal(res.status, 200);
    assert.match(textOf(((await res.json()) as { value: unknown }).value), /no longer available/);
    assert.deepEqual(connector.uploads, []);
  });
});
