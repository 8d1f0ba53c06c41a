import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { SeriesFailure } from '../lib/errors.js';
import { renderSeries } from './series-file.js';
import {
  readState,
  requireTree,
  revParse,
  SERIES_BRANCH,
  stepTag,
  treeGit,
  unsavedWork,
  writeState,
} from './tree.js';
import { hashSeries, readSeries, type Workspace } from './workspace.js';

/**
 * How patches are written. Chosen so that `git am` (as lockstep checkout runs it) followed by
 * this reproduces a file byte for byte: no version signature, an all-zero commit id on the
 * `From` line, `[PATCH]` without numbers, no threading or notes, renames detected, and
 * 12-digit blob ids on index lines. Global and system git configuration is ignored.
 */
export const FORMAT_PATCH_ARGS = [
  'format-patch',
  '--no-signature',
  '--zero-commit',
  '--no-numbered',
  '--no-cover-letter',
  '--no-thread',
  '--no-notes',
  '--find-renames',
  '--abbrev=12',
] as const;

export interface ExportOptions {
  /** The tree's directory (from resolveTreeDir). */
  dir: string;
  /** Export even when patches/ changed since the tree was built, or the tree is dirty. */
  force?: boolean;
  log?: (line: string) => void;
}

export interface ExportResult {
  /** The series (its patches are in patches/<series>/). */
  series: string;
  /** The new patches, in order, relative to patches/ (`<series>/<file>`). */
  patches: string[];
  /** Entries whose file was created or changed. */
  written: string[];
  /** Entries whose file already had these exact bytes. */
  unchanged: string[];
  /** Old entries that are no longer in the series (their files were deleted). */
  removed: string[];
  /** Whether the series file itself changed. */
  seriesChanged: boolean;
}

/** Replace a file's contents through a rename, so a reader never sees half of it. */
function replaceFile(path: string, data: Buffer | string): void {
  const tmp = `${path}.lockstep-tmp`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

/**
 * Write the tree's commits after step-0 (on branch `series`) back to the series' directory:
 * one format-patch file per commit in patches/<series>/, and its series file listing them
 * (its comments and header kept). Files of entries that left the series are deleted. Afterwards the tree's
 * step tags and recorded state describe the exported series, so checkout reuses it.
 */
export async function exportSeries(ws: Workspace, opts: ExportOptions): Promise<ExportResult> {
  const log = opts.log ?? (() => {});
  const { dir } = opts;
  const state = requireTree(dir);

  if (!opts.force) {
    const unsaved = (await unsavedWork(dir, state.head)).filter((w) => w.includes('uncommitted'));
    if (unsaved.length > 0) {
      throw new SeriesFailure(`${dir} has uncommitted changes; commit them first`, [
        ...unsaved,
        'or pass --force to export the committed series without them',
      ]);
    }
    const orphans = await treeGit(dir, [
      'rev-list',
      'HEAD',
      '--not',
      `refs/heads/${SERIES_BRANCH}`,
    ]);
    if (orphans.stdout.trim() !== '') {
      throw new SeriesFailure(`${dir}: HEAD has commits that are not on branch ${SERIES_BRANCH}`, [
        `export writes ${stepTag(0)}..${SERIES_BRANCH}; to include them: git -C ${dir} branch -f ${SERIES_BRANCH} HEAD`,
        'or pass --force to export the series branch without them',
      ]);
    }
    if (ws.seriesHash !== state.seriesHash) {
      throw new SeriesFailure(
        `patches/${ws.name}/ changed since ${dir} was built or last exported; exporting would overwrite those changes`,
        [
          `run \`lockstep checkout --series ${ws.name}\` to rebuild the tree from patches/${ws.name}/, or pass --force to overwrite`,
        ],
      );
    }
  }
  if (ws.baseHash !== state.baseHash) {
    log(
      `warning: the workspace base changed since ${dir} was built; patches apply to the old base`,
    );
  }

  const base = await revParse(dir, stepTag(0));
  const tip = await revParse(dir, `refs/heads/${SERIES_BRANCH}`);
  if (base === null || tip === null) {
    throw new SeriesFailure(`${dir} has no ${stepTag(0)} tag or ${SERIES_BRANCH} branch`, [
      'run `lockstep checkout <step> --force` to rebuild it',
    ]);
  }
  const ancestor = await treeGit(dir, ['merge-base', '--is-ancestor', base, tip], { check: false });
  if (ancestor.code !== 0) {
    throw new SeriesFailure(`branch ${SERIES_BRANCH} in ${dir} does not start at ${stepTag(0)}`);
  }
  const merges = await treeGit(dir, ['rev-list', '--min-parents=2', `${base}..${tip}`]);
  if (merges.stdout.trim() !== '') {
    throw new SeriesFailure(`branch ${SERIES_BRANCH} in ${dir} has merge commits`, [
      'a series is a line of patches: rebase to remove merges',
    ]);
  }
  const commits = (await treeGit(dir, ['rev-list', '--reverse', `${base}..${tip}`])).stdout
    .split('\n')
    .filter((l) => l !== '');

  // Write into the tree's .git first: nothing in patches/ changes if format-patch fails.
  const out = join(dir, '.git', 'lockstep-export');
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out);
  try {
    const fp = await treeGit(dir, [
      ...FORMAT_PATCH_ARGS,
      '--output-directory',
      out,
      `${base}..${tip}`,
    ]);
    const files = fp.stdout
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => basename(l));
    if (files.length !== commits.length) {
      throw new SeriesFailure(
        `git format-patch wrote ${files.length} files for ${commits.length} commits`,
      );
    }

    const entries = files;
    const names = files.map((f) => `${ws.name}/${f}`);
    const result: ExportResult = {
      series: ws.name,
      patches: names,
      written: [],
      unchanged: [],
      removed: [],
      seriesChanged: false,
    };
    mkdirSync(ws.patchesDir, { recursive: true });
    for (const [i, f] of files.entries()) {
      const target = join(ws.patchesDir, entries[i]!);
      const data = readFileSync(join(out, f));
      if (existsSync(target) && readFileSync(target).equals(data)) result.unchanged.push(names[i]!);
      else {
        replaceFile(target, data);
        result.written.push(names[i]!);
        log(`wrote patches/${names[i]}`);
      }
    }
    for (const e of ws.series.entries) {
      if (entries.includes(e.name)) continue;
      rmSync(join(ws.patchesDir, e.name), { force: true });
      result.removed.push(`${ws.name}/${e.name}`);
      log(`removed patches/${ws.name}/${e.name}`);
    }
    const { text, dropped } = renderSeries(ws.series, entries);
    if (dropped > 0) log(`note: ${dropped} comment line(s) between series entries were dropped`);
    const oldText = readFileSync(ws.seriesPath, 'utf8');
    if (text !== oldText) {
      replaceFile(ws.seriesPath, text);
      result.seriesChanged = true;
      log(`wrote ${ws.seriesRel}`);
    }

    // The tree now matches patches/: move the step tags onto the exported commits.
    for (const [i, c] of commits.entries())
      await treeGit(dir, ['tag', '--force', stepTag(i + 1), c]);
    for (let n = commits.length + 1; n <= state.patches.length; n++) {
      await treeGit(dir, ['tag', '--delete', stepTag(n)], { check: false });
    }
    const reread = readSeries({
      name: ws.name,
      dir: ws.patchesDir,
      file: ws.seriesPath,
      rel: ws.seriesRel,
    });
    writeState(dir, {
      ...(readState(dir) ?? state),
      seriesHash: hashSeries(reread.seriesText, reread.patches),
      patches: names,
      head: tip,
    });
    return result;
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}
