import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SeriesFailure, SeriesUsageError } from '../lib/errors.js';
import { tail } from '../lib/proc.js';
import { listReproducers, runReproducers } from '../lib/reproducers.js';
import { withScratch } from '../lib/scratch.js';
import { ensureTreeDeps } from '../lib/tree-deps.js';
import { buildForReproducers } from '../lib/turbo.js';
import { checkoutStep, materialise } from '../series/materialise.js';
import { readPatchInfos } from '../series/steps.js';
import { stepTag, treeGit } from '../series/tree.js';
import type { Workspace } from '../series/workspace.js';

export interface BisectResult {
  reproducer: string;
  /** The range searched: `from` (default the base) to `to` (default the last step). */
  from: number;
  to: number;
  /** Outcome (crash title or "clean") at `from` and at `to`. */
  before: string;
  after: string;
  /** The first step after `from` whose outcome differs from the one at `from`, or null. */
  firstStep: number | null;
  patch: string | null;
  subject: string | null;
  /** The upstream commit the patch backports (its `Upstream:` trailer), if it names one. */
  upstream: string | null;
  /** `git bisect log`, for the record. */
  log: string;
}

/**
 * The step runner: bisect-step.js next to this module in dist/ (ESM or CJS build). When this
 * module runs from its TypeScript source in src/bisect/ (tests), the package's built runner in
 * dist/ is used.
 */
function stepRunner(): string {
  const here = typeof __dirname === 'string' ? __dirname : dirname(fileURLToPath(import.meta.url));
  const beside = join(here, 'bisect-step.js');
  if (existsSync(beside)) return beside;
  const built = join(here, '..', '..', 'dist', 'bisect-step.js');
  if (existsSync(built)) return built;
  throw new SeriesFailure('the bisect step runner is missing', [
    `looked for ${beside} and ${built}; build the CLI first (npx tsup in packages/series)`,
  ]);
}

async function buildForRepro(dir: string): Promise<void> {
  const r = await buildForReproducers(dir);
  if (r.code !== 0) throw new SeriesFailure('the tree does not build', tail(r.stdout + r.stderr));
}

async function outcomeAt(dir: string, step: number, last: number, id: string): Promise<string> {
  await checkoutStep(dir, step, last, true);
  await buildForRepro(dir);
  const [o] = await runReproducers(dir, [id]);
  if (o === undefined || o.status === 'error')
    throw new SeriesFailure(`reproducer ${id} failed to run at step ${step}`, [o?.error ?? '']);
  return o.status === 'crash' ? (o.title ?? 'crash') : 'clean';
}

/**
 * lockstep bisect <reproducer>: the first step where the reproducer's outcome differs from
 * the base's, found by `git bisect run` over the step commits of the materialised tree.
 */
export async function bisect(
  ws: Workspace,
  id: string,
  opts: { dir: string; from?: number; to?: number; force?: boolean; log?: (line: string) => void },
): Promise<BisectResult> {
  const log = opts.log ?? (() => {});
  const infos = await withScratch((scratch) => readPatchInfos(ws, scratch));
  const last = infos.length;
  const from = opts.from ?? 0;
  const to = opts.to ?? last;
  if (!(from < to))
    throw new SeriesUsageError(`bisect needs --from before --to (got ${from} and ${to})`);
  await materialise(ws, { dir: opts.dir, force: opts.force, log });
  await ensureTreeDeps(opts.dir, log, ws.root);
  await checkoutStep(opts.dir, 0, last, true);
  await buildForRepro(opts.dir);
  const known = (await listReproducers(opts.dir)).map((r) => r.id);
  if (!known.includes(id))
    throw new SeriesUsageError(`unknown reproducer '${id}'`, [
      `valid reproducers: ${known.join(', ')}`,
    ]);
  log(`bisect ${id}: outcome at step ${from}`);
  const before = await outcomeAt(opts.dir, from, last, id);
  log(`bisect ${id}: outcome at step ${to}`);
  const after = await outcomeAt(opts.dir, to, last, id);
  const base = { reproducer: id, from, to, before, after };
  if (before === after) {
    await checkoutStep(opts.dir, last, last, true);
    return { ...base, firstStep: null, patch: null, subject: null, upstream: null, log: '' };
  }
  log(`bisect ${id}: ${before} at step ${from}, ${after} at step ${to}: git bisect run`);
  await treeGit(opts.dir, [
    'bisect',
    'start',
    '--term-old=before',
    '--term-new=after',
    stepTag(to),
    stepTag(from),
  ]);
  try {
    const run = await treeGit(opts.dir, ['bisect', 'run', 'node', stepRunner(), id, before], {
      check: false,
    });
    const m = /^([0-9a-f]{40}) is the first after commit/m.exec(run.stdout);
    if (m === null)
      throw new SeriesFailure(
        'git bisect run did not find a first changed step',
        tail(run.stdout + run.stderr),
      );
    const tags = await treeGit(opts.dir, ['tag', '--points-at', m[1]!]);
    const tag = tags.stdout.split('\n').find((t) => /^step-\d+$/.test(t));
    const firstStep = tag ? Number(tag.slice(5)) : null;
    const bisectLog = (await treeGit(opts.dir, ['bisect', 'log'])).stdout;
    const info = firstStep !== null ? infos[firstStep - 1] : undefined;
    return {
      ...base,
      firstStep,
      patch: info?.name ?? null,
      subject: info?.subject ?? null,
      upstream: info?.upstream[0] ?? null,
      log: bisectLog,
    };
  } finally {
    await treeGit(opts.dir, ['bisect', 'reset', '--quiet'], { check: false });
    await checkoutStep(opts.dir, last, last, true);
  }
}
