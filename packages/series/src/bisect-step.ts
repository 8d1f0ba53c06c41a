#!/usr/bin/env node
import { runReproducers } from './lib/reproducers.js';
/**
 * The command `lockstep bisect` hands to `git bisect run` in the materialised tree: build the
 * checked-out step (turbo, cached), run one reproducer, and exit 0 when its outcome is still
 * the base's ("before"), 1 when it changed ("after"), 125 when the step cannot be built
 * (git bisect skips it).
 *
 *   node bisect-step.js <reproducer-id> <baseline: crash title or "clean">
 */
import { buildForReproducers } from './lib/turbo.js';

async function main(): Promise<number> {
  const [id, baseline] = process.argv.slice(2);
  if (id === undefined || baseline === undefined) {
    process.stderr.write('usage: bisect-step <reproducer-id> <baseline>\n');
    return 128; // git bisect run aborts on >= 128
  }
  const cwd = process.cwd();
  const build = await buildForReproducers(cwd);
  if (build.code !== 0) {
    process.stderr.write(`lockstep bisect: this step does not build; skipping it\n`);
    return 125;
  }
  const [o] = await runReproducers(cwd, [id]);
  const observed =
    o === undefined ? 'error' : o.status === 'crash' ? (o.title ?? 'crash') : o.status;
  const same = observed === baseline;
  process.stderr.write(
    `lockstep bisect: ${id}: ${observed} (${same ? 'as at the base' : 'changed'})\n`,
  );
  return same ? 0 : 1;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`lockstep bisect: ${(e as Error).message}\n`);
    process.exitCode = 128;
  },
);
