import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { SeriesFailure, SeriesUsageError } from '../lib/errors.js';
import { LOCKSTEP_IDENT } from '../lib/git.js';
import { applyFailure } from './apply-error.js';
import {
  readState,
  revParse,
  SERIES_BRANCH,
  stepTag,
  type TreeState,
  treeGit,
  unsavedWork,
  writeState,
} from './tree.js';
import { readBaseFile, type Workspace } from './workspace.js';

/** Author and committer date of the base commit: fixed, so rebuilds give the same hashes. */
export const BASE_DATE = '@0 +0000';

export interface MaterialiseOptions {
  /** The tree's directory (from resolveTreeDir). */
  dir: string;
  /** Discard uncommitted changes and unexported commits in an existing tree. */
  force?: boolean;
  /** Progress lines (stderr in the CLI). */
  log?: (line: string) => void;
}

export interface MaterialiseResult {
  dir: string;
  /** True when the existing tree matched the workspace and was kept as it was. */
  reused: boolean;
  state: TreeState;
}

/** True when the tree at `dir` was built from exactly this base and series. */
async function upToDate(ws: Workspace, dir: string, state: TreeState | null): Promise<boolean> {
  if (state === null || state.baseHash !== ws.baseHash || state.seriesHash !== ws.seriesHash) {
    return false;
  }
  for (let n = 0; n <= ws.patches.length; n++) {
    if ((await revParse(dir, stepTag(n))) === null) return false;
  }
  return (await revParse(dir, SERIES_BRANCH)) !== null;
}

/** Copy the base files and commit them as step-0. */
async function commitBase(ws: Workspace, dir: string): Promise<void> {
  for (const f of ws.base) {
    const to = join(dir, f.path);
    mkdirSync(dirname(to), { recursive: true });
    const data = readBaseFile(ws.root, f);
    if (f.kind === 'symlink') symlinkSync(data.toString(), to);
    else {
      writeFileSync(to, data);
      if (f.kind === 'exec') chmodSync(to, 0o755);
    }
  }
  await treeGit(dir, ['add', '--all', '--force', '.']);
  await treeGit(
    dir,
    [
      'commit',
      '--quiet',
      '--no-verify',
      '--allow-empty',
      '-m',
      'lockstep: the base of the series',
      '-m',
      'The workspace files the series applies to, before its first patch.',
    ],
    { env: { ...LOCKSTEP_IDENT, GIT_AUTHOR_DATE: BASE_DATE, GIT_COMMITTER_DATE: BASE_DATE } },
  );
  await treeGit(dir, ['tag', stepTag(0)]);
}

/** Build the whole tree in `dir` (a new empty directory). */
async function build(ws: Workspace, dir: string, log: (l: string) => void): Promise<TreeState> {
  await treeGit(dir, ['init', '--quiet', `--initial-branch=${SERIES_BRANCH}`]);
  for (const [k, v] of [
    ['core.autocrlf', 'false'],
    ['gc.auto', '0'],
    ['advice.detachedHead', 'false'],
    ['commit.gpgSign', 'false'],
    ['tag.gpgSign', 'false'],
  ] as const) {
    await treeGit(dir, ['config', k, v]);
  }
  // Build output and node_modules stay untracked, as in the workspace.
  const ignore = join(ws.root, '.gitignore');
  writeFileSync(
    join(dir, '.git', 'info', 'exclude'),
    existsSync(ignore) ? readFileSync(ignore) : 'node_modules/\ndist/\n',
  );

  log(`step 0: base (${ws.base.length} files)`);
  await commitBase(ws, dir);

  for (const [i, patch] of ws.patches.entries()) {
    const step = i + 1;
    log(`step ${step}: ${patch.name}`);
    const am = await treeGit(
      dir,
      [
        'am',
        '--quiet',
        '--keep-non-patch',
        '--keep-cr',
        '--no-3way',
        '--committer-date-is-author-date',
        patch.file,
      ],
      {
        env: {
          GIT_COMMITTER_NAME: LOCKSTEP_IDENT.GIT_COMMITTER_NAME,
          GIT_COMMITTER_EMAIL: LOCKSTEP_IDENT.GIT_COMMITTER_EMAIL,
        },
        check: false,
      },
    );
    if (am.code !== 0) {
      await treeGit(dir, ['am', '--abort'], { check: false });
      throw applyFailure(patch, `${am.stderr}\n${am.stdout}`, step - 1);
    }
    await treeGit(dir, ['tag', stepTag(step)]);
  }
  const head = (await revParse(dir, 'HEAD'))!;
  return {
    format: 1,
    baseHash: ws.baseHash,
    seriesHash: ws.seriesHash,
    patches: ws.patches.map((p) => p.name),
    head,
  };
}

/**
 * Before a workspace held several series, its one tree was .lockstep/tree itself; the trees
 * now live below it (.lockstep/tree/<name>). Remove such an old tree when it holds nothing
 * that was not exported; otherwise refuse, so no work is lost.
 */
