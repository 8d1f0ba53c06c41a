/** The `release` command and `bisect --package` of the lockstep CLI (registered by program.ts). */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { type VersionBisectResult, versionBisect } from '../bisect/version-bisect.js';
import { parseBisectLog } from '../bisect/version-bisect-log.js';
import { SeriesError, SeriesFailure, SeriesUsageError } from '../lib/errors.js';
import { type RegistryHandle, startEmbeddedRegistry, VERDACCIO_VERSION } from '../lib/registry.js';
import { normaliseRegistryUrl, pingRegistry } from '../lib/registry-client.js';
import { listSeries, pickSeries } from '../series/catalog.js';
import { resolveTreeDir } from '../series/tree.js';
import type { Workspace } from '../series/workspace.js';
import { type ReleaseRecord, readReleaseRecord, readReleaseRecords } from './record.js';
import { NPM_REGISTRY, release } from './release.js';

export interface ReleaseCommandContext {
  cwd: string;
  stdout: (text: string) => void;
  progress: (line: string) => void;
  json: (value: unknown) => void;
  root: () => Promise<string>;
  workspaces: (series: string | undefined, scope: 'one' | 'all') => Promise<Workspace[]>;
}

/** Where lockstep keeps its registry, release work tree and record, under the workspace root. */
export const registryDir = (root: string) => join(root, '.lockstep', 'registry');
/** A series' release work tree; the trees of all series share .lockstep/release/.turbo-cache. */
export const releaseWorkDir = (root: string, series: string) =>
  join(root, '.lockstep', 'release', series);
export const releaseRecordFile = (root: string) => join(root, '.lockstep', 'releases.json');

const MARK: Record<string, string> = {
  published: '+',
  'already-published': '=',
  'would-publish': '~',
  failed: '!',
  'not-published': '?',
};

/** The version table of a release: every package at every step, marked by what happened. */
export function formatRelease(r: ReleaseRecord, recordFile: string | null): string {
  const all = [...new Set(r.steps.flatMap((s) => Object.keys(s.versions)))].sort();
  const released = new Set(r.steps.flatMap((s) => s.packages.map((p) => p.name)));
  for (const n of Object.keys(r.versions)) released.add(n);
  const names = all.filter((n) => released.has(n));
  const others = all.filter((n) => !released.has(n));
  const width = Math.max(7, ...names.map((n) => n.length)) + 2;
  const colW = Math.max(
    8,
    ...r.steps.flatMap((s) => Object.values(s.versions).map((v) => v.length + 3)),
  );
  const pad = (s: string, n: number) => s + ' '.repeat(Math.max(0, n - s.length));
  const where = `${r.registry === 'embedded' ? `the embedded registry (${r.url})` : r.url} (series ${r.series}, version line ${r.versionLine}, dist-tag ${r.distTag})`;
  const head =
    r.status === 'complete'
      ? r.dryRun
        ? `dry run against ${where}: npm publish --dry-run accepted every new version; nothing was published`
        : r.published === 0
          ? `nothing to publish: ${where} already has all ${r.alreadyPublished} versions`
          : `released the series to ${where}: ${r.published} published, ${r.alreadyPublished} already there, in ${(r.ms / 1000).toFixed(1)} s`
      : `release to ${where} FAILED: ${r.error?.message ?? 'unknown error'} (${r.published} published before it stopped)`;
  const lines = [head, ''];
  lines.push(
    pad('package', width) +
      r.steps
        .map((s) => pad(`step ${s.step}`, colW))
        .join('')
        .trimEnd(),
  );
  for (const name of names) {
    const cells = r.steps.map((s) => {
      const v = s.versions[name] ?? '-';
      const p = s.packages.find((x) => x.name === name);
      return pad(p ? `${v}${MARK[p.status] ?? ''}` : v, colW);
    });
    lines.push((pad(name, width) + cells.join('')).trimEnd());
  }
  lines.push(
    '',
    '+ published by this run   = already in the registry   ~ npm publish --dry-run only   ! failed   ? not published',
  );
  if (others.length > 0) lines.push(`not released (private): ${others.join(', ')}`);
  const failed = r.steps.flatMap((s) => s.packages.filter((p) => p.status === 'failed'));
  for (const p of failed) {
    lines.push(`${p.name}@${p.version}: ${p.reason ?? 'failed'}`);
    for (const [what, c] of Object.entries(p.checks ?? {}))
      for (const x of c?.problems ?? []) lines.push(`  ${what}: ${x}`);
  }
  if (recordFile !== null) lines.push(`record: ${recordFile}`);
  return `${lines.join('\n')}\n`;
}

