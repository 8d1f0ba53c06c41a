import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import assembleReleasePlan from '@changesets/assemble-release-plan';
import { parse as parseConfig } from '@changesets/config';
import getVersionRangeType from '@changesets/get-version-range-type';
import parseChangeset from '@changesets/parse';
import type { PackageJSON, VersionType } from '@changesets/types';
import semver from 'semver';
import { SeriesFailure } from '../lib/errors.js';
import { git } from '../lib/git.js';
import { applyFailure } from './apply-error.js';
import { applyVersionLine, lineBump, lineStart } from './version-line.js';
import { readBaseFile, type Workspace } from './workspace.js';

/** One changeset a patch carries (`.changeset/<id>.md`). */
export interface ChangesetInfo {
  id: string;
  summary: string;
  releases: { name: string; type: VersionType }[];
}

/** A package whose version changes at a step. */
export interface PackageBump {
  name: string;
  from: string;
  to: string;
  type: VersionType;
}

/** Package versions at one step: base versions at step 0, after patch N at step N. */
export interface VersionStep {
  step: number;
  /** Changesets the step's patch adds or changes (none at step 0). */
  changesets: ChangesetInfo[];
  bumps: PackageBump[];
  /** Every workspace package (packages/NAME/package.json) by name, sorted by name. */
  versions: Record<string, string>;
}

/** A workspace package as a release at this step would write it. */
interface Pkg {
  dir: string;
  json: PackageJSON;
}

const DEP_FIELDS = ['dependencies', 'devDependencies', 'peerDependencies', 'optionalDependencies'];
const LEVEL: Record<VersionType, number> = { none: 0, patch: 1, minor: 2, major: 3 };

/**
 * Files of the base that the version computation needs: package.json files (root and under
 * packages/, nested ones too, so that a patch touching them still applies) and .changeset/.
 */
function isVersionFile(path: string): boolean {
  return (
    path === 'package.json' ||
    (path.startsWith('packages/') && path.endsWith('/package.json')) ||
    path.startsWith('.changeset/')
  );
}
// git apply matches these with `*` crossing `/`, so nested package.json files are included.
const INCLUDE = ['package.json', 'packages/*/package.json', '.changeset/*'];

function readJson(file: string, what: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new SeriesFailure(`${what} is not valid JSON: ${(e as Error).message}`);
  }
}

/** `.changeset/*.md` (not README.md) by file name. */
function readChangesets(tree: string): Map<string, string> {
  const dir = join(tree, '.changeset');
  const out = new Map<string, string>();
  let names: string[] = [];
  try {
    names = readdirSync(dir);
  } catch {
    return out;
  }
  for (const n of names.sort()) {
    if (n.endsWith('.md') && n.toLowerCase() !== 'readme.md') {
      out.set(n, readFileSync(join(dir, n), 'utf8'));
    }
  }
  return out;
}

/** packages/NAME/package.json files, read as written by the step's patches. */
export function readPackages(tree: string, where: string): Map<string, Pkg> {
  const out = new Map<string, Pkg>();
  const root = join(tree, 'packages');
  let dirs: string[] = [];
  try {
    dirs = readdirSync(root).sort();
  } catch {
    return out;
  }
  for (const d of dirs) {
    const file = join(root, d, 'package.json');
    if (!existsSync(file)) continue;
    const json = readJson(file, `packages/${d}/package.json ${where}`) as PackageJSON;
    if (typeof json.name !== 'string' || typeof json.version !== 'string') {
      throw new SeriesFailure(`packages/${d}/package.json ${where} has no name or version`);
    }
    out.set(json.name, { dir: join(root, d), json });
  }
  return out;
}

/**
 * What `changeset version` does to a released package's dependency on another released
 * package (mirrors @changesets/apply-release-plan's versionPackage): the range is rewritten to
 * the new version, keeping its ^/~ prefix, when the new version leaves the range, or when it
 * stays in range and the bump is at least `updateInternalDependencies` (for a peer dependency
 * in range: unless `onlyUpdatePeerDependentsWhenOutOfRange` is set). workspace:, file:, link:
 * and `*` ranges stay.
 */
