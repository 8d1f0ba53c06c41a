import { createHash } from 'node:crypto';
import {
  existsSync,
  lstatSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  realpathSync,
} from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { SeriesFailure, SeriesUsageError } from '../lib/errors.js';
import { git } from '../lib/git.js';
import { listSeries, pickSeries, type SeriesDef } from './catalog.js';
import { parseSeries, type SeriesFile, type SeriesHeader } from './series-file.js';

/**
 * What the materialised tree's base commit holds: the model packages and the workspace files
 * needed to build and test them. Paths are relative to the workspace root; missing optional
 * ones are skipped.
 */
export const BASE_PATHS = [
  'packages',
  'package.json',
  'package-lock.json',
  'tsconfig.base.json',
  'turbo.json',
  'tsup.shared.ts',
  'vitest.config.ts',
  'vitest.shared.ts',
  'biome.json',
  '.gitignore',
  '.changeset/config.json',
] as const;
const REQUIRED_BASE_PATHS = ['packages', 'package.json'];

/** Directories never copied when the workspace is not a git work tree (build output). */
const SKIP_DIRS = new Set(['node_modules', 'dist', '.turbo', 'coverage', '.lockstep', '.git']);

/** One file of the base tree. */
export interface BaseFile {
  /** Relative to the workspace root, `/`-separated. */
  path: string;
  kind: 'file' | 'exec' | 'symlink';
}

/** One patch of the series, read from disk. */
export interface SeriesPatch {
  /** Relative to patches/: `<series>/<entry>` (the entry as listed, relative to patches/<series>/). */
  name: string;
  /** Absolute path of the file. */
  file: string;
  /** Line of the series file that lists it. */
  line: number;
  /** The series file as shown to the user (patches/<series>/series). */
  listedIn: string;
  /** The file's bytes (hashed and handed to git as they are) and their UTF-8 reading. */
  bytes: Buffer;
  text: string;
}

/** The workspace as lockstep sees it for one series: its base files and that series. */
export interface Workspace {
  root: string;
  /** The series' name (its directory under patches/). */
  name: string;
  header: SeriesHeader;
  versionLine: number;
  /** patches/<name>, absolute: entries of the series file are relative to it. */
  patchesDir: string;
  seriesPath: string;
  /** patches/<name>/series, as shown to the user. */
  seriesRel: string;
  series: SeriesFile;
  patches: SeriesPatch[];
  base: BaseFile[];
  /** sha256 of the base files (paths, kinds and contents). */
  baseHash: string;
  /** sha256 of the series file and every patch it lists. */
  seriesHash: string;
}

/** The nearest directory at or above `start` whose package.json declares npm workspaces. */
export function findWorkspaceRoot(start: string): string {
  let dir = resolve(start);
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if (JSON.parse(readFileSync(pkg, 'utf8')).workspaces !== undefined) return dir;
      } catch {
        // not JSON: keep looking upwards
      }
    }
    const up = dirname(dir);
    if (up === dir) {
      throw new SeriesUsageError(
        `no lockstep workspace at or above ${resolve(start)} (no package.json with "workspaces")`,
        ['run lockstep inside the workspace or pass --root DIR'],
      );
    }
    dir = up;
  }
}

/** True when `root` is inside a git work tree. */
export async function isGitWorkTree(root: string): Promise<boolean> {
  const r = await git(['rev-parse', '--is-inside-work-tree'], { cwd: root, check: false });
  return r.code === 0 && r.stdout.trim() === 'true';
}

function kindOf(abs: string): BaseFile['kind'] | null {
  const st = lstatSync(abs, { throwIfNoEntry: false });
  if (!st) return null;
  if (st.isSymbolicLink()) return 'symlink';
  if (!st.isFile()) return null;
  return st.mode & 0o100 ? 'exec' : 'file';
}

function walk(root: string, rel: string, out: string[]): void {
  const st = lstatSync(join(root, rel), { throwIfNoEntry: false });
  if (!st) return;
  if (!st.isDirectory()) {
    out.push(rel);
    return;
  }
  for (const name of readdirSync(join(root, rel))) {
    if (!SKIP_DIRS.has(name)) walk(root, `${rel}/${name}`, out);
  }
}

/**
 * The base files. In a git work tree: tracked and untracked files that git does not ignore
 * (so build output and node_modules stay out exactly as .gitignore says); otherwise a walk
 * that skips the usual build directories.
 */
