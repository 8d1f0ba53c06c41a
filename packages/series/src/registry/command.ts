/**
 * `lockstep registry`: serve the embedded registry (what `lockstep release` published) on
 * 127.0.0.1 until interrupted, and say how to install a step's packages from it.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { MACHINE_PACKAGE, REPRODUCERS_PACKAGE } from '../bisect/version-bisect.js';
import { SeriesFailure, SeriesUsageError } from '../lib/errors.js';
import { startEmbeddedRegistry, VERDACCIO_VERSION } from '../lib/registry.js';
import { fetchPackument, type Packument, searchScope } from '../lib/registry-client.js';
import { parsePort, untilStopped } from '../lib/serve.js';
import { readReleaseRecords } from '../release/record.js';
import type { Workspace } from '../series/workspace.js';

export interface RegistryCommandContext {
  stdout: (text: string) => void;
  progress: (line: string) => void;
  root: () => Promise<string>;
  workspaces: (series: string | undefined, scope: 'one' | 'all') => Promise<Workspace[]>;
  /** Resolves when the user interrupts (default: SIGINT or SIGTERM); tests pass their own. */
  interrupted?: () => Promise<void>;
}

/** The default port: Verdaccio's, so the .npmrc line stays the same from one run to the next. */
export const DEFAULT_REGISTRY_PORT = 4873;

/** A step as the registry has it: every package's version, from the versions' "lockstep" stamps. */
export interface PublishedStep {
  step: number;
  subject: string | null;
  versions: Record<string, string>;
  /** The packages on the series' own version line (its versions only), in name order. */
  line: string[];
}

/**
 * The steps the registry's versions are stamped with: at step N each package has the version
 * published at the latest step up to N (a package a step does not change keeps its version).
 */
export function publishedSteps(docs: readonly Packument[], series?: string): PublishedStep[] {
  const line: string[] = [];
  const stamped = docs.flatMap((d) => {
    const all = Object.values(d.versions).filter((v) => v.lockstep !== undefined);
    // A package on the series' version line: its own versions; a shared one: every version.
    const own = all.filter((v) => v.lockstep!.series === series);
    const mine = series !== undefined && own.length > 0;
    // Version lines start at 1.0.0; a shared package keeps its 0.x base versions, stamped with
    // whichever series published it first.
    if (mine && own.some((v) => Number(v.version.split('.')[0]) >= 1)) line.push(d.name);
    return (mine ? own : all).map((v) => ({
      name: d.name,
      version: v.version,
      meta: v.lockstep!,
    }));
  });
  const last = Math.max(-1, ...stamped.map((s) => s.meta.step));
  const steps: PublishedStep[] = [];
  for (let step = 0; step <= last; step++) {
    const versions: Record<string, string> = {};
    const best = new Map<string, number>();
    for (const s of stamped) {
      if (s.meta.step > step || (best.get(s.name) ?? -1) >= s.meta.step) continue;
      best.set(s.name, s.meta.step);
      versions[s.name] = s.version;
    }
    const subject = stamped.find((s) => s.meta.step === step)?.meta.subject ?? null;
    steps.push({
      step,
      subject,
      versions: Object.fromEntries(Object.entries(versions).sort(([a], [b]) => (a < b ? -1 : 1))),
      line: [...line].sort(),
    });
  }
  return steps;
}

/** The npmrc line that sends a scope's installs to the registry. */
export const npmrcLine = (scope: string, url: string) => `${scope}:registry=${url}`;

/**
 * What a user installs for a step: the package under test, the other model packages of the
 * series' version line and the reproducers, at that step's versions. The line's other packages
 * are named because a `~N.x.0` range picks the newest patch version of its line, which may come
 * from a later step (lockd of step 7 would get sunrpc of step 10). npm adds the rest:
 * @lockstep/machine as the reproducers' peer, and the shared packages (kernel, vfs-locks).
 */
export function installCommand(step: PublishedStep, pkg: string): string {
  const others = step.line.filter(
    (n) => n !== pkg && n !== MACHINE_PACKAGE && n !== REPRODUCERS_PACKAGE,
  );
  const names = [pkg, ...others, REPRODUCERS_PACKAGE].filter((n) => step.versions[n] !== undefined);
  return `npm install ${names.map((n) => `${n}@${step.versions[n]}`).join(' ')}`;
}

/** Every package of the scope the registry has (search, then the release record's names). */
async function scopeDocs(url: string, scope: string, recorded: string[]): Promise<Packument[]> {
  const names = new Set([...(await searchScope(url, scope)), ...recorded]);
  names.add(MACHINE_PACKAGE).add(REPRODUCERS_PACKAGE);
  const docs = await Promise.all([...names].sort().map((n) => fetchPackument(url, n)));
  return docs.filter((d): d is Packument => d !== null);
}

/** One series' part of what `lockstep registry` prints (series undefined: unstamped steps). */
export interface ServedSeries {
  series?: string;
  steps: readonly PublishedStep[];
}