async function retireSingleSeriesTree(
  parent: string,
  force: boolean,
  log: (l: string) => void,
): Promise<void> {
  const old = readState(parent);
  if (old === null) return;
  const unsaved = force ? [] : await unsavedWork(parent, old.head);
  if (unsaved.length > 0)
    throw new SeriesFailure(
      `${parent} is the tree of the old single-series layout and holds work that was not exported`,
      [...unsaved, 'export it with the lockstep that built it, or pass --force to discard it'],
    );
  log(
    `removing ${parent}, the tree of the old single-series layout (trees are now ${parent}/<series>)`,
  );
  rmSync(parent, { recursive: true, force: true });
}

/**
 * Make `opts.dir` hold the series as a git repository: step-0 is the base, step-N the tree
 * after patch N (applied with git am, keeping author, date and message). A tree already built
 * from the same base and series is reused. Otherwise the new tree is built next to the old one
 * and swapped in only when every patch applied, so a failure leaves the old tree (or nothing)
 * and a rebuild refuses to discard unexported work unless forced.
 */
export async function materialise(
  ws: Workspace,
  opts: MaterialiseOptions,
): Promise<MaterialiseResult> {
  const log = opts.log ?? (() => {});
  const { dir } = opts;
  await retireSingleSeriesTree(dirname(dir), opts.force === true, log);
  const state = readState(dir);
  if (await upToDate(ws, dir, state)) {
    log(`${dir} is up to date (${ws.patches.length} patches)`);
    return { dir, reused: true, state: state! };
  }
  const exists = existsSync(dir);
  if (exists && state === null && readdirSync(dir).length > 0) {
    throw new SeriesUsageError(`${dir} exists and is not a tree built by lockstep`, [
      'choose another --dir, or remove it yourself',
    ]);
  }
  if (exists && state !== null && !opts.force) {
    const unsaved = await unsavedWork(dir, state.head);
    if (unsaved.length > 0) {
      throw new SeriesFailure(
        `${dir} must be rebuilt (the workspace changed) but holds work that was not exported`,
        [...unsaved, 'run `lockstep export` to keep it, or pass --force to discard it'],
      );
    }
  }

  const parent = dirname(dir);
  const made = !existsSync(parent) ? mkdirSync(parent, { recursive: true }) : undefined;
  const tmp = mkdtempSync(join(parent, `${basename(dir)}.building-`));
  chmodSync(tmp, 0o755); // mkdtemp makes it private; the tree is an ordinary directory
  log(`building ${dir}${exists ? ' (the workspace changed)' : ''}`);
  let built: TreeState;
  try {
    built = await build(ws, tmp, log);
    writeState(tmp, built);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    if (made !== undefined) rmSync(made, { recursive: true, force: true });
    if (e instanceof SeriesFailure) {
      const left = exists ? `${dir} was left as it was` : `${dir} was not created`;
      throw new SeriesFailure(e.message, [...e.details, `nothing was applied: ${left}`]);
    }
    throw e;
  }
  if (exists) {
    const old = mkdtempSync(join(parent, `${basename(dir)}.old-`));
    renameSync(dir, join(old, 'tree'));
    renameSync(tmp, dir);
    rmSync(old, { recursive: true, force: true });
  } else {
    renameSync(tmp, dir);
  }
  return { dir, reused: false, state: built };
}

/**
 * Check out step `step` in a built tree: the branch `series` for the last step when it is
 * still at that step, else a detached HEAD at tag step-N. Refuses to carry uncommitted
 * changes or drop commits that only HEAD holds, unless forced.
 */
export async function checkoutStep(
  dir: string,
  step: number,
  last: number,
  force = false,
): Promise<string> {
  const status = await treeGit(dir, ['status', '--porcelain']);
  const orphans = await treeGit(dir, ['rev-list', 'HEAD', '--not', '--branches', '--tags']);
  if (!force) {
    const changed = status.stdout.split('\n').filter((l) => l !== '');
    if (changed.length > 0) {
      throw new SeriesFailure(`${dir} has uncommitted changes; not switching to step ${step}`, [
        ...changed.slice(0, 5),
        'commit them (and run `lockstep export`), or pass --force to discard them',
      ]);
    }
    if (orphans.stdout.trim() !== '') {
      throw new SeriesFailure(
        `${dir}: HEAD has commits on no branch; not switching to step ${step}`,
        [
          `put them on the series branch (git -C ${dir} branch -f ${SERIES_BRANCH} HEAD) and run \`lockstep export\`, or pass --force`,
        ],
      );
    }
  } else {
    await treeGit(dir, ['reset', '--quiet', '--hard']);
    await treeGit(dir, ['clean', '--quiet', '-fd']);
  }
  const tag = stepTag(step);
  const target = (await revParse(dir, tag))!;
  const onBranch = step === last && (await revParse(dir, SERIES_BRANCH)) === target;
  await treeGit(
    dir,
    onBranch ? ['checkout', '--quiet', SERIES_BRANCH] : ['checkout', '--quiet', '--detach', tag],
  );
  return target;
}