export async function collectBase(root: string): Promise<BaseFile[]> {
  for (const p of REQUIRED_BASE_PATHS) {
    if (!existsSync(join(root, p))) throw new SeriesFailure(`the workspace has no ${p} (${root})`);
  }
  const present = BASE_PATHS.filter((p) => lstatSync(join(root, p), { throwIfNoEntry: false }));
  let paths: string[] = [];
  if (await isGitWorkTree(root)) {
    const r = await git(['ls-files', '-z', '-c', '-o', '--exclude-standard', '--', ...present], {
      cwd: root,
    });
    paths = [...new Set(r.stdout.split('\0').filter((p) => p !== ''))];
  } else {
    for (const p of present) walk(root, p, paths);
  }
  const out: BaseFile[] = [];
  for (const path of paths) {
    const kind = kindOf(join(root, path));
    if (kind !== null) out.push({ path, kind });
  }
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** Contents of a base file (a symlink's target for symlinks). */
export function readBaseFile(root: string, f: BaseFile): Buffer {
  const abs = join(root, f.path);
  return f.kind === 'symlink' ? Buffer.from(readlinkSync(abs)) : readFileSync(abs);
}

function hashParts(h: ReturnType<typeof createHash>, ...parts: (string | Buffer)[]): void {
  for (const p of parts) {
    const b = typeof p === 'string' ? Buffer.from(p) : p;
    h.update(`${b.length}:`);
    h.update(b);
  }
}

export function hashBase(root: string, base: readonly BaseFile[]): string {
  const h = createHash('sha256');
  for (const f of base) hashParts(h, f.kind, f.path, readBaseFile(root, f));
  return h.digest('hex');
}

export function hashSeries(seriesText: string, patches: readonly SeriesPatch[]): string {
  const h = createHash('sha256');
  hashParts(h, seriesText);
  for (const p of patches) hashParts(h, p.name, p.bytes);
  return h.digest('hex');
}

/** True when `child` is `parent` or below it (both absolute). */
export function isInside(parent: string, child: string): boolean {
  const rel = relative(parent, child);
  return !(rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel));
}

/** Read and check a series file and the patches it lists (not yet their contents). */
export function readSeries(def: Pick<SeriesDef, 'name' | 'dir' | 'file' | 'rel'>): {
  seriesText: string;
  series: SeriesFile;
  patches: SeriesPatch[];
} {
  const seriesText = readFileSync(def.file, 'utf8');
  const series = parseSeries(seriesText, def.rel);
  const realDir = realpathSync(def.dir);
  const patches: SeriesPatch[] = [];
  for (const e of series.entries) {
    const file = join(def.dir, e.name);
    const where = `${def.rel}:${e.line}`;
    const shown = `patches/${def.name}/${e.name}`;
    const st = lstatSync(file, { throwIfNoEntry: false });
    if (!st) throw new SeriesFailure(`${where}: ${shown} does not exist`);
    if (!st.isFile()) throw new SeriesFailure(`${where}: ${shown} is not a regular file`);
    if (!isInside(realDir, realpathSync(file))) {
      throw new SeriesFailure(`${where}: ${shown} resolves outside patches/${def.name}/`);
    }
    const bytes = readFileSync(file);
    patches.push({
      name: `${def.name}/${e.name}`,
      file,
      line: e.line,
      listedIn: def.rel,
      bytes,
      text: bytes.toString('utf8'),
    });
  }
  return { seriesText, series, patches };
}

/** Load everything lockstep needs to know about one series of the workspace at `root`. */
export async function loadWorkspace(root: string, def: SeriesDef): Promise<Workspace> {
  const { seriesText, series, patches } = readSeries(def);
  const base = await collectBase(root);
  return {
    root,
    name: def.name,
    header: def.header,
    versionLine: def.versionLine,
    patchesDir: def.dir,
    seriesPath: def.file,
    seriesRel: def.rel,
    series,
    patches,
    base,
    baseHash: hashBase(root, base),
    seriesHash: hashSeries(seriesText, patches),
  };
}

/**
 * The series a command works on (see pickSeries), each loaded. Every series of the workspace
 * is checked first, so one broken series stops every command before anything changes.
 */
export async function loadWorkspaces(
  root: string,
  name: string | undefined,
  scope: 'one' | 'all',
): Promise<Workspace[]> {
  const defs = pickSeries(listSeries(root), name, scope);
  const out: Workspace[] = [];
  for (const d of defs) out.push(await loadWorkspace(root, d));
  return out;
}

/** The one series a caller means: `name`, or the only series of the workspace. */
export async function loadOneSeries(root: string, name?: string): Promise<Workspace> {
  return (await loadWorkspaces(root, name, 'one'))[0]!;
}