/** The text `lockstep registry` prints once the registry answers: the .npmrc line once, then each series. */
export function formatServing(
  url: string,
  dir: string,
  parts: readonly ServedSeries[],
  pkg: string,
): string {
  const scope = pkg.split('/')[0]!;
  const lines = [
    `serving ${dir} at ${url} (verdaccio ${VERDACCIO_VERSION}) until interrupted (Ctrl-C)`,
    '',
    'In the project you install into, put this line in .npmrc:',
    '',
    `  ${npmrcLine(scope, url)}`,
    '',
  ];
  for (const { series, steps } of parts) {
    if (series !== undefined)
      lines.push(
        `Series ${series} (npm dist-tag ${series}: npm install ${pkg}@${series} is its last step).`,
        '',
      );
    if (steps.length === 0) {
      lines.push(
        'The registry has no versions stamped with a step yet: run `lockstep release`.',
        '',
      );
      continue;
    }
    lines.push(
      `Install the packages of a step (npm adds ${MACHINE_PACKAGE} and the shared packages as peers and dependencies) and run a reproducer:`,
      '',
    );
    for (const s of steps)
      lines.push(
        `  step ${s.step}  ${installCommand(s, pkg)}${s.subject ? `   # ${s.subject}` : ''}`,
      );
    const first = steps[0]!.versions[pkg];
    const last = steps[steps.length - 1]!.versions[pkg];
    lines.push(
      '',
      '  npx lockstep-repro --list',
      '  npx lockstep-repro <reproducer>',
      '',
      'Bisect the published versions, from a clone or from anywhere:',
      '',
      `  npx -p @lockstep/series lockstep bisect <reproducer> --package ${pkg} --good ${first} --bad ${last} --registry ${url}${series ? ` --series ${series}` : ''}`,
      '',
    );
  }
  return `${lines.join('\n')}\n`;
}

export interface ServeOptions {
  /** The registry's directory (storage/ and config.yaml): .lockstep/registry. */
  dir: string;
  /** The release record, for the names of the packages it published. */
  recordFile: string;
  port: number;
  /** The package under test, named with the reproducers in the install commands. */
  pkg: string;
  /** The series to show (default: every series the registry's stamps name). */
  series?: string;
  stdout: (text: string) => void;
  progress: (line: string) => void;
  /** Resolves when the registry should stop. */
  interrupted: () => Promise<void>;
}

/** Serve the embedded registry read-only until `interrupted` resolves; print how to use it. */
export async function serveRegistry(o: ServeOptions): Promise<void> {
  if (!existsSync(join(o.dir, 'storage')))
    throw new SeriesFailure(`nothing has been released to the embedded registry (${o.dir})`, [
      'run `lockstep release` first',
    ]);
  const reg = await startEmbeddedRegistry({ dir: o.dir, port: o.port, log: o.progress });
  try {
    const records = readReleaseRecords(o.recordFile, 'embedded');
    const scope = o.pkg.startsWith('@') ? o.pkg.split('/')[0]! : '@lockstep';
    const docs = await scopeDocs(
      reg.url,
      scope,
      records.flatMap((r) => Object.keys(r.versions)),
    );
    if (!docs.some((d) => d.name === o.pkg))
      throw new SeriesUsageError(`the registry has no ${o.pkg}`, [
        `packages there: ${docs.map((d) => d.name).join(', ') || 'none'}`,
      ]);
    const stamped = docs.flatMap((d) => Object.values(d.versions).map((v) => v.lockstep?.series));
    const names =
      o.series !== undefined
        ? [o.series]
        : [...new Set(stamped.filter((x): x is string => x !== undefined))].sort();
    const parts: ServedSeries[] =
      names.length === 0
        ? [{ steps: publishedSteps(docs) }]
        : names.map((n) => ({ series: n, steps: publishedSteps(docs, n) }));
    o.stdout(formatServing(reg.url, o.dir, parts, o.pkg));
    await o.interrupted();
    o.progress('stopping the registry');
  } finally {
    await reg.stop();
  }
}

/** Register `lockstep registry`. */
export function addRegistryCommand(program: Command, ctx: RegistryCommandContext): void {
  program
    .command('registry')
    .summary('serve the embedded registry on 127.0.0.1 until interrupted')
    .description(
      `Serve the embedded registry that \`lockstep release\` publishes to (Verdaccio ${VERDACCIO_VERSION}, storage .lockstep/registry) on 127.0.0.1 until interrupted (Ctrl-C), read-only for everyone: installs are anonymous and nobody can publish. Prints the .npmrc line that sends @lockstep installs to it, and for every step the npm install command for that step's packages (read from the "lockstep" stamp of each published version).`,
    )
    .option(
      '--port <port>',
      `the port to listen on (0: any free port)`,
      String(DEFAULT_REGISTRY_PORT),
    )
    .option(
      '--package <name>',
      'the package under test, named with the reproducers in the install commands',
      '@lockstep/lockd',
    )
    .action(async (opts: { port: string; package: string; series?: string }) => {
      const port = parsePort(opts.port);
      const root = (await ctx.workspaces(opts.series, 'all'))[0]!.root;
      await serveRegistry({
        dir: join(root, '.lockstep', 'registry'),
        recordFile: join(root, '.lockstep', 'releases.json'),
        port,
        pkg: opts.package,
        series: opts.series,
        stdout: ctx.stdout,
        progress: ctx.progress,
        interrupted: ctx.interrupted ?? untilStopped,
      });
    });
}
