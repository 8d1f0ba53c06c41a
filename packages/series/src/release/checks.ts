import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import semver from 'semver';
import { SeriesFailure } from '../lib/errors.js';
import { runProcess, tail } from '../lib/proc.js';
import { lineRangeProblem } from '../series/version-line.js';
import type { CheckResult } from './record.js';
import { moduleExports, moduleImports } from './symbols.js';

const requireHere = createRequire(typeof __filename === 'string' ? __filename : import.meta.url);

const DEP_FIELDS = ['dependencies', 'peerDependencies', 'optionalDependencies'] as const;

interface PublintMessage {
  type: 'suggestion' | 'warning' | 'error';
  code: string;
}
type PublintFn = (o: {
  pkgDir: string;
  strict?: boolean;
}) => Promise<{ messages: PublintMessage[] }>;
type FormatFn = (m: PublintMessage, pkg: unknown) => string | undefined;

/** Resolve an optional peer dependency of the CLI that the release checks need. */
function resolveTool(spec: string, pkg: string): string {
  try {
    return requireHere.resolve(spec);
  } catch {
    throw new SeriesFailure(`${pkg} is not installed next to lockstep`, [
      `lockstep release checks every package with publint and @arethetypeswrong/cli, optional peer dependencies of @lockstep/series: npm install ${pkg} (a clone's npm install has both)`,
    ]);
  }
}

async function loadPublint(): Promise<{ publint: PublintFn; formatMessage: FormatFn }> {
  resolveTool('publint', 'publint');
  const main = pathToFileURL(requireHere.resolve('publint')).href;
  const utils = pathToFileURL(requireHere.resolve('publint/utils')).href;
  const [a, b] = await Promise.all([import(main), import(utils)]);
  return { publint: a.publint as PublintFn, formatMessage: b.formatMessage as FormatFn };
}

/**
 * publint on a package directory, strict (warnings count as errors); suggestions are kept in
 * the problems list only when something else failed.
 */
export async function runPublint(pkgDir: string): Promise<CheckResult> {
  const { publint, formatMessage } = await loadPublint();
  const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
  const { messages } = await publint({ pkgDir, strict: true });
  const bad = messages.filter((m) => m.type !== 'suggestion');
  return {
    ok: bad.length === 0,
    problems: bad.map((m) => `${m.type} ${m.code}: ${formatMessage(m, pkg) ?? ''}`.trim()),
  };
}

function attwBin(): string {
  const pj = resolveTool('@arethetypeswrong/cli/package.json', '@arethetypeswrong/cli');
  const bin = (JSON.parse(readFileSync(pj, 'utf8')) as { bin: Record<string, string> }).bin.attw!;
  return join(dirname(pj), bin);
}

/** `attw --pack <dir>` (npm pack, then every entry point under every module resolution). */
export async function runAttw(pkgDir: string): Promise<CheckResult> {
  const r = await runProcess(process.execPath, [attwBin(), '--pack', '.', '--format', 'json'], {
    cwd: pkgDir,
  });
  let out: { problems?: Record<string, Record<string, unknown>[]> | unknown[] };
  try {
    out = JSON.parse(r.stdout);
  } catch {
    return { ok: false, problems: [`attw did not run (exit ${r.code})`, ...tail(r.stderr, 5)] };
  }
  const problems: string[] = [];
  const groups = Array.isArray(out.problems) ? { problems: out.problems } : (out.problems ?? {});
  for (const [kind, list] of Object.entries(groups)) {
    for (const p of list as Record<string, unknown>[]) {
      const where = ['entrypoint', 'resolutionKind', 'implementationFileName', 'typesFileName']
        .map((k) => p[k])
        .filter((v) => typeof v === 'string')
        .join(', ');
      problems.push(`${String(p.kind ?? kind)}${where ? ` (${where})` : ''}`);
    }
  }
  if (r.code !== 0 && problems.length === 0) problems.push(`attw exited ${r.code}`);
  return { ok: problems.length === 0, problems };
}

