import { helpCard } from '../../cards';
import { t } from '../../i18n';
import type { Router } from '../router';
import type { Handler } from '../turn';

/** The help card lists exactly the commands the route table knows, in the person's language. */
export function helpHandler(router: Router): Handler {
  return async (req) => {
    const commands = router.listCommands().map((c) => ({
      word: c.words[req.locale],
      description: t(req.locale, c.description),
    }));
    const roles = [...req.actor.roles].map((r) => t(req.locale, `roles.${r}`));
    return { card: helpCard(req.locale, commands, roles) };
  };
}
