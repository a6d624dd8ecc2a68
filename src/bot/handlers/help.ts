import { helpCard } from '../../cards';
import { type Locale, t } from '../../i18n';
import { formatDate, formatList } from '../../i18n/format';
import type { HeldRole, RoleSource } from '../../services/role-grants';
import { actorRoles } from '../actor';
import type { Router } from '../router';
import type { Handler } from '../turn';

/** Where a role comes from, in words: the person named, a group they are in, a team they lead. */
function sourceIn(locale: Locale, via: RoleSource): string {
  const source = via.label ? `${via.label}, ${via.source}` : via.source;
  if (via.kind === 'group')
    return t(locale, 'roles.via.group', { label: via.label ?? via.id, source: via.source });
  return t(locale, via.kind === 'lead' ? 'roles.via.lead' : 'roles.via.person', { source });
}

/** One role as its holder reads it: the team, the branches it holds for, and where it comes from. */
function roleLine(locale: Locale, held: HeldRole, delegatedBy?: { name: string; until: string }): string {
  const branches = held.branches
    ? t(locale, 'roles.branches', { branches: formatList(held.branches, locale) })
    : t(locale, 'roles.everyBranch');
  const whence = delegatedBy
    ? t(locale, 'roles.delegatedBy', { name: delegatedBy.name, date: formatDate(delegatedBy.until, locale) })
    : formatList(
        held.via.map((v) => sourceIn(locale, v)),
        locale,
      );
  return t(locale, 'roles.line', { role: t(locale, `roles.${held.role}`), branches, whence });
}

/**
 * The help card lists exactly the commands the route table knows, in the person's language, and the
 * roles they hold with where each comes from: the roles file, a ROLE_* variable, a group, a delegation.
 */
export function helpHandler(router: Router): Handler {
  return async (req, deps) => {
    const commands = router.listCommands().map((c) => ({
      word: c.words[req.locale],
      description: t(req.locale, c.description),
    }));
    const { own, delegated } = await actorRoles(deps, req.actor.id, req.actor.name);
    const lines = [
      ...own.map((h) => roleLine(req.locale, h)),
      ...delegated.map((d) => roleLine(req.locale, d.held, { name: d.for.name, until: d.until })),
    ];
    if (req.actor.directoryUnavailable) lines.push(t(req.locale, 'errors.directoryUnavailable'));
    return { card: helpCard(req.locale, commands, lines) };
  };
}