/** The ESM files a package ships (its dist/), for reading what it imports. */
function esmFiles(pkgDir: string): string[] {
  const dist = join(pkgDir, 'dist');
  if (!existsSync(dist)) return [];
  return readdirSync(dist, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.js') || f.endsWith('.mjs'))
    .map((f) => join(dist, f));
}

/** The file a package's ESM entry point resolves to (exports["."].import, module, main). */
export function esmEntry(pkgJson: Record<string, unknown>): string | null {
  const exp = pkgJson.exports as Record<string, unknown> | string | undefined;
  const dot = typeof exp === 'object' && exp !== null ? (exp['.'] ?? exp) : exp;
  const pick = (v: unknown): string | null => {
    if (typeof v === 'string') return v;
    if (typeof v !== 'object' || v === null) return null;
    const o = v as Record<string, unknown>;
    return pick(o.import) ?? pick(o.default) ?? pick(o.node);
  };
  return pick(dot) ?? (pkgJson.module as string) ?? (pkgJson.main as string) ?? null;
}

/** Names a built package directory exports from its ESM entry (null: cannot tell). */
export function packageExports(pkgDir: string): string[] | null {
  const json = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
  const entry = esmEntry(json);
  if (entry === null || !existsSync(join(pkgDir, entry))) return null;
  const e = moduleExports(readFileSync(join(pkgDir, entry), 'utf8'));
  return e.star.length > 0 ? null : [...e.names].sort();
}

/** Named imports a built package makes from each bare specifier, and whole-module imports. */
export function packageImports(pkgDir: string): {
  named: Map<string, Set<string>>;
  whole: Set<string>;
} {
  const named = new Map<string, Set<string>>();
  const whole = new Set<string>();
  for (const f of esmFiles(pkgDir)) {
    const m = moduleImports(readFileSync(f, 'utf8'));
    for (const [spec, names] of m.named) {
      const set = named.get(spec) ?? new Set<string>();
      for (const n of names) set.add(n);
      named.set(spec, set);
    }
    for (const s of m.whole) whole.add(s);
  }
  return { named, whole };
}

/** What the dependency check needs to know about another package of the series. */
export interface DependencyView {
  /** Its version at this step (the one the dependent was built and tested against). */
  current: string;
  /** Every version a user could get: already in the registry, or published at this step. */
  versions: string[];
  /** The names a version exports (null when that cannot be read). */
  exportsOf(version: string): Promise<string[] | null>;
}

/** The series' version line, and every version each of its line packages takes over its steps. */
export interface LineCheck {
  line: number;
  versions: ReadonlyMap<string, readonly string[]>;
}

/**
 * lockstep's own check of a package's internal dependency ranges: a range on a package of the
 * series' version line must stay inside the line (and a peer range accept every step's
 * version of it); each range must accept the dependency's version at this step (so users get what was tested), some released version, and
 * its lowest accepted version must export every name the package imports from it (a range
 * like ^0.1.0 that admits a version without svc_prepare_thread would let npm install one).
 */
export async function checkDependencies(
  pkgDir: string,
  pkgJson: Record<string, unknown>,
  deps: ReadonlyMap<string, DependencyView>,
  lineCheck?: LineCheck,
): Promise<CheckResult & { notes: string[] }> {
  const problems: string[] = [];
  const notes: string[] = [];
  const imports = packageImports(pkgDir);
  const name = String(pkgJson.name);
  for (const field of DEP_FIELDS) {
    const ranges = (pkgJson[field] ?? {}) as Record<string, string>;
    for (const [dep, range] of Object.entries(ranges)) {
      const view = deps.get(dep);
      if (view === undefined) continue; // not a package of the series
      if (semver.validRange(range) === null) {
        problems.push(`${field}.${dep} is '${range}', which is not a semver range`);
        continue;
      }
      const steps = lineCheck?.versions.get(dep);
      const lineProblem =
        lineCheck === undefined || steps === undefined
          ? null
          : lineRangeProblem(field, range, lineCheck.line, steps);
      if (lineProblem !== null) problems.push(`${field}.${dep} is ${lineProblem}`);
      if (!semver.satisfies(view.current, range))
        problems.push(
          `${field}.${dep} is '${range}', which does not accept ${dep}@${view.current}, the version ${name} was built against`,
        );
      const lowest = semver.minSatisfying(view.versions, range);
      if (lowest === null) {
        problems.push(`${field}.${dep} is '${range}': no released version of ${dep} satisfies it`);
        continue;
      }
      if (imports.whole.has(dep)) notes.push(`imports ${dep} as a whole; names not checked`);
      const used = [...(imports.named.get(dep) ?? [])].sort();
      if (used.length === 0) continue;
      const exported = await view.exportsOf(lowest);
      if (exported === null) {
        notes.push(`could not read the exports of ${dep}@${lowest}; names not checked`);
        continue;
      }
      const have = new Set(exported);
      const missing = used.filter((n) => !have.has(n));
      if (missing.length > 0)
        problems.push(
          `${field}.${dep} is '${range}', which accepts ${dep}@${lowest}, but that version does not export ${missing.join(', ')} (used by ${name})`,
        );
    }
  }
  return { ok: problems.length === 0, problems, notes };
}

/** The names the ESM entry of a published version exports, read from its tarball. */
export async function tarballExports(tgz: Buffer, scratch: string): Promise<string[] | null> {
  const json = JSON.parse(await tarballFile(tgz, 'package.json', scratch));
  const entry = esmEntry(json);
  if (entry === null) return null;
  const e = moduleExports(await tarballFile(tgz, entry.replace(/^\.\//, ''), scratch));
  return e.star.length > 0 ? null : [...e.names].sort();
}

/** Extract one file of an npm tarball (package/<path>) with the system tar. */
export async function tarballFile(tgz: Buffer, path: string, scratch: string): Promise<string> {
  const file = join(scratch, `t-${Date.now()}-${Math.random().toString(36).slice(2)}.tgz`);
  writeFileSync(file, tgz);
  const r = await runProcess('tar', ['-xzOf', file, `package/${path}`], { cwd: scratch });
  rmSync(file, { force: true });
  if (r.code !== 0) throw new SeriesFailure(`cannot read ${path} from a tarball`, tail(r.stderr));
  return r.stdout;
}