function updateRange(
  field: string,
  range: string,
  version: string,
  type: VersionType,
  config: { minType: VersionType; onlyPeersOutOfRange: boolean },
) {
  if (/^(workspace|file|link):/.test(range) || semver.validRange(range) === null) return range;
  if (new semver.Range(range).range === '') return range;
  const update = !semver.satisfies(version, range)
    ? true
    : field === 'peerDependencies'
      ? !config.onlyPeersOutOfRange
      : LEVEL[type] >= LEVEL[config.minType];
  return update ? `${getVersionRangeType(range)}${version}` : range;
}

/**
 * Package versions at every step of the series, on its version line (version-line.ts: the
 * line's packages start at N.0.0, and a major bump is a minor one). Each step is versioned
 * as a release: the
 * changesets a patch adds are planned with @changesets/assemble-release-plan (so dependents,
 * `fixed`, `linked` and `ignore` work as in `changeset version`) against the versions of the
 * step before, and the planned versions and dependency ranges carry forward. Only the
 * package.json and .changeset files are materialised (in `scratch`), by git apply.
 */
export async function computeVersions(ws: Workspace, scratch: string): Promise<VersionStep[]> {
  const tree = join(scratch, 'versions');
  for (const f of ws.base) {
    if (f.kind === 'symlink' || !isVersionFile(f.path)) continue;
    mkdirSync(dirname(join(tree, f.path)), { recursive: true });
    writeFileSync(join(tree, f.path), readBaseFile(ws.root, f));
  }
  mkdirSync(tree, { recursive: true });
  // The series' own major version: the release work tree does the same at step 0.
  applyVersionLine(tree, ws.versionLine, ws.header.packages);

  // Versions and rewritten ranges carried from step to step (the files never change them).
  const version = new Map<string, string>();
  const ranges = new Map<string, { written: string; now: string }>(); // key: pkg\0field\0dep
  const current = (where: string): Map<string, Pkg> => {
    const pkgs = readPackages(tree, where);
    for (const [name, p] of pkgs) {
      const v = version.get(name);
      if (v !== undefined) p.json.version = v;
      for (const field of DEP_FIELDS) {
        const deps = (p.json as unknown as Record<string, Record<string, string> | undefined>)[
          field
        ];
        for (const dep of Object.keys(deps ?? {})) {
          const key = `${name}\0${field}\0${dep}`;
          const r = ranges.get(key);
          if (r && r.written === deps![dep]) deps![dep] = r.now;
          else ranges.delete(key); // a patch rewrote the range itself: it wins
        }
      }
    }
    return pkgs;
  };
  const snapshot = (pkgs: Map<string, Pkg>) =>
    Object.fromEntries(
      [...pkgs].sort(([a], [b]) => (a < b ? -1 : 1)).map(([n, p]) => [n, p.json.version]),
    );

  const initial = current('at step 0');
  for (const [n, p] of initial) version.set(n, p.json.version);
  const steps: VersionStep[] = [
    { step: 0, changesets: [], bumps: [], versions: snapshot(initial) },
  ];
  let seen = readChangesets(tree);

  for (const [i, patch] of ws.patches.entries()) {
    const step = i + 1;
    const args = ['apply', ...INCLUDE.map((p) => `--include=${p}`), '-'];
    const r = await git(args, { cwd: tree, outsideRepo: true, input: patch.bytes, check: false });
    if (r.code !== 0) throw applyFailure(patch, r.stderr, step - 1);

    const files = readChangesets(tree);
    const changesets: ChangesetInfo[] = [];
    for (const [file, text] of files) {
      if (seen.get(file) === text) continue;
      let parsed: ReturnType<typeof parseChangeset>;
      try {
        parsed = parseChangeset(text);
      } catch (e) {
        throw new SeriesFailure(
          `patch ${patch.name}: .changeset/${file} is not a valid changeset`,
          [(e as Error).message.split('\n')[0] ?? ''],
        );
      }
      // A major bump would leave the series' version line: it is a minor one (version-line.ts).
      const releases = parsed.releases.map((r) => ({ ...r, type: lineBump(r.type) }));
      changesets.push({ id: file.replace(/\.md$/, ''), summary: parsed.summary, releases });
    }
    seen = files;

    const pkgs = current(`after ${patch.name}`);
    for (const c of changesets) {
      for (const rel of c.releases) {
        if (!pkgs.has(rel.name)) {
          throw new SeriesFailure(
            `patch ${patch.name}: .changeset/${c.id}.md names '${rel.name}', which is not a workspace package at step ${step}`,
            [`packages at step ${step}: ${[...pkgs.keys()].join(', ') || 'none'}`],
          );
        }
      }
    }
    for (const [n, p] of pkgs) if (!version.has(n)) version.set(n, p.json.version);

    const rootJson = readJson(join(tree, 'package.json'), `package.json after ${patch.name}`);
    const packages = {
      tool: 'root' as const,
      root: { dir: tree, packageJson: rootJson as PackageJSON },
      packages: [...pkgs.values()].map((p) => ({ dir: p.dir, packageJson: p.json })),
    };
    const configFile = join(tree, '.changeset', 'config.json');
    const configJson = existsSync(configFile)
      ? readJson(configFile, `.changeset/config.json after ${patch.name}`)
      : {};
    let bumps: PackageBump[];
    try {
      const config = parseConfig(configJson as never, packages);
      const plan = assembleReleasePlan(changesets, packages, config, undefined);
      const released = plan.releases.filter((rel) => rel.type !== 'none');
      for (const rel of released) {
        version.set(rel.name, rel.newVersion);
        const json = pkgs.get(rel.name)!.json as unknown as Record<string, unknown>;
        for (const field of DEP_FIELDS) {
          const deps = json[field] as Record<string, string> | undefined;
          for (const dep of released) {
            const range = deps?.[dep.name];
            if (range === undefined) continue;
            const now = updateRange(field, range, dep.newVersion, dep.type, {
              minType: config.updateInternalDependencies,
              onlyPeersOutOfRange:
                config.___experimentalUnsafeOptions_WILL_CHANGE_IN_PATCH
                  .onlyUpdatePeerDependentsWhenOutOfRange === true,
            });
            const key = `${rel.name}\0${field}\0${dep.name}`;
            const written = ranges.get(key)?.written ?? range;
            if (now !== range) ranges.set(key, { written, now });
          }
        }
      }
      // Changesets bumps a package whose peer dependency moves by a major (unless configured
      // not to): on a version line that would publish into the next series' line.
      const line = semver.major(lineStart(ws.versionLine));
      const left = released.filter(
        (rel) => semver.major(rel.oldVersion) === line && semver.major(rel.newVersion) !== line,
      );
      if (left.length > 0)
        throw new SeriesFailure(
          `patch ${patch.name}: the plan of step ${step} leaves version line ${line}`,
          [
            ...left.map(
              (rel) => `${rel.name} ${rel.oldVersion} -> ${rel.newVersion} (${rel.type})`,
            ),
            'a dependent of a peer gets a major bump by default: set onlyUpdatePeerDependentsWhenOutOfRange in .changeset/config.json (___experimentalUnsafeOptions_WILL_CHANGE_IN_PATCH)',
          ],
        );
      bumps = released
        .map((rel) => ({
          name: rel.name,
          from: rel.oldVersion,
          to: rel.newVersion,
          type: rel.type,
        }))
        .sort((a, b) => (a.name < b.name ? -1 : 1));
    } catch (e) {
      if (e instanceof SeriesFailure) throw e;
      throw new SeriesFailure(`patch ${patch.name}: cannot plan the versions of step ${step}`, [
        ...(e as Error).message.split('\n').filter((l) => l.trim() !== ''),
      ]);
    }
    steps.push({ step, changesets, bumps, versions: snapshot(current(`after ${patch.name}`)) });
  }
  return steps;
}
