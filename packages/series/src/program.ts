import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { Command, CommanderError } from 'commander';
import { bisect } from './bisect/bisect.js';
import { SeriesError, SeriesFailure, SeriesUsageError } from './lib/errors.js';
import { requireGit } from './lib/git.js';
import { withScratch } from './lib/scratch.js';
import { addRegistryCommand } from './registry/command.js';
import {
  addReleaseCommand,
  addVersionBisectOptions,
  isVersionBisect,
  runVersionBisect,
  type VersionBisectCliOptions,
} from './release/command.js';
import { addReviewCommands } from './review/command.js';
import { exportSeries } from './series/export.js';
import { checkoutStep, materialise } from './series/materialise.js';
import type { PatchInfo } from './series/patch-file.js';
import { checkSeriesSafety } from './series/safety.js';
import { parseStep, readPatchInfos } from './series/steps.js';
import { defaultTracesDir, resolveTreeDir } from './series/tree.js';
import { computeVersions, type VersionStep } from './series/versions.js';
import { findWorkspaceRoot, loadWorkspaces, type Workspace } from './series/workspace.js';
import { formatVerify } from './verify/matrix.js';
import { type VerifyReport, verify, verifyFile } from './verify/verify.js';

/** Where the CLI reads and writes; tests pass their own. */
export interface CliIO {
  cwd: string;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

const HELP_AFTER = `
The series: each directory under patches/ is one series, named by the directory. Its file
patches/<name>/series lists patch files (paths relative to patches/<name>/) in the order they
apply, one per line, quilt style: blank lines and lines starting with # are comments. Header
comment lines before the first patch say what the series is:
  # Title: The lockd kthread conversion as posted (try #6, January 2008)   (optional)
  # Base: linux v2.6.24                                                    (required)
  # Packages: @lockstep/sunrpc @lockstep/lockd                             (required)
  # Version-line: 1           (optional; default: the series' place in the sorted names)
A patch may change only the packages its series lists. Each series publishes its packages
and their runtime dependents on its own major version, its version line (line N: N.0.0 at
step 0, then as its changesets say, a major bump counting as a minor one), with the npm
dist-tag <name>; packages no series patches keep their versions and are shared. --series NAME picks a series: series, verify, release and review take every
series by default; checkout, export, bisect and show need it when there are several.
Trees go to .lockstep/tree/<name>, traces to .lockstep/traces/<name>.

Each patch is a git format-patch file (From/Date/Subject headers, a description ending in
trailers such as Signed-off-by:, Fixes-reproducer: ID, Introduces-reproducer: ID,
Not-observable: ID and Refuted: ID, then the diff). A patch carries its version bumps as
.changeset/*.md files it adds.

Claims and verdicts: Fixes-reproducer: ID claims the patch fixes reproducer ID.
Refuted: ID, in that patch or a later one, records that the model refutes the claim: the
reproducer is expected to crash on from the claimed fix (until a later fix that stands), and
verify lists the claim under "Refuted claims" with how the run still crashes. A paragraph of
the refuting patch's message that names ID explains the remaining window; the review site
shows it at the top of the patch page.

Cells of the matrix (verify, show, review):
  X  crash: the strategy that found it, after how many schedules, and a replay string
  =  clean, exhausted: every schedule of a stated space ran, none failed (a proof within
     that space only)
  ~  clean, searched: the schedule budgets ran out with no failure (evidence, not proof)
  E  the reproducer could not run;  a trailing ! marks a cell that differs from the trailers

Steps: step 0 is the base (packages/ and the root build files of the workspace), step N is
the tree after patch N.

Exit status: 0 on success, 1 when the series, a patch or git fails, 2 for a usage error
(unknown command, option or step, a bad --dir). Errors are one line on stderr, with detail
lines indented below it; nothing is left half done.`;

/** The commands that take --series, and whether they default to every series or need one. */
const SERIES_SCOPE: Record<string, 'one' | 'all'> = {
  series: 'all',
  checkout: 'one',
  export: 'one',
  verify: 'all',
  bisect: 'one',
  release: 'all',
  review: 'all',
  show: 'one',
  registry: 'all',
};

type SeriesRow = VersionStep & Partial<PatchInfo> & { patch: string | null };

function seriesRows(infos: PatchInfo[], versions: VersionStep[]): SeriesRow[] {
  return versions.map((v) => {
    const info = v.step === 0 ? undefined : infos[v.step - 1];
    return { ...v, ...info, patch: info?.name ?? null };
  });
}

function pad(s: string, n: number): string {
  return s + ' '.repeat(Math.max(0, n - s.length));
}

/** The header of one series in `lockstep series`: name, title, base, packages, version line. */
export function formatSeriesHead(
  d: Pick<Workspace, 'name' | 'header' | 'versionLine' | 'seriesRel'>,
  patches: number,
): string[] {
  return [
    `${d.name}: ${d.header.title ?? '(no title)'}`,
    `  ${d.seriesRel}: ${patches} patch${patches === 1 ? '' : 'es'} on ${d.header.base}`,
    `  packages: ${d.header.packages.join(' ')}; version line ${d.versionLine} (npm dist-tag ${d.name})`,
  ];
}

/** Human-readable steps and versions of one series in `lockstep series`. */
export function formatSeries(rows: readonly SeriesRow[]): string {
  const lines: string[] = [];
  for (const r of rows) {
    const head = `${String(r.step).padStart(4)}  `;
    if (r.step === 0) {
      lines.push(`${head}base`);
      continue;
    }
    lines.push(`${head}${r.patch}`, `      ${r.subject}`);
    for (const b of r.bumps) lines.push(`      ${b.name} ${b.from} -> ${b.to} (${b.type})`);
    for (const id of r.fixesReproducers ?? []) lines.push(`      fixes reproducer ${id}`);
    for (const id of r.introducesReproducers ?? []) lines.push(`      introduces reproducer ${id}`);
    for (const id of r.notObservable ?? [])
      lines.push(`      names reproducer ${id} (no observable change in the model)`);
    for (const id of r.refuted ?? [])
      lines.push(`      records that the model refutes the claimed fix of ${id}`);
  }
  const names = Object.keys(rows[0]?.versions ?? {});
  for (const r of rows)
    for (const k of Object.keys(r.versions)) if (!names.includes(k)) names.push(k);
  const width = Math.max(7, ...names.map((s) => s.length)) + 2;
  const cols = rows.map((r) => `step ${r.step}`);
  const colW = Math.max(
    8,
    ...rows.flatMap((r) => Object.values(r.versions).map((v) => v.length + 2)),
  );
  lines.push(
    '',
    pad('package', width) +
      cols
        .map((c) => pad(c, colW))
        .join('')
        .trimEnd(),
  );
  for (const name of names) {
    const row = rows.map((r) => pad(r.versions[name] ?? '-', colW)).join('');
    lines.push((pad(name, width) + row).trimEnd());
  }
  return `${lines.join('\n')}\n`;
}

/** Run the lockstep CLI with `argv` (arguments after the program name); resolves to the exit code. */
export async function run(argv: readonly string[], ioIn: Partial<CliIO> = {}): Promise<number> {
  const io: CliIO = {
    cwd: ioIn.cwd ?? process.cwd(),
    stdout: ioIn.stdout ?? ((t) => process.stdout.write(t)),
    stderr: ioIn.stderr ?? ((t) => process.stderr.write(t)),
  };
  const progress = (line: string) => io.stderr(`lockstep: ${line}\n`);
  const json = (value: unknown) => io.stdout(`${JSON.stringify(value, null, 2)}\n`);

  const program = new Command('lockstep');
  program
    .description(
      'Work with the patch series of a lockstep workspace (one directory each under patches/): list them, their steps and versions, check a step out as a git tree and export it back to patch files, verify every step against its reproducers, bisect, publish every step as package versions, and review the series in a browser or a terminal.',
    )
    .option(
      '-C, --root <dir>',
      'workspace root (default: the nearest directory at or above the current one whose package.json declares workspaces)',
    )
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText('after', HELP_AFTER);

  const workspaceRoot = async () => {
    const opts = program.opts<{ root?: string }>();
    const root =
      opts.root !== undefined
        ? findWorkspaceRoot(resolve(io.cwd, opts.root))
        : findWorkspaceRoot(io.cwd);
    await requireGit(root);
    return root;
  };
  /** The series a command works on (every series is checked first; see pickSeries). */
  const workspaces = async (series: string | undefined, scope: 'one' | 'all') =>
    loadWorkspaces(await workspaceRoot(), series, scope);
  const workspace = async (series: string | undefined) => (await workspaces(series, 'one'))[0]!;

  program
    .command('series')
    .summary('list the series, their steps and patches, and the package versions at each step')
    .description(
      "List each series (or the --series one): its name, title, base, packages, version line and dist-tag, then its steps (0 = base, N = after patch N) with each patch's subject, its reproducer trailers and the version bumps of its changesets, then every workspace package's version at every step. Each step is versioned like a release: its patch's .changeset files are planned with @changesets/assemble-release-plan against the versions of the step before.",
    )
    .option(
      '--json',
      'print the series as JSON (header; steps with patch headers, trailers, changesets, bumps, versions)',
    )
    .action(async (opts: { json?: boolean; series?: string }) => {
      const wss = await workspaces(opts.series, 'all');
      const out: { ws: Workspace; rows: SeriesRow[] }[] = [];
      for (const ws of wss) {
        const rows = await withScratch(async (scratch) => {
          const infos = await readPatchInfos(ws, scratch);
          await checkSeriesSafety(ws, scratch);
          return seriesRows(infos, await computeVersions(ws, scratch));
        });
        out.push({ ws, rows });
      }
      if (opts.json)
        json({
          series: out.map(({ ws, rows }) => ({
            name: ws.name,
            file: ws.seriesRel,
            title: ws.header.title,
            base: ws.header.base,
            packages: ws.header.packages,
            versionLine: ws.versionLine,
            distTag: ws.name,
            patches: ws.patches.length,
            steps: rows,
          })),
        });
      else
        io.stdout(
          out
            .map(
              ({ ws, rows }) =>
                `${formatSeriesHead(ws, ws.patches.length).join('\n')}\n\n${formatSeries(rows)}`,
            )
            .join('\n'),
        );
    });

  program
    .command('checkout')
    .summary('build the series as a git tree and check out a step')
    .description(
      'Materialise the series as a git repository outside the workspace\'s tracked files and check out a step. The base files are committed as tag step-0, then each patch is applied with git am (author, date and message kept) and tagged step-N; branch "series" ends at the last step. A tree built from the same base and series is reused; otherwise it is rebuilt, and replaced only if every patch applies. Every patch\'s paths are checked first: absolute paths, "..", ".git", symlinks and paths through symlinks are refused.',
    )
    .argument(
      '<step>',
      'step to check out: 0 for the base, N (or step-N) for the tree after patch N',
    )
    .option(
      '--dir <dir>',
      'where the tree goes (default: .lockstep/tree/<series> under the workspace root, which git ignores); inside the workspace only an ignored directory with no tracked files is accepted',
    )
    .option(
      '--force',
      'discard uncommitted changes and commits that only HEAD holds, and, when the tree must be rebuilt, commits that were not exported',
    )
    .option('--json', 'print the result as JSON')
    .action(
      async (
        stepArg: string,
        opts: { dir?: string; force?: boolean; json?: boolean; series?: string },
      ) => {
        const ws = await workspace(opts.series);
        const infos = await withScratch((scratch) => readPatchInfos(ws, scratch));
        const step = parseStep(stepArg, infos);
        const dir = await resolveTreeDir(ws.root, ws.name, opts.dir, io.cwd);
        await withScratch((scratch) => checkSeriesSafety(ws, scratch));
        const m = await materialise(ws, { dir, force: opts.force, log: progress });
        const commit = await checkoutStep(dir, step, ws.patches.length, opts.force);
        const info = step === 0 ? null : infos[step - 1]!;
        if (opts.json) {
          json({
            series: ws.name,
            dir,
            step,
            steps: ws.patches.length,
            commit,
            reused: m.reused,
            patch: info?.name ?? null,
            subject: info?.subject ?? null,
          });
        } else {
          const what = info ? `after ${info.name}: ${info.subject}` : 'the base';
          io.stdout(
            `${ws.name}: step ${step} of ${ws.patches.length} (${what}) is checked out in ${dir}\n`,
          );
        }
      },
    );

  program
    .command('export')
    .summary("write the tree's commits back to patches/")
    .description(
      'Write the tree\'s commits after step-0 on branch "series" back to the series: one git format-patch file per commit in patches/<name>/ and patches/<name>/series listing them (its header and comments kept). A checkout followed by an export with no edits reproduces every file byte for byte. Refuses when the tree has uncommitted changes, when HEAD has commits off the series branch, or when patches/ changed since the tree was built or last exported.',
    )
    .option(
      '--dir <dir>',
      'the tree to export (default: .lockstep/tree/<series> under the workspace root)',
    )
    .option(
      '--force',
      'export even if patches/ changed since the tree was built, the tree has uncommitted changes or HEAD is off the series branch',
    )
    .option('--json', 'print the result as JSON')
    .action(async (opts: { dir?: string; force?: boolean; json?: boolean; series?: string }) => {
      const ws = await workspace(opts.series);
      const dir = await resolveTreeDir(ws.root, ws.name, opts.dir, io.cwd);
      const r = await exportSeries(ws, {
        dir,
        force: opts.force,
        log: progress,
      });
      if (opts.json) json({ dir, ...r });
      else {
        const counts = `${r.written.length} written, ${r.unchanged.length} unchanged, ${r.removed.length} removed`;
        io.stdout(
          `exported ${r.patches.length} patch${r.patches.length === 1 ? '' : 'es'} to patches/${r.series}/ (${counts}; ${ws.seriesRel} ${r.seriesChanged ? 'rewritten' : 'unchanged'})\n`,
        );
      }
    });

  program
    .command('verify')
    .summary('build, test and run every reproducer at every step; compare with the trailers')
    .description(
      "For every step of the series (0 = base): check it out in the materialised tree, build it, run every package's tests and every reproducer (one turbo run: build, test, repro, cached in the tree), then compare the observed outcomes with the matrix the patch trailers imply: the claims (Fixes-reproducer, Introduces-reproducer, Not-observable; a reproducer no patch names is expected to crash at every step) minus the refutations the series records (Refuted). Prints the matrix, each cell a crash (X), clean over an exhausted space (=, a proof within it) or clean after a search (~, evidence, not proof), then the refuted claims with how each still crashes, the crash titles and how each clean cell was shown; does so for every series (or the --series one), one matrix each, then a summary; writes one JSON report (format 3: one part per series) and exits 1 on any cell that matches neither, or a failed step. Each series has its own tree (.lockstep/tree/<name>), whose node_modules are hard links of the workspace's when the lockfile is the same (otherwise one npm install there); after the matrices, two series over the same base are compared side by side (which steps of each fix or introduce each reproducer).",
    )
    .option(
      '--dir <dir>',
      'the tree, with --series or a single series (default: .lockstep/tree/<series> under the workspace root)',
    )
    .option('--report <file>', 'where to write the JSON report (default: .lockstep/verify.json)')
    .option('--json', 'print the JSON report on stdout instead of the matrices')
    .option('--force', 'rebuild the tree even if it holds work that was not exported')
    .action(
      async (opts: {
        dir?: string;
        report?: string;
        json?: boolean;
        force?: boolean;
        series?: string;
      }) => {
        const started = performance.now();
        const wss = await workspaces(opts.series, 'all');
        if (opts.dir !== undefined && wss.length > 1)
          throw new SeriesUsageError('--dir names the tree of one series: give --series NAME too', [
            `the series: ${wss.map((w) => w.name).join(', ')}`,
          ]);
        const reports: VerifyReport[] = [];
        for (const ws of wss) {
          progress(`series ${ws.name}: ${ws.header.title ?? ws.seriesRel}`);
          const dir = await resolveTreeDir(ws.root, ws.name, opts.dir, io.cwd);
          reports.push(
            await verify(ws, {
              dir,
              force: opts.force,
              log: (l) => progress(`${ws.name}: ${l}`),
              tracesDir: defaultTracesDir(ws.root, ws.name),
            }),
          );
        }
        const report = verifyFile(reports, Math.round(performance.now() - started));
        const root = wss[0]!.root;
        const file = resolve(io.cwd, opts.report ?? join(root, '.lockstep', 'verify.json'));
        mkdirSync(dirname(file), { recursive: true });
        writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
        progress(`report written to ${file}`);
        if (opts.json) json(report);
        else io.stdout(formatVerify(report));
        if (!report.ok)
          throw new SeriesFailure(
            `verify found ${report.problems.length} problem(s)`,
            report.problems,
          );
      },
    );

  program
    .command('bisect')
    .summary("find the first step where a reproducer's outcome changes")
    .description(
      'Run the reproducer at --from (default: the base) and at --to (default: the last step); if the outcomes differ, drive `git bisect run` over the step commits between them in the materialised tree (each probe builds the step with turbo and runs the reproducer) and print the first step whose outcome differs from the one at --from, with its patch. Like git bisect, this assumes one change in the range: a bug that a patch introduces and a later one fixes looks unchanged from end to end, so narrow the range with --to.',
    )
    .argument('<reproducer>', 'reproducer id (lockstep-repro --list shows them)')
    .option('--from <step>', 'the known step to start from (default: 0, the base)')
    .option('--to <step>', 'the step whose outcome differs (default: the last step)')
    .option('--dir <dir>', 'the tree (default: .lockstep/tree/<series> under the workspace root)')
    .option('--json', 'print the result as JSON')
    .option('--force', 'rebuild the tree even if it holds work that was not exported')
    .action(
      async (
        id: string,
        opts: {
          from?: string;
          to?: string;
          dir?: string;
          json?: boolean;
          force?: boolean;
          series?: string;
        } & VersionBisectCliOptions,
      ) => {
        if (isVersionBisect(opts)) return runVersionBisect(id, opts, releaseCtx);
        const ws = await workspace(opts.series);
        const infos = await withScratch((scratch) => readPatchInfos(ws, scratch));
        const from = opts.from === undefined ? undefined : parseStep(opts.from, infos);
        const to = opts.to === undefined ? undefined : parseStep(opts.to, infos);
        const dir = await resolveTreeDir(ws.root, ws.name, opts.dir, io.cwd);
        const r = await bisect(ws, id, { dir, from, to, force: opts.force, log: progress });
        if (opts.json) json(r);
        else if (r.firstStep === null)
          io.stdout(
            `${id}: ${ws.name}: the same outcome at steps ${r.from} and ${r.to} (${r.before}); if it changes and changes back in between, narrow the range with --to\n`,
          );
        else
          io.stdout(
            `${id}: ${ws.name}: first changed at step ${r.firstStep}: ${r.patch}\n  ${r.subject}\n${r.upstream ? `  upstream: ${r.upstream}\n` : ''}  before: ${r.before}\n  after:  ${r.after}\n`,
          );
      },
    );

  const releaseCtx = {
    cwd: io.cwd,
    stdout: io.stdout,
    progress,
    json,
    root: workspaceRoot,
    workspaces,
  };
  addVersionBisectOptions(program);
  addReleaseCommand(program, releaseCtx);
  addRegistryCommand(program, { stdout: io.stdout, progress, root: workspaceRoot, workspaces });

  addReviewCommands(program, {
    cwd: io.cwd,
    stdout: io.stdout,
    progress,
    root: workspaceRoot,
    workspaces,
    colorTerminal: ioIn.stdout === undefined && process.stdout.isTTY === true,
  });

  // Every command that reads a series takes --series; which ones default to all is in SERIES_SCOPE.
  for (const cmd of program.commands) {
    const scope = SERIES_SCOPE[cmd.name()];
    if (scope === undefined) continue;
    cmd.option(
      '--series <name>',
      scope === 'all'
        ? 'only this series (default: every series under patches/)'
        : 'the series (patches/<name>/; needed when there are several)',
    );
  }

  try {
    if (argv.length === 0) {
      program.outputHelp({ error: true });
      return 2;
    }
    await program.parseAsync([...argv], { from: 'user' });
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    if (e instanceof SeriesError) {
      io.stderr(`error: ${e.message}\n${e.details.map((d) => `  ${d}\n`).join('')}`);
      return e.exitCode;
    }
    io.stderr(`error: internal error: ${(e as Error).stack ?? String(e)}\n`);
    return 1;
  }
}