/** Register `lockstep release`. */
export function addReleaseCommand(program: Command, ctx: ReleaseCommandContext): void {
  program
    .command('release')
    .summary('publish every step of the series as package versions')
    .description(
      `For every series (or the --series one), walk it in a release work tree of its own (.lockstep/release/<series>, a clone of the materialised tree): at step 0 put the series on its version line (the packages its header lists and their runtime dependents at N.0.0, ranges on them ^N.0.0 for peers and ~N.0.0 otherwise; a major bump of a changeset counts as minor), then after each patch run \`changeset version\` to consume its changesets, build the step with turbo (tsup), check every package whose version changed with publint (strict), attw --pack and lockstep's dependency check (each internal range must accept the dependency's version at that step, and the lowest version it accepts must export every name the package imports), then npm publish them with the series' name as dist-tag (npm install @lockstep/lockd@<series>), dependencies first, each stamped with the step that produced it ("lockstep": {series, step, patch, subject} in package.json). The versions must match \`lockstep series\`. A check failure stops the release before anything of that step is published. Versions the registry already has are not published again; when it has them all, nothing is built. The record of what was and was not published goes to .lockstep/releases.json (one record per registry and series) as the release goes. By default the registry is an embedded Verdaccio ${VERDACCIO_VERSION} on 127.0.0.1 (a free port, storage in .lockstep/registry, anonymous installs, publishing only with the login lockstep creates), stopped when the command ends.`,
    )
    .option(
      '--registry <url>',
      'publish to this registry instead (npm publish uses your npm configuration to log in)',
    )
    .option(
      '--dry-run',
      `do everything but publish: npm publish --dry-run against --registry (default: npm itself, ${NPM_REGISTRY}); no record is written`,
    )
    .option(
      '--dir <dir>',
      'the tree, with --series or a single series (default: .lockstep/tree/<series> under the workspace root)',
    )
    .option('--json', 'print the release records (one per series) as JSON')
    .option('--force', 'rebuild the tree even if it holds work that was not exported')
    .action(
      async (opts: {
        registry?: string;
        dryRun?: boolean;
        dir?: string;
        json?: boolean;
        force?: boolean;
        series?: string;
      }) => {
        const wss = await ctx.workspaces(opts.series, 'all');
        if (opts.dir !== undefined && wss.length > 1)
          throw new SeriesUsageError('--dir names the tree of one series: give --series NAME too');
        const root = wss[0]!.root;
        const recordFile = releaseRecordFile(root);
        const target =
          opts.registry !== undefined
            ? { kind: 'url' as const, url: normaliseRegistryUrl(opts.registry) }
            : { kind: 'embedded' as const, dir: registryDir(root) };
        const records: ReleaseRecord[] = [];
        for (const ws of wss) {
          const dir = await resolveTreeDir(ws.root, ws.name, opts.dir, ctx.cwd);
          try {
            records.push(
              await release(ws, {
                dir,
                workDir: releaseWorkDir(ws.root, ws.name),
                recordFile,
                target,
                dryRun: opts.dryRun,
                force: opts.force,
                log: (l) => ctx.progress(`${ws.name}: ${l}`),
              }),
            );
          } catch (e) {
            if (!opts.dryRun && existsSync(recordFile)) {
              const key = target.kind === 'embedded' ? 'embedded' : target.url;
              const r = readReleaseRecord(recordFile, key, ws.name);
              if (r !== null && r.status === 'failed') {
                if (opts.json) ctx.json(r);
                else ctx.stdout(formatRelease(r, recordFile));
              }
            }
            throw e;
          }
        }
        if (opts.json) ctx.json(records);
        else
          ctx.stdout(
            records.map((r) => formatRelease(r, opts.dryRun ? null : recordFile)).join('\n'),
          );
      },
    );
}

export interface VersionBisectCliOptions {
  package?: string;
  good?: string;
  bad?: string;
  registry?: string;
  log?: boolean;
  replay?: string;
}

/** Add --package, --good, --bad, --registry, --log and --replay to `lockstep bisect`. */
export function addVersionBisectOptions(program: Command): void {
  const cmd = program.commands.find((c) => c.name() === 'bisect');
  if (cmd === undefined) return;
  cmd
    .summary(
      "find the first step (or published version, with --package) where a reproducer's outcome changes",
    )
    .description(
      `${cmd.description()}\n\nWith --package, bisect published versions instead of steps: install candidate versions of the package from the registry (default: the embedded one that \`lockstep release\` fills) into clean sandboxes, each with the @lockstep/machine and @lockstep/reproducers versions published at the same step (npm overrides pin every other @lockstep package to that step, so there is one copy of @lockstep/kernel), run \`npx lockstep-repro <reproducer> --json\` there, binary-search the published versions from --good to --bad in semver order, and print the first version whose outcome differs from --good's and the step (patch) that produced it. With --series, only the versions that series published are candidates, each installed with the machine and reproducers of the same series and step.`,
    )
    .option(
      '--package <name>',
      'bisect the published versions of this package (e.g. @lockstep/lockd)',
    )
    .option('--good <version>', 'with --package: the older version, whose outcome is the baseline')
    .option('--bad <version>', 'with --package: the newer version, whose outcome differs')
    .option(
      '--registry <url>',
      'with --package: install from this registry (default: the embedded registry in .lockstep/registry)',
    )
    .option('--log', 'with --package: print the bisect log (each version tried and its outcome)')
    .option(
      '--replay <file>',
      "bisect versions again from a saved --log: its verdicts are taken as they are and only versions it does not cover are installed (like git bisect replay); --package, --good and --bad default to the log's",
    );
}

