import { noticeCard } from '../../cards';
import type { Config } from '../../config';
import type { Logger } from '../../log';
import type { OpportunityStore } from '../../services/store';
import { t } from '../../i18n';
import { branchKey } from '../../services/lookback';
import { branchChannelKey, CHANNEL_KINDS, type ChannelKind, channelKey } from '../../services/routing';
import { normalizeWord } from '../router';
import type { Handler, TurnRequest } from '../turn';

/**
 * `register finance` (and union, procurement, updates), said in a team channel by the procurement team,
 * makes that channel receive those cards or lines; `channels` shows what goes where.
 */

const WORDS: Readonly<Record<string, ChannelKind>> = {
  procurement: 'procurement',
  approvisionnement: 'procurement',
  finance: 'finance',
  finances: 'finance',
  union: 'union',
  syndicat: 'union',
  consultation: 'union',
  updates: 'updates',
  update: 'updates',
  'mises-a-jour': 'updates',
  'mises a jour': 'updates',
  suivi: 'updates',
};

function kindOf(args: string): ChannelKind | undefined {
  return WORDS[normalizeWord(args.trim().replace(/\s+/g, ' '))];
}

/** `finance`, or `finance Innovation`: a team's channel for one client branch (decision teams only). */
function channelOf(args: string): { kind: ChannelKind; branch?: string } | undefined {
  const whole = kindOf(args);
  if (whole) return { kind: whole };
  const [word = '', ...rest] = args.trim().split(/\s+/);
  const kind = kindOf(word);
  const branch = rest.join(' ');
  return kind && kind !== 'updates' && branch !== '' ? { kind, branch } : undefined;
}

/** A channel's reference without the thread it was said in, so cards start threads of their own. */
function channelReference(req: TurnRequest): Record<string, unknown> {
  const ref = req.conversationReference as { conversation?: { id?: string } };
  const id = (ref.conversation?.id ?? '').split(';messageid=')[0];
  return { ...req.conversationReference, conversation: { ...ref.conversation, id } };
}

const say = (
  req: TurnRequest,
  key: Parameters<typeof t>[1],
  style: 'warning' | 'good' = 'warning',
  lines: string[] = [],
  params: Readonly<Record<string, string>> = {},
) => ({
  card: noticeCard({ title: t(req.locale, key, params), lines, style }),
});

/** The procurement team sets up every channel; finance and the union may also point at their own. */
function mayRegister(req: TurnRequest, kind: ChannelKind): boolean {
  const roles = req.actor.roles;
  return (
    roles.has('procurement') ||
    (kind === 'finance' && roles.has('finance')) ||
    (kind === 'union' && roles.has('union'))
  );
}

export const registerChannel: Handler = async (req, deps) => {
  if (req.conversation.type !== 'channel') return say(req, 'channels.notInChannel');
  const asked = channelOf(req.args);
  if (!asked) return say(req, 'channels.unknownKind');
  const { kind, branch } = asked;
  if (!mayRegister(req, kind)) return say(req, 'channels.notProcurement');
  if (branch !== undefined && kind !== 'updates') {
    // Cards of the branch's requests posted from now on come here; those already posted stay where they are.
    await deps.store.saveConversation(
      branchChannelKey(kind, branchKey(branch, deps.config.branches)),
      channelReference(req),
    );
    return say(req, 'channels.doneForBranch', 'good', [], {
      kind: t(req.locale, `channels.kinds.${kind}`),
      branch,
    });
  }
  await deps.store.saveConversation(channelKey(kind), channelReference(req));
  const routed = kind === 'updates' ? 0 : await deps.notifier.routeWaiting(kind);
  return {
    card: noticeCard({
      title: t(req.locale, 'channels.done', { kind: t(req.locale, `channels.kinds.${kind}`) }),
      lines: routed > 0 ? [t(req.locale, 'channels.routed', { count: routed })] : [],
      style: 'good',
    }),
  };
};

export const listChannels: Handler = async (req, deps) => {
  const lines: string[] = [];
  for (const kind of CHANNEL_KINDS) {
    const ref = (await deps.store.getConversation(channelKey(kind))) as { configured?: boolean } | undefined;
    const state = !ref
      ? t(req.locale, 'channels.none', { word: t(req.locale, `channels.words.${kind}`) })
      : ref.configured
        ? t(req.locale, 'channels.configured')
        : t(req.locale, 'channels.registered');
    lines.push(t(req.locale, 'channels.line', { kind: t(req.locale, `channels.kinds.${kind}`), state }));
  }
  return { card: noticeCard({ title: t(req.locale, 'channels.heading'), lines }) };
};

/**
 * Channels given by configuration, stored as conversation references so they are used like registered
 * ones; a channel registered in chat is never replaced by them.
 */
export async function useConfiguredChannels(
  store: OpportunityStore,
  config: Config,
  log: Logger,
): Promise<void> {
  for (const kind of CHANNEL_KINDS) {
    const id = config.channels[kind];
    if (!id) continue;
    try {
      const existing = (await store.getConversation(channelKey(kind))) as
        { configured?: boolean } | undefined;
      if (existing && !existing.configured) continue;
      await store.saveConversation(channelKey(kind), {
        configured: true,
        channelId: 'msteams',
        serviceUrl: config.teamsServiceUrl,
        bot: { id: config.bot.appId, name: 'Microacq' },
        conversation: { id, isGroup: true, conversationType: 'channel', tenantId: config.bot.tenantId },
      });
    } catch (err) {
      // The store may be down at start-up; the bot still starts and the channel can be registered in chat.
      log.warn({ err, kind }, 'could not store a configured channel');
    }
  }
}
