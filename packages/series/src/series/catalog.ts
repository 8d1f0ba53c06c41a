/**
 * The series of a workspace: one directory per series under patches/, each with a quilt-style
 * `series` file whose header names its base, the packages it patches and its version line.
 * Everything here is checked before any command changes anything.
 */
import { existsSync, lstatSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import semver from 'semver';
import { SeriesFailure, SeriesUsageError } from '../lib/errors.js';
import { parseSeries, parseSeriesHeader, type SeriesHeader } from './series-file.js';

/** One series of the workspace, as its directory and header describe it. */
export interface SeriesDef {
  /** The directory name under patches/: the series' name, tree, traces and npm dist-tag. */
  name: string;
  /** patches/<name>, absolute. */
  dir: string;
  /** patches/<name>/series, absolute, and as shown to the user. */
  file: string;
  rel: string;
  header: SeriesHeader;
  /** The stated Version-line, or the series' place in the sorted names (1-based). */
  versionLine: number;
  /** How many patches the series file lists. */
  patchCount: number;
}

/** Names of the workspace packages (packages/NAME/package.json), by folder. */
export function workspacePackageNames(root: string): Map<string, string> {
  const out = new Map<string, string>();
  const dir = join(root, 'packages');
  if (!existsSync(dir)) return out;
  for (const d of readdirSync(dir).sort()) {
    const file = join(dir, d, 'package.json');
    if (!existsSync(file)) continue;
    try {
      const name = (JSON.parse(readFileSync(file, 'utf8')) as { name?: unknown }).name;
      if (typeof name === 'string') out.set(d, name);
    } catch {
      // not JSON: the version computation reports it with its step
    }
  }
  return out;
}

/** A name a series directory may have: it becomes a path, a git-free folder and a dist-tag. */
const NAME = /^[a-z0-9][a-z0-9._-]*$/i;

/**
 * Every series under patches/, checked as a whole: each directory has a series file with the
 * required header, names are unique up to case (trees and dist-tags must not collide on a
 * case-insensitive file system or registry), Packages names workspace packages, and version
 * lines are distinct. The old single `patches/series` file is refused with how to move it.
 */
export function listSeries(root: string): SeriesDef[] {
  const patches = join(root, 'patches');
  if (lstatSync(join(patches, 'series'), { throwIfNoEntry: false })?.isFile()) {
    throw new SeriesFailure(
      'patches/series is the old single-series layout: each series now has its own directory',
      [
        'move it to patches/<name>/series (git mv patches/series patches/<name>/series), with its patch paths relative to patches/<name>/',
        "and give it the header lines '# Base: ...' and '# Packages: ...' (see lockstep --help)",
      ],
    );
  }
  if (!existsSync(patches)) {
    throw new SeriesFailure(`the workspace has no patches/ directory (${root})`, [
      'create patches/<name>/series for each series (see lockstep --help)',
    ]);
  }
  const dirs = readdirSync(patches, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort();
  const problems: string[] = [];
  const byLower = new Map<string, string>();
  for (const name of dirs) {
    const other = byLower.get(name.toLowerCase());
    if (other !== undefined)
      problems.push(
        `patches/${other} and patches/${name}: two series whose names differ only in case`,
      );
    else byLower.set(name.toLowerCase(), name);
    if (!NAME.test(name))
      problems.push(`patches/${name}: a series name is letters, digits, '.', '_' and '-'`);
    else if (semver.validRange(name) !== null)
      problems.push(
        `patches/${name}: a series name is its npm dist-tag, and npm refuses a tag that reads as a version range`,
      );
    if (!existsSync(join(patches, name, 'series')))
      problems.push(
        `patches/${name}/ has no series file (each directory under patches/ is a series: add patches/${name}/series or move the directory out)`,
      );
  }
  if (problems.length > 0) throw new SeriesFailure(problems[0]!, problems.slice(1));
  if (dirs.length === 0) {
    throw new SeriesFailure('there is no series under patches/', [
      'create patches/<name>/series (see lockstep --help)',
    ]);
  }

  const known = new Set(workspacePackageNames(root).values());
  const defs: SeriesDef[] = dirs.map((name, i) => {
    const rel = `patches/${name}/series`;
    const file = join(patches, name, 'series');
    const parsed = parseSeries(readFileSync(file, 'utf8'), rel);
    const header = parseSeriesHeader(parsed, rel);
    for (const p of header.packages) {
      if (!known.has(p))
        problems.push(
          `${rel}: Packages names '${p}', which is not a workspace package (packages/*/package.json: ${[...known].sort().join(', ') || 'none'})`,
        );
    }
    return {
      name,
      dir: join(patches, name),
      file,
      rel,
      header,
      versionLine: header.versionLine ?? i + 1,
      patchCount: parsed.entries.length,
    };
  });
  const lines = new Map<number, string>();
  for (const d of defs) {
    const other = lines.get(d.versionLine);
    if (other !== undefined)
      problems.push(
        `${other} and ${d.name} have the same version line ${d.versionLine}: their published versions would collide (set '# Version-line: N' in one of them)`,
      );
    else lines.set(d.versionLine, d.name);
  }
  if (problems.length > 0) throw new SeriesFailure(problems[0]!, problems.slice(1));
  return defs;
}

/**
 * The series a command works on. `--series NAME` picks one (unknown: a usage error listing
 * them). Without it, commands that work on every series get them all; commands that work on
 * one get the only one, or an error listing the names when there are several.
 */
export function pickSeries(
  all: readonly SeriesDef[],
  name: string | undefined,
  scope: 'one' | 'all',
): SeriesDef[] {
  const names = all.map((d) => d.name);
  if (name !== undefined) {
    const d = all.find((x) => x.name === name);
    if (d === undefined)
      throw new SeriesUsageError(`unknown series '${name}'`, [`the series: ${names.join(', ')}`]);
    return [d];
  }
  if (scope === 'one' && all.length > 1)
    throw new SeriesUsageError(`this command works on one series: give --series NAME`, [
      `the series: ${names.join(', ')}`,
    ]);
  return [...all];
}
