/**
 * `npm run mutate [-- --mutate src/services/<file>.ts]`: mutation testing of the workflow core with
 * StrykerJS (stryker.config.json), then each file's score against its target. Exits 1 when a file with a
 * target is below it, so a rule that lost its test does not go unnoticed.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';

/** Per file: the share of compiling mutants the unit suites must kill. */
export const TARGETS: Readonly<Record<string, number>> = {
  'src/services/lifecycle.ts': 95,
  'src/services/rules.ts': 95,
  'src/services/pricing.ts': 95,
  'src/services/draw.ts': 95,
  'src/services/business-days.ts': 95,
  'src/services/access.ts': 95,
  'src/services/change.ts': 95,
  'src/services/waits.ts': 95,
  'src/services/questions.ts': 95,
  'src/services/forms.ts': 95,
  'src/services/applications.ts': 95,
  'src/services/evaluation.ts': 95,
  'src/services/debrief.ts': 95,
  'src/services/intake.ts': 90,
  'src/services/pipeline.ts': 90,
};

const ROOT = path.resolve(__dirname, '..');
const REPORT = path.join(ROOT, 'test-output/mutation/mutation.json');

interface Mutant {
  readonly status: string;
}
interface Report {
  readonly files: Readonly<Record<string, { readonly mutants: readonly Mutant[] }>>;
}

export interface FileScore {
  readonly file: string;
  readonly killed: number;
  readonly survived: number;
  readonly noCoverage: number;
  /** Killed or timed out, over every mutant that compiled; undefined when none did. */
  readonly score: number | undefined;
  readonly target: number | undefined;
}

/** Stryker's mutation score per file: compile errors are not mutants, time-outs count as killed. */
export function scores(report: Report): FileScore[] {
  return Object.entries(report.files)
    .map(([file, { mutants }]) => {
      const count = (...statuses: string[]) => mutants.filter((m) => statuses.includes(m.status)).length;
      const killed = count('Killed', 'Timeout');
      const survived = count('Survived');
      const noCoverage = count('NoCoverage');
      const valid = killed + survived + noCoverage;
      const relative = path.relative(ROOT, path.resolve(ROOT, file)).split(path.sep).join('/');
      return {
        file: relative,
        killed,
        survived,
        noCoverage,
        score: valid === 0 ? undefined : (100 * killed) / valid,
        target: TARGETS[relative],
      };
    })
    .sort((a, b) => a.file.localeCompare(b.file));
}

export function belowTarget(s: FileScore): boolean {
  return s.target !== undefined && s.score !== undefined && s.score < s.target;
}

function table(rows: readonly FileScore[]): string {
  const header = ['file', 'killed', 'survived', 'no coverage', 'score', 'target', ''];
  const lines = rows.map((r) => [
    r.file,
    String(r.killed),
    String(r.survived),
    String(r.noCoverage),
    r.score === undefined ? '–' : `${r.score.toFixed(1)} %`,
    r.target === undefined ? '' : `≥ ${r.target} %`,
    r.target === undefined ? '' : belowTarget(r) ? 'BELOW' : 'ok',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] as string).length)));
  const row = (cells: readonly string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  return [row(header), ...lines.map(row)].join('\n');
}

function main(): void {
  const stryker = path.join(ROOT, 'node_modules/.bin/stryker');
  const run = spawnSync(stryker, ['run', ...process.argv.slice(2)], { cwd: ROOT, stdio: 'inherit' });
  if (run.status !== 0) process.exit(run.status ?? 1);
  const rows = scores(JSON.parse(readFileSync(REPORT, 'utf8')) as Report);
  console.log(`\nMutation score per file (report: ${path.relative(ROOT, REPORT)}, index.html beside it)\n`);
  console.log(table(rows));
  const failing = rows.filter(belowTarget);
  if (failing.length > 0) {
    console.error(`\nBelow target: ${failing.map((r) => r.file).join(', ')}`);
    process.exit(1);
  }
}

if (require.main === module) main();
