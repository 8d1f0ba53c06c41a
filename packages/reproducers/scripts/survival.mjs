#!/usr/bin/env node
/**
 * The survival check (issue 9): every reproducer whose portfolio comes out clean must also
 * survive PCT at depths 2, 3 and 4 over 10 seeds of 200 schedules each, far beyond the
 * portfolio's own budget. A one-off check for each step of a series, not a test: it takes
 * minutes. Runs the built packages, so build first:
 *
 *   npx turbo run build --filter=@lockstep/reproducers...
 *   node packages/reproducers/scripts/survival.mjs [ids...]
 *
 * Prints one line per reproducer; exits 1 when PCT finds a clean reproducer's bug (the
 * line gives depth, seed, schedules and the schedule string that replays it), 2 on an error.
 */
import { explore } from '@lockstep/kernel';
import { selectReproducers } from '../dist/index.js';

const DEPTHS = [2, 3, 4];
const SEEDS = 10;
const SCHEDULES = 200;

let finds = 0;
let errors = 0;
for (const r of selectReproducers(process.argv.slice(2))) {
  const started = Date.now();
  const o = r.run();
  if (o.status !== 'clean') {
    if (o.status === 'error') errors++;
    console.log(`${r.id}: ${o.status}${o.title ? ` (${o.title})` : ''}: not checked`);
    continue;
  }
  let found = null;
  let runs = 0;
  for (const depth of DEPTHS) {
    for (let seed = 1; seed <= SEEDS && found === null; seed++) {
      const res = explore(r.scenario, {
        strategy: 'pct',
        depth,
        seed,
        maxSchedules: SCHEDULES,
        machine: r.machine,
        until: (report) => r.accepts(report.title),
      });
      runs += res.schedules;
      if (res.error !== undefined) {
        errors++;
        found = { error: res.error.text.split('\n')[0], depth, seed };
      } else if (res.found !== undefined) found = { depth, seed, res };
    }
    if (found !== null) break;
  }
  const secs = ((Date.now() - started) / 1000).toFixed(1);
  if (found === null)
    console.log(
      `${r.id}: ${o.verdict}, survives PCT d=${DEPTHS.join(',')} x ${SEEDS} seeds x ${SCHEDULES} (${runs} schedules, ${secs} s)`,
    );
  else if (found.error !== undefined)
    console.log(`${r.id}: error under PCT d=${found.depth} seed=${found.seed}: ${found.error}`);
  else {
    finds++;
    const f = found.res.found;
    console.log(
      `${r.id}: ${o.verdict} but PCT d=${found.depth} seed=${found.seed} finds "${f.report.title}" after ${f.runIndex + 1} schedules (${secs} s): ${f.schedule}`,
    );
  }
}
process.exitCode = errors > 0 ? 2 : finds > 0 ? 1 : 0;
