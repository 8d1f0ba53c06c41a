import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import semver from 'semver';
import { SeriesError, SeriesFailure } from '../lib/errors.js';
import { runProcess, tail } from '../lib/proc.js';
import { type RegistryHandle, startEmbeddedRegistry } from '../lib/registry.js';
import {
  fetchPackument,
  fetchTarball,
  type Packument,
  pingRegistry,
  type StepMeta,
} from '../lib/registry-client.js';
import { withScratch } from '../lib/scratch.js';
import { checkoutStep, materialise } from '../series/materialise.js';
import type { PatchInfo } from '../series/patch-file.js';
import { checkSeriesSafety } from '../series/safety.js';
import { readPatchInfos } from '../series/steps.js';
import { applyVersionLine, asLineChangeset } from '../series/version-line.js';
import { computeVersions, type VersionStep } from '../series/versions.js';
import type { Workspace } from '../series/workspace.js';
import {
  checkDependencies,
  type DependencyView,
  type LineCheck,
  packageExports,
  runAttw,
  runPublint,
  tarballExports,
} from './checks.js';
import {
  type PackageRelease,
  type ReleaseRecord,
  type StepRelease,
  writeReleaseRecord,
} from './record.js';
import {
  applyStep,
  buildStep,
  changesetVersion,
  commitStep,
  dependencyOrder,
  pendingChangesets,
  prepareWork,
  readWorkPackages,
  stampStep,
  type WorkPackage,
} from './work.js';

/**
 * The lockstep CLI. It is released like the packages of the series (when its version changes,
 * at step 0 in practice), but built only at the steps that publish it: nothing in the series
 * depends on it, and `lockstep verify`'s turbo runs leave it out too.
 */
export const CLI_PACKAGE = '@lockstep/series';
/** Where `--dry-run` without `--registry` would publish: npm itself. */
export const NPM_REGISTRY = 'https://registry.npmjs.org/';

export type ReleaseTarget = { kind: 'embedded'; dir: string } | { kind: 'url'; url: string };

export interface ReleaseOptions {
  /** The materialised tree (a release clones it). */
  dir: string;
  /** The release work tree (default .lockstep/release/work). */
  workDir: string;
  /** The release record (default .lockstep/releases.json); not written by a dry run. */
  recordFile: string;
  target: ReleaseTarget;
  /** Build and check every step and run `npm publish --dry-run`; publish nothing. */
  dryRun?: boolean;
  force?: boolean;
  log?: (line: string) => void;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** Packages a step releases: those whose version changed (every package at step 0). */
function changedAt(steps: readonly VersionStep[], step: number): string[] {
  const now = steps[step]!.versions;
  const before = step === 0 ? {} : steps[step - 1]!.versions;
  return Object.keys(now)
    .filter((n) => before[n] !== now[n])
    .sort();
}

function stepMeta(series: string, step: number, infos: readonly PatchInfo[]): StepMeta {
  const info = step === 0 ? undefined : infos[step - 1];
  return { series, step, patch: info?.name ?? null, subject: info?.subject ?? null };
}

/** The registry's documents, fetched once per package and updated as this run publishes. */
class RegistryView {
  private docs = new Map<string, Packument | null>();
  constructor(readonly url: string) {}

