import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import semver from 'semver';
import { SeriesFailure, SeriesUsageError } from '../lib/errors.js';
import {
  fetchPackument,
  type Packument,
  type PackumentVersion,
  type StepMeta,
  searchScope,
} from '../lib/registry-client.js';
import { type ReleaseRecord, recordedStep } from '../release/record.js';
import { type BisectLog, formatBisectLog, type LogEntry } from './version-bisect-log.js';
import {
  installSandbox,
  runSandboxReproducer,
  type SandboxPlan,
} from './version-bisect-sandbox.js';

/** What a reproducer needs next to the package under test. */
export const REPRODUCERS_PACKAGE = '@lockstep/reproducers';
export const MACHINE_PACKAGE = '@lockstep/machine';

export interface VersionBisectOptions {
  reproducer: string;
  /** The package whose versions are bisected, e.g. @lockstep/lockd. */
  pkg: string;
  /** The known version (its outcome is the baseline) and the one whose outcome differs. */
  good?: string;
  bad?: string;
  /** The registry to install from (running). */
  registry: string;
  /** The release records of that registry: the step of a version when its metadata lacks it. */
  records?: readonly ReleaseRecord[];
  /** Only the versions this series published (its version line); default: every version. */
  series?: string;
  /** A saved log whose verdicts are taken as they are (like git bisect replay). */
  replay?: BisectLog;
  log?: (line: string) => void;
}

/** One version tried. */
export interface VersionProbe {
  version: string;
  step: number | null;
  patch: string | null;
  outcome: string;
  verdict: 'good' | 'bad';
  /** Every package of the scope as installed in the sandbox (empty when replayed). */
  installed: Record<string, string>;
  replayed: boolean;
  ms: number;
}

export interface VersionBisectResult {
  reproducer: string;
  package: string;
  registry: string;
  good: string;
  bad: string;
  /** Outcomes (crash title or "clean") at --good and at --bad. */
  before: string;
  after: string;
  /** The published versions from good to bad, in semver order. */
  candidates: string[];
  /** The first version whose outcome differs from the one at --good, and the step behind it. */
  firstVersion: string | null;
  step: number | null;
  patch: string | null;
  subject: string | null;
  probes: VersionProbe[];
  /** The bisect log (`--log`; `--replay` reads it back). */
  log: string;
  ms: number;
}

const scopeOf = (name: string) => (name.startsWith('@') ? name.split('/')[0]! : '');

function sortedVersions(doc: Packument): string[] {
  return Object.keys(doc.versions)
    .filter((v) => semver.valid(v) !== null)
    .sort(semver.compare);
}

/** Which packages of the scope a version depends on (dependencies and peers). */
function scopeDeps(v: PackumentVersion, scope: string): string[] {
  return Object.keys({ ...v.dependencies, ...v.peerDependencies }).filter((d) =>
    d.startsWith(`${scope}/`),
  );
}

/**
 * Installs a version with the versions of the other packages published at the same step, read
 * from the "lockstep" stamp in each version's package.json (or the release record); without
 * stamps, the highest version of each other package whose ranges accept what is already chosen.
 */
class Planner {
  private docs = new Map<string, Packument | null>();
  constructor(
    private registry: string,
    private records: readonly ReleaseRecord[],
  ) {}

  async doc(name: string): Promise<Packument | null> {
    if (!this.docs.has(name)) this.docs.set(name, await fetchPackument(this.registry, name));
    return this.docs.get(name)!;
  }

  stepOf(doc: Packument, version: string): StepMeta | null {
    return doc.versions[version]?.lockstep ?? recordedStep(this.records, doc.name, version);
  }

  /**
   * The versions of `doc` that go with series `series`: its own when it published some (a
   * package on the series' version line), else all of them (a package the series shares).
   */
  ofSeries(doc: Packument, series: string | undefined): string[] {
    const all = sortedVersions(doc);
    if (series === undefined) return all;
    const own = all.filter((v) => this.stepOf(doc, v)?.series === series);
    return own.length > 0 ? own : all;
  }

  /** The version of `doc` current at `step`, or the newest compatible with `chosen`. */
  private pick(
    doc: Packument,
    step: number | null,
    series: string | undefined,
    chosen: Map<string, string>,
  ): string | null {
    const versions = this.ofSeries(doc, series).reverse();
    if (step !== null) {
      let best: { v: string; s: number } | null = null;
      for (const v of versions) {
        const s = this.stepOf(doc, v)?.step;
        if (s !== undefined && s <= step && (best === null || s > best.s)) best = { v, s };
      }
      if (best !== null) return best.v;
    }
    return (
      versions.find((v) => {
        const ranges = { ...doc.versions[v]!.dependencies, ...doc.versions[v]!.peerDependencies };
        return [...chosen].every(
          ([n, cv]) => ranges[n] === undefined || semver.satisfies(cv, ranges[n]),
        );
      }) ?? null
    );
  }

