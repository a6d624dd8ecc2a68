/**
 * axe-core run in a page: the WCAG 2.1 AA rules, and each violation described with what to fix, for the
 * cards and the public pages alike.
 */

export const AXE = require.resolve('axe-core/axe.min.js');

export const WCAG_21_AA = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

export interface Violation {
  id: string;
  impact: string;
  help: string;
  helpUrl: string;
  nodes: { target: string; text: string; summary: string }[];
}

/** Runs axe-core on the whole page, so the page-level rules (language, title) are checked with the card. */
export async function axeInPage(tags: string[]): Promise<Violation[]> {
  const { axe } = window as unknown as { axe: typeof import('axe-core') };
  const results = await axe.run(document, {
    runOnly: { type: 'tag', values: tags },
    resultTypes: ['violations'],
  });
  return results.violations.map((v) => ({
    id: v.id,
    impact: v.impact ?? 'unknown',
    help: v.help,
    helpUrl: v.helpUrl,
    nodes: v.nodes.map((n) => {
      const target = n.target.join(' ');
      // The element's own words find it faster than a selector; a document-level rule has none.
      const text = (document.querySelector(target)?.textContent ?? '').replace(/\s+/g, ' ').trim();
      return {
        target,
        text: text.length > 100 ? `${text.slice(0, 100)}…` : text,
        summary: n.failureSummary ?? '',
      };
    }),
  }));
}

/** Each violation's rule, impact and the elements it found, with what to fix: enough to act on. */
export function describeViolations(violations: readonly Violation[]): string {
  return violations
    .map((v) =>
      [
        `${v.id} (${v.impact}): ${v.help} — ${v.helpUrl}`,
        ...v.nodes.map(
          (n) => `  at ${n.target}${n.text ? ` “${n.text}”` : ''}\n    ${n.summary.replace(/\n\s*/g, ' ')}`,
        ),
      ].join('\n'),
    )
    .join('\n');
}
