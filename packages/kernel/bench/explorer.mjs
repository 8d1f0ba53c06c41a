// Explorer benchmarks (timings live here, never in tests), against the build (npx tsup):
//   node bench/explorer.mjs [--quick]
// 1. schedules/s of the explorer vs a bare generator loop doing the same switches
//    (three tasks, ~100 scheduling points), lockdep off;
// 2. exploreParallel --jobs 2 vs --jobs 1 on the same shape;
// 3. the classic suite: schedules to the first bug per strategy, and for each fixed
//    variant the space covered by plain exhaustive search vs DPOR.
import { existsSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, '..', 'dist', 'index.js');
if (!existsSync(dist)) {
  console.error('bench: dist/index.js is missing; build first (cd packages/kernel && npx tsup)');
  process.exit(2);
}
const k = await import(dist);
const { reference } = await import(join(here, 'classic.mjs'));
const quick = process.argv.includes('--quick');
const N = quick ? 20_000 : 100_000;
const time = (f) => {
  const t0 = process.hrtime.bigint();
  const r = f();
  return { r, s: Number(process.hrtime.bigint() - t0) / 1e9 };
};
const best = (f) => [1, 2, 3].map(() => time(f)).reduce((a, b) => (b.s < a.s ? b : a));

// 1. A bare loop: three generators, a seeded random pick among the live ones at each step.
function bare(n) {
  let steps = 0;
  for (let run = 0; run < n; run++) {
    const rng = new k.Prng(k.mixSeed(1, run));
    const live = [0, 1, 2].map(() =>
      (function* ref_task() {
        for (let i = 0; i < 33; i++) yield 0;
      })(),
    );
    while (live.length > 0) {
      const i = live.length === 1 ? 0 : rng.below(live.length);
      steps++;
      if (live[i].next().done) live.splice(i, 1);
    }
  }
  return steps;
}
const machine = { lockdep: false, stacks: false };
const explorer = (n) =>
  k.explore(reference, { strategy: 'random', seed: 1, maxSchedules: n, machine }).steps;
bare(2000);
explorer(2000);
const b = best(() => bare(N));
const e = best(() => explorer(N));
console.log(`node ${process.version}, ${cpus().length} CPUs, load ${loadavg()[0].toFixed(2)}`);
console.log('\n1. reference shape (3 tasks, ~100 scheduling points), lockdep off');
console.log('| loop | schedules/s | steps/s |\n| --- | ---: | ---: |');
console.log(`| bare generator loop | ${Math.round(N / b.s)} | ${Math.round(b.r / b.s)} |`);
console.log(`| explore (random) | ${Math.round(N / e.s)} | ${Math.round(e.r / e.s)} |`);
console.log(`explorer / bare: ${(e.s / b.s).toFixed(2)}x slower (target: within 2x)`);

// 2. Worker threads.
const P = 200_000; // worker start-up and JIT warm-up amortised
const par = async (jobs) => {
  const t0 = process.hrtime.bigint();
  const r = await k.exploreParallel(join(here, 'classic.mjs'), {
    jobs,
    exportName: 'reference',
    seed: 1,
    maxSchedules: P,
    machine,
  });
  return { r, s: Number(process.hrtime.bigint() - t0) / 1e9 };
};
await par(1);
const j1 = await par(1);
const j2 = await par(2);
console.log(`\n2. exploreParallel, ${P} schedules`);
console.log('| jobs | seconds | schedules/s |\n| ---: | ---: | ---: |');
for (const [j, x] of [
  [1, j1],
  [2, j2],
])
  console.log(`| ${j} | ${x.s.toFixed(2)} | ${Math.round(x.r.schedules / x.s)} |`);
console.log(`speedup --jobs 2: ${(j1.s / j2.s).toFixed(2)}x (target 1.8x)`);

// 3. The classic suite.
const LIMIT = quick ? 50_000 : 300_000;
console.log('\n3. classic suite (lockdep off): schedules to the first bug');
console.log(
  '| program | random | pct d=3 | exhaustive (pb) | dpor |\n| --- | ---: | ---: | ---: | ---: |',
);
for (const p of k.classicPrograms) {
  const cell = (o) => {
    const r = k.explore(p.scenario, { machine, maxSchedules: LIMIT, ...o });
    return r.found ? String(r.schedules) : `none in ${r.schedules}`;
  };
  console.log(
    `| ${p.name} | ${cell({ strategy: 'random', seed: 1 })} | ${cell({ strategy: 'pct', seed: 1 })} | ${cell({ strategy: 'exhaustive', preemptionBound: 3 })} | ${cell({ strategy: 'dpor' })} |`,
  );
}
console.log('\nfixed variants: the whole space, plain exhaustive (no bound) vs DPOR');
console.log('| program | exhaustive | dpor | reduction |\n| --- | ---: | ---: | ---: |');
for (const p of k.classicPrograms) {
  const ex = k.explore(p.fixed, {
    strategy: 'exhaustive',
    preemptionBound: 60,
    machine,
    maxSchedules: LIMIT,
  });
  const dp = k.explore(p.fixed, { strategy: 'dpor', machine, maxSchedules: LIMIT });
  const exs = ex.exhausted ? String(ex.schedules) : `> ${ex.schedules} (not exhausted)`;
  const dps = dp.exhausted ? String(dp.schedules) : `> ${dp.schedules} (not exhausted)`;
  const red = dp.exhausted
    ? `${ex.exhausted ? '' : '>= '}${(ex.schedules / dp.schedules).toFixed(1)}x`
    : '?';
  console.log(`| ${p.name} | ${exs} | ${dps} | ${red} |`);
}