  async plan(
    pkg: string,
    version: string,
    step: number | null,
    series: string | undefined,
  ): Promise<SandboxPlan> {
    const scope = scopeOf(pkg);
    const chosen = new Map<string, string>([[pkg, version]]);
    const direct = [pkg, REPRODUCERS_PACKAGE, MACHINE_PACKAGE];
    const queue = [...direct];
    while (queue.length > 0) {
      const name = queue.shift()!;
      const doc = await this.doc(name);
      if (doc === null)
        throw new SeriesFailure(`the registry has no ${name}, which the reproducers need`);
      if (!chosen.has(name)) {
        const v = this.pick(doc, step, series, chosen);
        if (v === null)
          throw new SeriesFailure(`no version of ${name} goes with ${pkg}@${version}`, [
            `published: ${sortedVersions(doc).join(', ')}`,
          ]);
        chosen.set(name, v);
      }
      for (const d of scopeDeps(doc.versions[chosen.get(name)!]!, scope))
        if (!chosen.has(d) && !queue.includes(d)) queue.push(d);
    }
    const install: Record<string, string> = {};
    const overrides: Record<string, string> = {};
    for (const [n, v] of [...chosen].sort()) (direct.includes(n) ? install : overrides)[n] = v;
    return { install, overrides };
  }
}

function outcomeText(o: { status: string; title?: string; error?: string }): string {
  return o.status === 'crash' ? (o.title ?? 'crash') : 'clean';
}

/**
 * lockstep bisect <reproducer> --package P --good A --bad B: binary search over the versions
 * of P published between A and B (semver order). Each version is installed into a clean
 * sandbox from the registry, with the packages of the same step, and the reproducer runs there
 * (`npx lockstep-repro <id> --json`). Prints the first version whose outcome differs from A's
 * and the step (patch) that produced it.
 */
