import { SeriesFailure } from '../lib/errors.js';
import { git } from '../lib/git.js';
import { workspacePackageNames } from './catalog.js';
import { relativePathProblem } from './series-file.js';
import type { SeriesPatch, Workspace } from './workspace.js';

/**
 * The paths a patch would touch, as git itself reads them (`git apply --numstat -z`, both
 * names of a rename or copy). Run in `scratch`, a directory outside any repository.
 */
export async function patchPaths(patch: SeriesPatch, scratch: string): Promise<string[]> {
  const r = await git(['apply', '--numstat', '-z', '-'], {
    cwd: scratch,
    outsideRepo: true,
    input: patch.bytes,
    check: false,
  });
  if (r.code !== 0) {
    throw new SeriesFailure(`patch ${patch.name} is not a valid patch`, [
      ...r.stderr.split('\n').filter((l) => l.trim() !== ''),
    ]);
  }
  const fields = r.stdout.split('\0');
  const paths: string[] = [];
  for (let i = 0; i < fields.length; i++) {
    const m = /^(?:\d+|-)\t(?:\d+|-)\t(.*)$/s.exec(fields[i]!);
    if (!m) continue;
    if (m[1] !== '') paths.push(m[1]!);
    else paths.push(fields[++i]!, fields[++i]!); // rename or copy: old name, new name
  }
  return paths;
}

/** Paths of files a patch creates or turns into symlinks (git mode 120000). */
export function symlinksCreated(text: string): string[] {
  const out: string[] = [];
  let current = '';
  for (const line of text.split('\n')) {
    if (line.startsWith('diff --git ')) current = line.slice('diff --git '.length);
    else if (/^new (file )?mode 120000$/.test(line))
      out.push(current.replace(/^a\/(.*) b\/.*$/, '$1'));
  }
  return out;
}

/**
 * Refuse a patch that could write outside the tree it is applied to: an absolute path, a path
 * with `..`, a path into `.git`, a path that is or goes through a symlink of the base tree
 * (git follows no symlinks when applying, but a reader of the tree would), or a new symlink
 * (it could point anywhere, and later patches could write through it). Since patches cannot
 * add symlinks, the base's symlinks are the only ones any step can have.
 */
export function checkPatchPaths(
  patch: SeriesPatch,
  paths: readonly string[],
  baseSymlinks: ReadonlySet<string>,
): void {
  const refuse = (why: string) =>
    new SeriesFailure(`refused patch ${patch.name}: ${why}`, [
      `listed on ${patch.listedIn}:${patch.line}; nothing was applied`,
    ]);
  for (const path of paths) {
    const problem = relativePathProblem(path);
    if (problem !== null) {
      const leaves = problem === 'is absolute' || problem === "contains '..'";
      throw refuse(`path '${path}' ${problem}${leaves ? ', so it leaves the workspace' : ''}`);
    }
    const parts = path.split('/');
    for (let n = 1; n <= parts.length; n++) {
      const prefix = parts.slice(0, n).join('/');
      if (!baseSymlinks.has(prefix)) continue;
      throw refuse(
        n === parts.length
          ? `path '${path}' is a symlink in the tree; patches may not change symlinks`
          : `path '${path}' goes through the symlink '${prefix}' in the tree`,
      );
    }
  }
  const created = symlinksCreated(patch.text);
  if (created.length > 0) {
    throw refuse(`it creates a symlink at '${created[0]}'; patches may not add symlinks`);
  }
}

/**
 * Refuse a patch that changes a workspace package its series does not list in `Packages:`:
 * the series publishes only those (and their dependents) on its version line, so a change
 * anywhere else would reach users under a version shared with every other series.
 */
export function checkPatchPackages(
  patch: SeriesPatch,
  paths: readonly string[],
  folders: ReadonlyMap<string, string>,
  listed: readonly string[],
): void {
  for (const path of paths) {
    const m = /^packages\/([^/]+)\//.exec(path);
    const name = m ? folders.get(m[1]!) : undefined;
    if (name === undefined || listed.includes(name)) continue;
    throw new SeriesFailure(
      `refused patch ${patch.name}: it changes ${name} (${path}), which its series does not list`,
      [
        `${patch.listedIn} lists Packages: ${listed.join(' ')}`,
        `add ${name} to its '# Packages:' line, or move the change out of the series; nothing was applied`,
      ],
    );
  }
}

/** Check every patch of the series before any of them is applied. */
export async function checkSeriesSafety(ws: Workspace, scratch: string): Promise<void> {
  const symlinks = new Set(ws.base.filter((f) => f.kind === 'symlink').map((f) => f.path));
  const folders = workspacePackageNames(ws.root);
  for (const patch of ws.patches) {
    const paths = await patchPaths(patch, scratch);
    checkPatchPaths(patch, paths, symlinks);
    checkPatchPackages(patch, paths, folders, ws.header.packages);
  }
}
