/**
 * Version lines: each series publishes on a major version of its own, so series that patch the
 * same package (the lockd series as posted and as merged) never publish the same version and
 * npm ranges of one never admit another's. A series with line N publishes the packages its
 * header lists and their runtime dependents in the workspace as N.0.0 at step 0, then as its
 * changesets say, except that a major bump becomes a minor one (a major would leave the line
 * for the next series'). Peer ranges are `^N.0.0` (every step of the line); other ranges
 * `~N.0.0`, which, like a 0.x caret, a minor bump leaves, so `changeset version` rewrites the
 * range of a dependent whose dependency gained API. Packages no series patches keep their
 * versions and are shared.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import semver from 'semver';

const RUNTIME_FIELDS = ['dependencies', 'optionalDependencies', 'peerDependencies'] as const;
const ALL_FIELDS = [...RUNTIME_FIELDS, 'devDependencies'] as const;

type Json = Record<string, unknown>;
type Deps = Record<string, string> | undefined;

/** The version a line starts at, and the range every step of it stays in. */
export const lineStart = (line: number) => `${line}.0.0`;
export const lineRange = (line: number) => `>=${line}.0.0 <${line + 1}.0.0`;

/**
 * The packages a series publishes on its line: the ones it lists and, transitively, every
 * workspace package that needs one of them at run time (dependencies, optional or peer).
 */
export function linePackages(
  pkgs: ReadonlyMap<string, Json>,
  listed: readonly string[],
): Set<string> {
  const out = new Set(listed);
  for (let grew = true; grew; ) {
    grew = false;
    for (const [name, json] of pkgs) {
      if (out.has(name)) continue;
      const needs = RUNTIME_FIELDS.some((f) =>
        Object.keys((json[f] as Deps) ?? {}).some((d) => out.has(d)),
      );
      if (needs) {
        out.add(name);
        grew = true;
      }
    }
  }
  return out;
}

/**
 * The range a package's dependency on a line package gets at step 0: a peer (machine's model
 * packages, the reproducers' machine) accepts the whole line, `^N.0.0`, so one copy serves every
 * step; other dependencies take `~N.0.0`, which `changeset version` moves up as the series goes.
 */
export function lineDependencyRange(field: string, line: number): string {
  return field === 'peerDependencies' || field === 'devDependencies'
    ? `^${lineStart(line)}`
    : `~${lineStart(line)}`;
}

/**
 * Put the base's package.json files in `tree` (packages/NAME/package.json) on line `line`:
 * the line packages at N.0.0 and every range on one of them as lineDependencyRange says.
 * Returns the line packages. Files are rewritten only where something changes.
 */
export function applyVersionLine(
  tree: string,
  line: number,
  listed: readonly string[],
): Set<string> {
  const root = join(tree, 'packages');
  const files = new Map<string, { file: string; json: Json; text: string }>();
  for (const d of readdirSync(root).sort()) {
    const file = join(root, d, 'package.json');
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    const json = JSON.parse(text) as Json;
    if (typeof json.name === 'string') files.set(json.name, { file, json, text });
  }
  const onLine = linePackages(new Map([...files].map(([n, f]) => [n, f.json])), listed);
  for (const [name, f] of files) {
    if (onLine.has(name)) f.json.version = lineStart(line);
    for (const field of ALL_FIELDS) {
      const deps = f.json[field] as Deps;
      for (const dep of Object.keys(deps ?? {}))
        if (onLine.has(dep)) deps![dep] = lineDependencyRange(field, line);
    }
    const out = `${JSON.stringify(f.json, null, 2)}\n`;
    if (out !== f.text) writeFileSync(f.file, out);
  }
  return onLine;
}

/**
 * Why a range on a line package breaks the line, or null: it must stay inside the line (never
 * admit another series' versions) and, for a peer, accept every version of the line's steps.
 */
export function lineRangeProblem(
  field: string,
  range: string,
  line: number,
  stepVersions: readonly string[],
): string | null {
  if (semver.validRange(range) === null) return null; // reported by the other checks
  if (!semver.subset(range, lineRange(line)))
    return `'${range}' admits versions outside version line ${line} (${lineRange(line)}): another series' versions could be installed`;
  if (field === 'peerDependencies') {
    const missed = stepVersions.filter((v) => !semver.satisfies(v, range));
    if (missed.length > 0)
      return `'${range}' is a peer range that does not accept ${missed.join(', ')}, versions of the same series (use ^${lineStart(line)})`;
  }
  return null;
}

/** A release type as the line takes it: a major bump becomes minor. */
export const lineBump = <T extends string>(type: T): T | 'minor' =>
  type === 'major' ? 'minor' : type;

/** A changeset file whose major bumps are made minor (see the module comment). */
export function asLineChangeset(text: string): string {
  const m = /^(---\r?\n)([\s\S]*?)(\r?\n---)/.exec(text);
  if (!m) return text;
  const front = m[2]!.replace(/:\s*major\s*$/gm, ': minor');
  return text.slice(0, m.index) + m[1] + front + m[3] + text.slice(m.index + m[0].length);
}