export async function versionBisect(opts: VersionBisectOptions): Promise<VersionBisectResult> {
  const started = performance.now();
  const log = opts.log ?? (() => {});
  const replay = opts.replay;
  const pick = (flag: 'good' | 'bad') => {
    const given = opts[flag];
    const saved = replay?.[flag] ?? null;
    if (given !== undefined && saved !== null && given !== saved)
      throw new SeriesUsageError(`--${flag} ${given} differs from the replayed log's ${saved}`);
    const v = given ?? saved;
    if (v === undefined || v === null)
      throw new SeriesUsageError(`bisecting versions needs --${flag} <version>`);
    return v;
  };
  if (replay?.package && replay.package !== opts.pkg)
    throw new SeriesUsageError(
      `--package ${opts.pkg} differs from the replayed log's ${replay.package}`,
    );
  if (replay?.reproducer && replay.reproducer !== opts.reproducer)
    throw new SeriesUsageError(
      `reproducer ${opts.reproducer} differs from the replayed log's ${replay.reproducer}`,
    );
  const good = pick('good');
  const bad = pick('bad');

  const planner = new Planner(opts.registry, opts.records ?? []);
  const doc = await planner.doc(opts.pkg);
  if (doc === null) {
    const scope = scopeOf(opts.pkg);
    const known = scope ? await searchScope(opts.registry, scope) : [];
    const fromRecord = [...new Set((opts.records ?? []).flatMap((r) => Object.keys(r.versions)))];
    const list = known.length > 0 ? known : fromRecord;
    throw new SeriesUsageError(`unknown package '${opts.pkg}' in the registry ${opts.registry}`, [
      list.length > 0 ? `packages there: ${list.join(', ')}` : 'run `lockstep release` first',
    ]);
  }
  const all = planner.ofSeries(doc, opts.series);
  if (opts.series !== undefined && !all.some((v) => planner.stepOf(doc, v)?.series === opts.series))
    throw new SeriesUsageError(`${opts.pkg} has no version published by series ${opts.series}`, [
      `published versions: ${sortedVersions(doc).join(', ')}`,
    ]);
  for (const [flag, v] of [
    ['good', good],
    ['bad', bad],
  ] as const)
    if (!all.includes(v))
      throw new SeriesUsageError(`--${flag}: ${opts.pkg} has no published version '${v}'`, [
        `published versions${opts.series ? ` of series ${opts.series}` : ''}: ${all.join(', ')}`,
      ]);
  if (!semver.lt(good, bad))
    throw new SeriesUsageError(
      `--good must be an older version than --bad (got ${good} and ${bad})`,
    );
  const candidates = all.filter((v) => semver.gte(v, good) && semver.lte(v, bad));
  log(
    `bisect ${opts.reproducer} over ${opts.pkg}: ${candidates.length} published versions from ${good} to ${bad}`,
  );

  const probes: VersionProbe[] = [];
  const sandboxRoot = mkdtempSync(join(tmpdir(), 'lockstep-bisect-'));
  let before: string | null = null;
  const probe = async (version: string): Promise<VersionProbe> => {
    const meta = planner.stepOf(doc, version);
    const saved = replay?.entries.find((e) => e.version === version);
    let p: VersionProbe;
    if (saved !== undefined) {
      const outcome =
        saved.outcome ?? (saved.verdict === 'good' ? (before ?? 'unknown') : 'changed');
      p = {
        version,
        step: meta?.step ?? saved.step,
        patch: meta?.patch ?? null,
        outcome,
        verdict: saved.verdict,
        installed: {},
        replayed: true,
        ms: 0,
      };
      log(`${opts.pkg}@${version}: ${saved.verdict} (from the replayed log): ${outcome}`);
    } else {
      const t0 = performance.now();
      const plan = await planner.plan(
        opts.pkg,
        version,
        meta?.step ?? null,
        opts.series ?? meta?.series,
      );
      const dir = mkdtempSync(join(sandboxRoot, `${version}-`));
      log(
        `${opts.pkg}@${version} (step ${meta?.step ?? '?'}): npm install ${Object.entries(
          plan.install,
        )
          .map(([n, v]) => `${n}@${v}`)
          .join(' ')}`,
      );
      const installed = await installSandbox(dir, opts.registry, scopeOf(opts.pkg), plan);
      const o = await runSandboxReproducer(dir, opts.reproducer);
      if (o.status === 'error')
        throw new SeriesFailure(
          `reproducer ${opts.reproducer} could not run against ${opts.pkg}@${version}`,
          [o.error ?? ''],
        );
      const outcome = outcomeText(o);
      before ??= outcome;
      p = {
        version,
        step: meta?.step ?? null,
        patch: meta?.patch ?? null,
        outcome,
        verdict: outcome === before ? 'good' : 'bad',
        installed,
        replayed: false,
        ms: Math.round(performance.now() - t0),
      };
      log(`${opts.pkg}@${version}: ${outcome} (${p.verdict}, ${(p.ms / 1000).toFixed(1)} s)`);
    }
    probes.push(p);
    return p;
  };

  try {
    const first = await probe(good);
    if (first.verdict !== 'good')
      throw new SeriesUsageError(`the replayed log marks --good ${good} bad`);
    before = first.outcome;
    const last = await probe(bad);
    const after = last.outcome;
    let firstVersion: string | null = null;
    if (last.verdict === 'bad') {
      let lo = 0;
      let hi = candidates.length - 1;
      while (hi - lo > 1) {
        const mid = (lo + hi) >> 1;
        if ((await probe(candidates[mid]!)).verdict === 'good') lo = mid;
        else hi = mid;
      }
      firstVersion = candidates[hi]!;
    }
    const meta = firstVersion === null ? null : planner.stepOf(doc, firstVersion);
    const result =
      firstVersion === null
        ? `the same outcome at ${good} and ${bad}: ${before}`
        : `first bad version: ${opts.pkg}@${firstVersion} (step ${meta?.step ?? '?'}${meta?.patch ? `: ${meta.patch}` : ''})`;
    const entries: LogEntry[] = probes.map((p) => ({
      verdict: p.verdict,
      version: p.version,
      step: p.step,
      outcome: p.outcome,
    }));
    return {
      reproducer: opts.reproducer,
      package: opts.pkg,
      registry: opts.registry,
      good,
      bad,
      before,
      after,
      candidates,
      firstVersion,
      step: meta?.step ?? null,
      patch: meta?.patch ?? null,
      subject: meta?.subject ?? null,
      probes,
      log: formatBisectLog(
        { reproducer: opts.reproducer, package: opts.pkg, good, bad, registry: opts.registry },
        entries,
        result,
      ),
      ms: Math.round(performance.now() - started),
    };
  } finally {
    rmSync(sandboxRoot, { recursive: true, force: true });
  }
}
