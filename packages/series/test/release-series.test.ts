/**
 * The lockd series as published package versions, end to end: release every step to a fresh
 * embedded registry, install two lockd versions in a clean directory as a user would, run a
 * reproducer against each, and bisect the published versions; the answer must agree with the
 * step bisect. Runs only in the main tree (a materialised tree has no patches/), and not when
 * LOCKSTEP_SKIP_SERIES=1.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import semver from 'semver';
import { afterAll, describe, expect, it } from 'vitest';
import type { BisectResult } from '../src/bisect/bisect.js';
import { versionBisect } from '../src/bisect/version-bisect.js';
import { scopeCopies } from '../src/bisect/version-bisect-sandbox.js';
import { runProcess } from '../src/lib/proc.js';
import { startEmbeddedRegistry } from '../src/lib/registry.js';
import { fetchPackument, fetchTarball } from '../src/lib/registry-client.js';
import type { ReproOutcome } from '../src/lib/reproducers.js';
import { withScratch } from '../src/lib/scratch.js';
import { npmrcLine, publishedSteps } from '../src/registry/command.js';
import { tarballExports } from '../src/release/checks.js';
import { CLI_PACKAGE, release } from '../src/release/release.js';
import { computeVersions } from '../src/series/versions.js';
import { loadOneSeries } from '../src/series/workspace.js';
import { HANG_GUARD_MS } from './helpers.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const enabled =
  existsSync(join(root, 'patches', 'lockd-try6', 'series')) &&
  process.env.LOCKSTEP_SKIP_SERIES !== '1';

// The model refutes patch 6's claim on the use-after-free (it crashes at every step), so the
// bisects follow the hang patch 5 introduces and patch 6 removes: clean up to 4, crash at 5.
const HANG = 'lockd-down-kthread-stop-lost-wakeup';
const LOCKD = '@lockstep/lockd';

/** The `npm install` lines of the README's section on installing a step from the registry. */
function readmeInstallCommands(): string[] {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const start = readme.indexOf('### Installing a step from the registry');
  const end = readme.indexOf('\n#', start + 1);
  return readme
    .slice(start, end)
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.startsWith('npm install @lockstep/'));
}