  async doc(name: string): Promise<Packument | null> {
    if (!this.docs.has(name)) this.docs.set(name, await fetchPackument(this.url, name));
    return this.docs.get(name)!;
  }
  async has(name: string, version: string): Promise<boolean> {
    return (await this.doc(name))?.versions[version] !== undefined;
  }
  async versions(name: string): Promise<string[]> {
    const there = Object.keys((await this.doc(name))?.versions ?? {});
    return [...new Set([...there, ...(this.added.get(name) ?? [])])];
  }
  /** A version this run published (or, in a dry run, would have): users can get it from now on. */
  add(name: string, version: string): void {
    this.added.set(name, [...(this.added.get(name) ?? []), version]);
  }
  private added = new Map<string, string[]>();
}

/**
 * Whether every version the series produces is already in the registry: then a release has
 * nothing to do and says so without building anything.
 */
async function allPublished(steps: readonly VersionStep[], reg: RegistryView): Promise<boolean> {
  for (const s of steps)
    for (const name of changedAt(steps, s.step))
      if (!(await reg.has(name, s.versions[name]!))) return false;
  return true;
}

function newRecord(ws: Workspace, key: string, url: string, dryRun: boolean): ReleaseRecord {
  return {
    series: ws.name,
    versionLine: ws.versionLine,
    distTag: ws.name,
    registry: key,
    url,
    status: 'running',
    dryRun,
    started: new Date().toISOString(),
    finished: null,
    error: null,
    steps: [],
    versions: {},
    published: 0,
    alreadyPublished: 0,
    ms: 0,
  };
}

function remember(record: ReleaseRecord, name: string, version: string, meta: StepMeta): void {
  record.versions[name] ??= {};
  record.versions[name]![version] ??= meta;
}

/**
 * npm publish, as a user would, from the package's directory, under the series' dist-tag
 * (`npm install @lockstep/lockd@<series>`), so no series' release moves another's tag.
 */
async function npmPublish(
  pkg: WorkPackage,
  registry: RegistryHandle,
  dryRun: boolean,
  distTag: string,
): Promise<void> {
  const args = ['publish', '--access', 'public', '--tag', distTag, '--registry', registry.url];
  if (registry.npmrc !== null) args.push('--userconfig', registry.npmrc);
  if (dryRun) args.push('--dry-run');
  const r = await runProcess('npm', args, { cwd: pkg.dir });
  if (r.code !== 0)
    throw new SeriesFailure(
      `npm publish ${pkg.name}@${pkg.version} failed (exit ${r.code})`,
      tail(r.stderr + r.stdout, 12),
    );
}

async function openTarget(
  opts: ReleaseOptions,
  log: (l: string) => void,
): Promise<{ key: string; registry: RegistryHandle }> {
  if (opts.target.kind === 'embedded') {
    if (opts.dryRun) {
      // A dry run never starts the embedded registry: it only asks npm what it would publish.
      const url = NPM_REGISTRY;
      return { key: url, registry: { url, dir: '', npmrc: null, stop: async () => {} } };
    }
    const registry = await startEmbeddedRegistry({ dir: opts.target.dir, publish: true, log });
    return { key: 'embedded', registry };
  }
  const url = opts.target.url;
  await pingRegistry(url);
  return { key: url, registry: { url, dir: '', npmrc: null, stop: async () => {} } };
}

/**
 * lockstep release: walk the series and publish every step. After each patch, its changesets
 * are consumed by `changeset version` in a release work tree (a clone of the materialised tree,
 * branch `release`); the step is built with turbo (tsup); every package whose version changed
 * passes publint, attw --pack and lockstep's dependency-range check; then it is published with
 * npm publish, stamped with the step that produced it. Versions the registry already has are
 * left alone. The record of what was and was not published is written as the release goes.
 */
export async function release(ws: Workspace, opts: ReleaseOptions): Promise<ReleaseRecord> {
  const started = performance.now();
  const log = opts.log ?? (() => {});
  const dryRun = opts.dryRun === true;
  const { infos, steps } = await withScratch(async (scratch) => {
    await checkSeriesSafety(ws, scratch);
    return {
      infos: await readPatchInfos(ws, scratch),
      steps: await computeVersions(ws, scratch),
    };
  });
  const last = infos.length;
  const { key, registry } = await openTarget(opts, log);
  const record = newRecord(ws, key, registry.url, dryRun);
  const save = () => {
    record.ms = Math.round(performance.now() - started);
    if (!dryRun) writeReleaseRecord(opts.recordFile, record);
  };
  const reg = new RegistryView(registry.url);
  try {
    if (!dryRun && (await allPublished(steps, reg))) {
      for (const s of steps) {
        const packages: PackageRelease[] = changedAt(steps, s.step).map((name) => {
          remember(record, name, s.versions[name]!, stepMeta(ws.name, s.step, infos));
          return { name, version: s.versions[name]!, status: 'already-published' };
        });
        record.alreadyPublished += packages.length;
        record.steps.push({
          ...stepMeta(ws.name, s.step, infos),
          versions: s.versions,
          packages,
          ms: 0,
        });
      }
      record.status = 'complete';
      record.finished = new Date().toISOString();
      log(
        `nothing to publish: the registry already has all ${record.alreadyPublished} versions of the ${last + 1} steps`,
      );
      save();
      return record;
    }

    await materialise(ws, { dir: opts.dir, force: opts.force, log });
    await checkoutStep(opts.dir, last, last, opts.force);
    await prepareWork(opts.dir, opts.workDir, log);
    save();
    const exportsCache = new Map<string, string[] | null>();
    const exportsOf = (name: string) => async (version: string) => {
      const k = `${name}@${version}`;
      if (!exportsCache.has(k)) {
        const v = (await reg.doc(name))?.versions[version];
        exportsCache.set(
          k,
          v === undefined
            ? null
            : await withScratch(async (s) => tarballExports(await fetchTarball(reg.url, v), s)),
        );
      }
      return exportsCache.get(k)!;
    };

    // Every version each line package takes over the series: peer ranges must accept them all.
    let lineCheck: LineCheck | undefined;

    for (let step = 0; step <= last; step++) {
      const t0 = performance.now();
      const meta = stepMeta(ws.name, step, infos);
      const label = step === 0 ? 'base' : meta.subject;
      const entry: StepRelease = { ...meta, versions: {}, packages: [], ms: 0 };
      record.steps.push(entry);
      if (step > 0) await applyStep(opts.workDir, step, meta.patch!);
      // The series' version line, as `lockstep series` plans it (version-line.ts).
      if (step === 0) {
        const onLine = applyVersionLine(opts.workDir, ws.versionLine, ws.header.packages);
        lineCheck = {
          line: ws.versionLine,
          versions: new Map(
            [...onLine].map((n) => [n, [...new Set(steps.map((s) => s.versions[n]!))]] as const),
          ),
        };
      }
      const pending = pendingChangesets(opts.workDir);
      for (const f of pending) {
        const file = join(opts.workDir, '.changeset', f);
        const text = readFileSync(file, 'utf8');
        const onLine = asLineChangeset(text);
        if (onLine !== text) writeFileSync(file, onLine);
      }
      if (pending.length > 0) await changesetVersion(opts.workDir);
      const pkgs = readWorkPackages(opts.workDir);
      entry.versions = Object.fromEntries([...pkgs].map(([n, p]) => [n, p.version]));
      const expected = steps[step]!.versions;
      const differ = Object.keys({ ...expected, ...entry.versions })
        .filter((n) => expected[n] !== entry.versions[n])
        .map(
          (n) =>
            `${n}: changeset version gave ${entry.versions[n] ?? 'nothing'}, lockstep series computed ${expected[n] ?? 'nothing'}`,
        );
      if (differ.length > 0)
        throw new SeriesFailure(`step ${step}: the versions differ from the series plan`, differ);

      const changed = changedAt(steps, step)
        .map((n) => pkgs.get(n)!)
        .filter((p) => !p.private);
      const toPublish: WorkPackage[] = [];
      for (const p of changed) {
        const there = await reg.has(p.name, p.version);
        entry.packages.push({
          name: p.name,
          version: p.version,
          status: there ? 'already-published' : 'not-published',
        });
        if (there) {
          record.alreadyPublished++;
          remember(record, p.name, p.version, meta);
        } else toPublish.push(p);
      }
      for (const p of toPublish) stampStep(p, meta);
      await commitStep(opts.workDir, step);
      const bumped =
        changed.map((p) => `${p.name}@${p.version}`).join(', ') || 'no version changes';
      if (toPublish.length === 0) {
        log(
          `step ${step}/${last} (${label}): ${bumped}: nothing to publish (already in the registry)`,
        );
        entry.ms = Math.round(performance.now() - t0);
        save();
        continue;
      }
      log(`step ${step}/${last} (${label}): ${bumped}: build`);
      const buildCli = toPublish.some((p) => p.name === CLI_PACKAGE);
      const buildMs = await buildStep(
        opts.workDir,
        pkgs.has(CLI_PACKAGE) && !buildCli ? [CLI_PACKAGE] : [],
      );
      for (const p of pkgs.values())
        if (!exportsCache.has(`${p.name}@${p.version}`))
          exportsCache.set(`${p.name}@${p.version}`, packageExports(p.dir));

      // Every package of the step is checked before any of it is published.
      const tc = performance.now();
      const views = new Map<string, DependencyView>();
      for (const p of pkgs.values()) {
        if (p.private) continue;
        const versions = new Set(await reg.versions(p.name));
        versions.add(p.version);
        views.set(p.name, {
          current: p.version,
          versions: [...versions].sort(semver.compare),
          exportsOf: exportsOf(p.name),
        });
      }
      const failures: string[] = [];
      const ordered = dependencyOrder(toPublish);
      const checkOne = async (p: WorkPackage) => {
        const rec = entry.packages.find((r) => r.name === p.name)!;
        const [publint, attw, deps] = await Promise.all([
          runPublint(p.dir),
          runAttw(p.dir),
          checkDependencies(p.dir, p.json, views, lineCheck),
        ]);
        rec.checks = { publint, attw, dependencies: { ok: deps.ok, problems: deps.problems } };
        rec.dependencies = Object.fromEntries(
          Object.entries({
            ...(p.json.dependencies as Record<string, string> | undefined),
            ...(p.json.peerDependencies as Record<string, string> | undefined),
          }).filter(([d]) => views.has(d)),
        );
        if (!publint.ok || !attw.ok || !deps.ok) {
          rec.status = 'failed';
          rec.reason = 'its checks failed';
        }
      };
      // Two at a time: attw packs and type-checks, which keeps a core busy.
      for (let i = 0; i < ordered.length; i += 2)
        await Promise.all(ordered.slice(i, i + 2).map(checkOne));
      for (const p of ordered) {
        const rec = entry.packages.find((r) => r.name === p.name)!;
        for (const [what, c] of Object.entries(rec.checks ?? {}))
          if (c && !c.ok)
            failures.push(...c.problems.map((x) => `${p.name}@${p.version}: ${what}: ${x}`));
      }
      const checkMs = performance.now() - tc;
      if (failures.length > 0) {
        for (const r of entry.packages)
          if (r.status === 'not-published')
            r.reason = 'another package of this step failed its checks';
        throw new SeriesFailure(
          `step ${step}: ${entry.packages.filter((r) => r.status === 'failed').length} package(s) failed their checks; nothing of step ${step} was published`,
          failures,
        );
      }
      log(
        `step ${step}/${last}: built in ${seconds(buildMs)}; publint, attw and dependency checks passed in ${seconds(checkMs)}`,
      );

      for (const p of ordered) {
        const rec = entry.packages.find((r) => r.name === p.name)!;
        try {
          await npmPublish(p, registry, dryRun, ws.name);
        } catch (e) {
          rec.status = 'failed';
          rec.reason = (e as Error).message;
          throw e;
        }
        rec.status = dryRun ? 'would-publish' : 'published';
        if (!dryRun) record.published++;
        remember(record, p.name, p.version, meta);
        reg.add(p.name, p.version);
        save();
      }
      entry.ms = Math.round(performance.now() - t0);
      log(
        `step ${step}/${last}: ${dryRun ? 'npm publish --dry-run accepted' : 'published'} ${ordered.map((p) => `${p.name}@${p.version}`).join(', ')} (${seconds(entry.ms)})`,
      );
      save();
    }
    record.status = 'complete';
  } catch (e) {
    record.status = 'failed';
    const err = e instanceof SeriesError ? e : null;
    record.error = {
      message: (e as Error).message,
      details: err ? [...err.details] : [],
    };
    const stoppedAt = record.steps.length - 1;
    const stopped =
      stoppedAt < 0
        ? 'the release stopped before step 0'
        : `the release stopped at step ${stoppedAt}`;
    for (const r of record.steps[stoppedAt]?.packages ?? [])
      if (r.status === 'not-published') r.reason ??= stopped;
    // The steps the release did not reach, with what they would have published.
    for (const s of steps.slice(record.steps.length)) {
      record.steps.push({
        ...stepMeta(ws.name, s.step, infos),
        versions: s.versions,
        packages: changedAt(steps, s.step).map((name) => ({
          name,
          version: s.versions[name]!,
          status: 'not-published',
          reason: stopped,
        })),
        ms: 0,
      });
    }
    throw e;
  } finally {
    record.finished = new Date().toISOString();
    try {
      save();
    } finally {
      await registry.stop();
    }
  }
  return record;
}