/** Whether `lockstep bisect` was asked to bisect versions; version options alone are an error. */
export function isVersionBisect(opts: VersionBisectCliOptions): boolean {
  if (opts.package !== undefined || opts.replay !== undefined) return true;
  const stray = (['good', 'bad', 'registry', 'log'] as const).filter((k) => opts[k] !== undefined);
  if (stray.length > 0)
    throw new SeriesUsageError(
      `${stray.map((k) => `--${k}`).join(', ')} bisect published versions: give --package too`,
    );
  return false;
}

function formatVersionBisect(r: VersionBisectResult): string {
  const tried = `tried ${r.probes.length} of ${r.candidates.length} versions (${r.probes.map((p) => `${p.version}${p.replayed ? ' replayed' : ''}`).join(', ')}) in ${(r.ms / 1000).toFixed(1)} s`;
  if (r.firstVersion === null)
    return `${r.reproducer}: the same outcome with ${r.package}@${r.good} and @${r.bad} (${r.before})\n  ${tried}\n`;
  return [
    `${r.reproducer}: first changed at ${r.package}@${r.firstVersion}, step ${r.step ?? '?'}${r.patch ? `: ${r.patch}` : ''}`,
    ...(r.subject ? [`  ${r.subject}`] : []),
    `  before: ${r.before} (${r.good})`,
    `  after:  ${r.after} (${r.bad})`,
    `  ${tried}`,
    '',
  ].join('\n');
}

/** `lockstep bisect <reproducer> --package ...`. */
export async function runVersionBisect(
  id: string,
  opts: VersionBisectCliOptions & {
    from?: string;
    to?: string;
    json?: boolean;
    dir?: string;
    series?: string;
  },
  ctx: ReleaseCommandContext,
): Promise<void> {
  if (opts.from !== undefined || opts.to !== undefined || opts.dir !== undefined)
    throw new SeriesUsageError(
      '--from, --to and --dir bisect steps; with --package use --good and --bad',
    );
  let replay: ReturnType<typeof parseBisectLog> | undefined;
  if (opts.replay !== undefined) {
    const file = resolve(ctx.cwd, opts.replay);
    if (!existsSync(file)) throw new SeriesUsageError(`--replay ${opts.replay}: no such file`);
    replay = parseBisectLog(readFileSync(file, 'utf8'), opts.replay);
  }
  const pkg = opts.package ?? replay?.package ?? null;
  if (pkg === null) throw new SeriesUsageError('bisecting versions needs --package <name>');
  let registry: RegistryHandle;
  let records: ReleaseRecord[] = [];
  /** In a clone, --series must name one of its series; outside one, the stamps decide. */
  const checkSeries = async (root: string) => {
    if (opts.series !== undefined) pickSeries(listSeries(root), opts.series, 'one');
  };
  if (opts.registry !== undefined) {
    // Outside a clone (npx -p @lockstep/series) there is no workspace: the versions' own
    // "lockstep" stamps say which step each comes from, and the release record is only a fallback.
    const root = await ctx.root().catch((e: unknown) => {
      if (e instanceof SeriesError) return null;
      throw e;
    });
    if (root !== null) await checkSeries(root);
    const url = normaliseRegistryUrl(opts.registry);
    await pingRegistry(url);
    registry = { url, dir: '', npmrc: null, stop: async () => {} };
    records = root === null ? [] : readReleaseRecords(releaseRecordFile(root), url);
  } else {
    const root = await ctx.root().catch((e: unknown) => {
      if (!(e instanceof SeriesUsageError)) throw e;
      throw new SeriesUsageError(e.message, [
        ...e.details,
        'outside a clone, bisect the versions of a running registry: give --registry URL',
      ]);
    });
    await checkSeries(root);
    const recordFile = releaseRecordFile(root);
    const dir = registryDir(root);
    if (!existsSync(join(dir, 'storage')))
      throw new SeriesFailure(`nothing has been released to the embedded registry (${dir})`, [
        'run `lockstep release` first, or pass --registry URL',
      ]);
    registry = await startEmbeddedRegistry({ dir, log: ctx.progress });
    records = readReleaseRecords(recordFile, 'embedded');
  }
  try {
    const r = await versionBisect({
      reproducer: id,
      pkg,
      good: opts.good,
      bad: opts.bad,
      registry: registry.url,
      records,
      series: opts.series,
      replay,
      log: ctx.progress,
    });
    if (opts.json) ctx.json(r);
    else if (opts.log) ctx.stdout(r.log);
    else ctx.stdout(formatVersionBisect(r));
  } finally {
    await registry.stop();
  }
}
