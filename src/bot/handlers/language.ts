import { cardAction, noticeCard } from '../../cards';
import { type Locale, t } from '../../i18n';
import { normalizeWord } from '../router';
import { z } from 'zod';
import type { ActionHandler, Handler, Reply, TurnRequest } from '../turn';

/**
 * `language` / `langue`: a person may speak to the bot in the other official language than their Teams
 * client's. The choice is stored with them, so it holds in every chat and after a restart.
 */

type Choice = Locale | 'teams';

const WORDS: Readonly<Record<string, Choice>> = {
  en: 'en',
  english: 'en',
  anglais: 'en',
  fr: 'fr',
  french: 'fr',
  francais: 'fr',
  teams: 'teams',
  auto: 'teams',
};

function choiceOf(text: string): Choice | undefined {
  return WORDS[normalizeWord(text)];
}

function choices(locale: Locale) {
  return [
    cardAction({ title: t(locale, 'language.english'), verb: 'language.set', data: { language: 'en' } }),
    cardAction({ title: t(locale, 'language.french'), verb: 'language.set', data: { language: 'fr' } }),
    cardAction({ title: t(locale, 'language.teams'), verb: 'language.set', data: { language: 'teams' } }),
  ];
}

async function choose(
  req: TurnRequest,
  choice: Choice,
  save: (l: Locale | undefined) => Promise<unknown>,
): Promise<Reply> {
  await save(choice === 'teams' ? undefined : choice);
  const locale = choice === 'teams' ? req.teamsLocale : choice;
  return {
    card: noticeCard({
      title: t(locale, choice === 'teams' ? 'language.auto' : 'language.chosen'),
      lines: [],
      style: 'good',
      actions: choices(locale),
    }),
  };
}

export const languageCommand: Handler = async (req, deps) => {
  const save = (locale: Locale | undefined) =>
    deps.store.savePreferences(req.actor.id, locale ? { locale } : {});
  const words = req.args.trim();
  if (words !== '') {
    const choice = choiceOf(words);
    if (!choice) {
      return {
        card: noticeCard({
          title: t(req.locale, 'language.unknown'),
          lines: [],
          style: 'warning',
          quote: words.slice(0, 100),
          actions: choices(req.locale),
        }),
      };
    }
    return choose(req, choice, save);
  }
  const prefs = await deps.store.getPreferences(req.actor.id);
  return {
    card: noticeCard({
      title: t(req.locale, 'language.heading'),
      lines: [
        t(req.locale, 'language.current'),
        ...(prefs.locale ? [] : [t(req.locale, 'language.followingTeams')]),
        t(req.locale, 'language.choose'),
      ],
      actions: choices(req.locale),
    }),
  };
};

/** The language button's choice; anything else shows the choices again. */
export const LanguageData = z.object({ language: z.unknown().optional() });

export const setLanguage: ActionHandler<z.output<typeof LanguageData>> = async (req, deps, data) => {
  const choice = typeof data.language === 'string' ? choiceOf(data.language) : undefined;
  if (!choice) return languageCommand({ ...req, args: '' }, deps);
  return choose(req, choice, (locale) => deps.store.savePreferences(req.actor.id, locale ? { locale } : {}));
};