describe.runIf(enabled)('the lockd series released as package versions', () => {
  const base = mkdtempSync(join(tmpdir(), 'lockstep-release-'));
  afterAll(() => rmSync(base, { recursive: true, force: true }));

  it(
    'publishes every step, installs like a user, and bisects versions to the patch the step bisect names',
    async () => {
      const ws = await loadOneSeries(root, 'lockd-try6');
      const regDir = join(base, 'registry');
      const opts = {
        dir: join(base, 'tree'),
        workDir: join(base, 'work'),
        recordFile: join(base, 'releases.json'),
        target: { kind: 'embedded' as const, dir: regDir },
      };
      const record = await release(ws, opts);
      expect(record.status).toBe('complete');
      // The versions `changeset version` produced are the ones `lockstep series` plans.
      const plan = await withScratch((s) => computeVersions(ws, s));
      expect(record.steps.map((s) => s.versions)).toEqual(plan.map((s) => s.versions));
      const all = record.steps.flatMap((s) => s.packages);
      expect(all.length).toBeGreaterThan(record.steps.length);
      for (const p of all) {
        expect(p.status, `${p.name}@${p.version}`).toBe('published');
        expect(p.checks?.publint?.ok && p.checks.attw?.ok && p.checks.dependencies?.ok).toBe(true);
      }
      expect(record.published).toBe(all.length);

      // Again against the same registry: nothing to do.
      const again = await release(ws, opts);
      expect(again.published).toBe(0);
      expect(again.alreadyPublished).toBe(all.length);

      const at = (step: number, name: string) => record.steps[step]!.versions[name]!;
      const reg = await startEmbeddedRegistry({ dir: regDir });
      let firstStep: number | null;
      try {
        // lockd after patch 5 uses names sunrpc exports from patches 1 and 2: its range on
        // sunrpc must not admit the base's sunrpc, which lacks them.
        const lockdDoc = (await fetchPackument(reg.url, LOCKD))!;
        const sunrpcDoc = (await fetchPackument(reg.url, '@lockstep/sunrpc'))!;
        const range = lockdDoc.versions[at(5, LOCKD)]!.dependencies!['@lockstep/sunrpc']!;
        const lowest = semver.minSatisfying(Object.keys(sunrpcDoc.versions), range)!;
        const exportsOf = (v: string) =>
          withScratch(async (s) =>
            tarballExports(await fetchTarball(reg.url, sunrpcDoc.versions[v]!), s),
          );
        const needed = ['svc_prepare_thread', 'svc_sock_update_bufs'];
        expect(await exportsOf(lowest)).toEqual(expect.arrayContaining(needed));
        const baseSunrpc = await exportsOf(at(0, '@lockstep/sunrpc'));
        expect(needed.filter((n) => baseSunrpc!.includes(n))).toEqual([]);
        expect(lockdDoc.versions[at(6, LOCKD)]!.lockstep?.step).toBe(6);
        expect(lockdDoc.versions[at(6, LOCKD)]!.lockstep?.series).toBe('lockd-try6');
        expect(lockdDoc['dist-tags']?.['lockd-try6']).toBe(at(6, LOCKD));

        // What `lockstep registry` prints for each step is what the release published.
        const docs = (
          await Promise.all(Object.keys(record.versions).map((n) => fetchPackument(reg.url, n)))
        ).filter((d) => d !== null);
        const served = publishedSteps(docs, 'lockd-try6');
        expect(served.map((s) => s.versions)).toEqual(record.steps.map((s) => s.versions));

        // As the README tells a user: the .npmrc line, then `npm install` of a lockd and the
        // reproducers, nothing else; npm adds machine and the model packages (peers), and the
        // set must be the one of lockd's step, one copy of each, and run.
        const commands = readmeInstallCommands();
        expect(commands.length).toBeGreaterThanOrEqual(2);
        const outcomes: ReproOutcome[] = [];
        for (const [i, command] of commands.entries()) {
          const specs = command.split(' ').slice(2);
          const lockd = specs.find((x) => x.startsWith(`${LOCKD}@`))!.slice(LOCKD.length + 1);
          const step = record.steps.findIndex((s) => s.versions[LOCKD] === lockd);
          expect(step, command).toBeGreaterThanOrEqual(0);
          const dir = join(base, `user-${i}`);
          mkdirSync(dir);
          writeFileSync(join(dir, '.npmrc'), `${npmrcLine('@lockstep', reg.url)}\n`);
          const install = await runProcess(
            'npm',
            ['install', '--no-audit', '--no-fund', ...specs],
            {
              cwd: dir,
            },
          );
          expect(install.code, install.stderr).toBe(0);
          const installed: Record<string, string> = {};
          for (const [name, copies] of scopeCopies(dir, '@lockstep')) {
            expect(copies, name).toHaveLength(1);
            installed[name] = copies[0]!.slice(copies[0]!.lastIndexOf('@') + 1);
          }
          // The step's set, less the CLI and the illumos models (published at the step as
          // shared packages, but nothing a lockd user installs depends on them).
          const {
            [CLI_PACKAGE]: _cli,
            '@lockstep/illumos': _illumos,
            '@lockstep/klm': _klm,
            ...stepVersions
          } = record.steps[step]!.versions;
          expect(installed, command).toEqual(stepVersions);
          const run = await runProcess('npx', ['lockstep-repro', HANG, '--json'], { cwd: dir });
          expect(run.code, run.stderr).toBe(0);
          outcomes.push((JSON.parse(run.stdout) as { outcomes: ReproOutcome[] }).outcomes[0]!);
        }
        // The README installs the lockd of step 5 (the hang patch 5 brings in), then step 6's.
        expect(outcomes.map((o) => o.status)).toEqual(['crash', 'clean']);
        expect(outcomes[0]!.title).toBe('INFO: task hung in lockd_down');

        const vb = await versionBisect({
          reproducer: HANG,
          pkg: LOCKD,
          good: at(0, LOCKD),
          bad: at(5, LOCKD),
          registry: reg.url,
          records: [record],
          series: 'lockd-try6',
        });
        expect(vb.firstVersion).toBe(at(5, LOCKD));
        expect(vb.after).toBe(outcomes[0]!.title);
        expect(vb.before).toBe('clean');
        firstStep = vb.step;
      } finally {
        await reg.stop();
      }
      // The step bisect, as `lockstep bisect <id>` runs it (the built CLI: git bisect run needs
      // its dist/bisect-step.js).
      const cli = join(root, 'packages', 'series', 'dist', 'cli.js');
      expect(existsSync(cli), 'build @lockstep/series first').toBe(true);
      const steps = await runProcess(
        'node',
        [cli, 'bisect', HANG, '--series', 'lockd-try6', '--to', '5', '--dir', opts.dir, '--json'],
        {
          cwd: root,
        },
      );
      expect(steps.code, steps.stderr).toBe(0);
      const stepResult = JSON.parse(steps.stdout) as BisectResult;
      expect(stepResult.firstStep).toBe(5);
      expect(firstStep).toBe(stepResult.firstStep);
    },
    HANG_GUARD_MS,
  );
});
