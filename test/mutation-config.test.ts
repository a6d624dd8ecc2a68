import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { belowTarget, scores, TARGETS } from '../scripts/mutate';

/**
 * `npm run mutate` is too long for every run, so here CI checks what keeps it working: StrykerJS loads
 * the configuration with its plugins, the unit suites pass under it, and the per-file scores are
 * computed and judged as the README says.
 */
const ROOT = path.resolve(__dirname, '..');
const config = JSON.parse(readFileSync(path.join(ROOT, 'stryker.config.json'), 'utf8')) as {
  mutate: string[];
  mochaOptions: { spec: string[] };
  tsconfigFile: string;
  checkers: string[];
  tempDirName: string;
};

describe('mutation testing (npm run mutate)', () => {
  it('mutates the whole workflow core, where every file with a target lives', () => {
    assert.deepEqual(config.mutate, ['src/services/**/*.ts']);
    for (const file of Object.keys(TARGETS)) {
      assert.match(file, /^src\/services\/[\w-]+\.ts$/);
      assert.ok(existsSync(path.join(ROOT, file)), file);
    }
  });

  it('runs the unit suites and the change path’s matrix, with the TypeScript checker on a configuration that covers them', () => {
    assert.deepEqual(config.checkers, ['typescript']);
    const tsconfig = JSON.parse(readFileSync(path.join(ROOT, config.tsconfigFile), 'utf8')) as {
      include: string[];
    };
    assert.deepEqual(tsconfig.include, ['src/services', 'test/services', 'test/change.test.ts']);
    assert.deepEqual(config.mochaOptions.spec, ['test/services/**/*.test.ts', 'test/change.test.ts']);
  });

  it('loads in StrykerJS with its plugins, and the unit suites pass under it (dry run)', async function () {
    this.timeout(300_000);
    const stryker = path.join(ROOT, 'node_modules/.bin/stryker');
    // Its own sandbox and incremental file, so a mutation run going on beside it is left alone.
    const { stdout } = await promisify(execFile)(
      stryker,
      [
        'run',
        '--dryRunOnly',
        '--incrementalFile',
        path.join(mkdtempSync(path.join(tmpdir(), 'stryker-')), 'incremental.json'),
        '--reporters',
        'clear-text',
        '--tempDirName',
        `${config.tempDirName}-dry-run`,
        '--logLevel',
        'info',
      ],
      { cwd: ROOT, maxBuffer: 64 * 1024 * 1024 },
    );
    assert.match(stdout, /Initial test run succeeded/);
  });

  it('scores a file as Stryker does: time-outs count as killed, mutants that do not compile do not count', () => {
    const report = {
      files: {
        'src/services/draw.ts': {
          mutants: [
            ...Array(17).fill({ status: 'Killed' }),
            ...Array(2).fill({ status: 'Timeout' }),
            { status: 'Survived' },
            ...Array(5).fill({ status: 'CompileError' }),
            { status: 'Ignored' },
          ],
        },
        'src/services/search.ts': { mutants: [{ status: 'NoCoverage' }, { status: 'Killed' }] },
        'src/services/store.ts': { mutants: [{ status: 'CompileError' }] },
      },
    };
    assert.deepEqual(scores(report), [
      { file: 'src/services/draw.ts', killed: 19, survived: 1, noCoverage: 0, score: 95, target: 95 },
      { file: 'src/services/search.ts', killed: 1, survived: 0, noCoverage: 1, score: 50, target: undefined },
      {
        file: 'src/services/store.ts',
        killed: 0,
        survived: 0,
        noCoverage: 0,
        score: undefined,
        target: undefined,
      },
    ]);
  });

  it('fails a file below its target, and only a file that has one', () => {
    const row = { file: 'src/services/intake.ts', killed: 89, survived: 11, noCoverage: 0, target: 90 };
    assert.equal(belowTarget({ ...row, score: 89 }), true);
    assert.equal(belowTarget({ ...row, score: 90 }), false);
    assert.equal(belowTarget({ ...row, score: 12, target: undefined }), false);
  });
});
