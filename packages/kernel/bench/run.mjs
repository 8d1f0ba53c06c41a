// Benchmark of the scheduler and the explorer, against the built package (run `npx tsup`
// first). `npm run bench` runs it with --expose-gc, which the memory check needs.
//
//   node --expose-gc bench/run.mjs [--quick] [--schedules N] [--long N] [--json]
//
// Reference scenario: three tasks with mutexes, a spinlock, atomic ops and a completion,
// about a hundred scheduling points in all. Throughput is measured over seeded random
// exploration; memory is heapUsed after a full GC, sampled through a long exploration.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, '..', 'dist', 'index.js');
if (!existsSync(dist)) {
  console.error('bench: dist/index.js is missing; build first (cd packages/kernel && npx tsup)');
  process.exit(2);
}
const k = await import(dist);

const args = process.argv.slice(2);
const flag = (name) => args.includes(name);
const num = (name, dflt) => {
  const i = args.indexOf(name);
  if (i < 0) return dflt;
  const v = Number(args[i + 1]);
  if (!Number.isSafeInteger(v) || v <= 0) {
    console.error(`bench: ${name} needs a positive integer`);
    process.exit(2);
  }
  return v;
};
const quick = flag('--quick');
const SCHEDULES = num('--schedules', quick ? 5_000 : 50_000);
const LONG_TARGET = num('--long', quick ? 50_000 : 1_000_000);
const LONG_LIMIT_S = 120;
const gc = globalThis.gc;
if (typeof gc !== 'function') console.warn('bench: run with node --expose-gc for the memory check');

/** Three tasks, ~100 scheduling points: two mutexes, a spinlock, atomics, a completion. */
function reference(m) {
  const a = k.DEFINE_MUTEX('bench_a');
  const b = k.DEFINE_MUTEX('bench_b');
  const lock = k.DEFINE_SPINLOCK('bench_lock');
  const count = k.ATOMIC_INIT(0);
  const done = new k.completion('bench_done');
  const stats = { n: 0 };
  for (const name of ['t1', 't2']) {
    m.spawn_user(name, function* bench_worker() {
      for (let i = 0; i < 4; i++) {
        yield* k.mutex_lock(i % 2 === 0 ? a : b);
        yield* k.spin_lock(lock);
        stats.n++;
        yield* k.spin_unlock(lock);
        yield* k.atomic_inc(count);
        yield* k.atomic_inc(count);
        yield* k.mutex_unlock(i % 2 === 0 ? a : b);
        yield* k.atomic_dec(count);
      }
      k.complete(done);
    });
  }
  m.spawn_user('t3', function* bench_waiter() {
    yield* k.wait_for_completion(done);
    yield* k.wait_for_completion(done);
    for (let i = 0; i < 6; i++) {
      yield* k.mutex_lock(a);
      yield* k.atomic_inc(count);
      yield* k.mutex_unlock(a);
    }
  });
}

const CONFIGS = [
  { name: 'no trace, no stacks', machine: { trace: false, stacks: false } },
  { name: 'no trace (default)', machine: {} },
  { name: 'trace + stacks', machine: { trace: true, stacks: true } },
];

function measure(machine, schedules, seed) {
  const t0 = process.hrtime.bigint();
  const r = k.explore(reference, { strategy: 'random', seed, maxSchedules: schedules, machine });
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.found !== undefined || r.error !== undefined)
    throw new Error(`bench scenario failed: ${r.found?.report.title ?? r.error?.text}`);
  return { schedules: r.schedules, steps: r.steps, seconds: s };
}

function heapMB() {
  gc?.();
  gc?.();
  return process.memoryUsage().heapUsed / 1048576;
}

// The shape of one run, for the table's caption.
const one = k.replay(reference, 'v1:');
const sample = k.explore(reference, { strategy: 'random', seed: 1, maxSchedules: 1000 });

const rows = [];
for (const c of CONFIGS) {
  measure(c.machine, Math.min(2000, SCHEDULES), 99); // warm-up
  const best = [1, 2, 3].map((seed) => measure(c.machine, SCHEDULES, seed));
  const x = best.reduce((p, q) => (q.seconds < p.seconds ? q : p));
  rows.push({
    config: c.name,
    schedules: x.schedules,
    steps: x.steps,
    seconds: x.seconds,
    stepsPerSec: x.steps / x.seconds,
    schedulesPerSec: x.schedules / x.seconds,
  });
}

// Memory over a long exploration, in ten chunks, with the heap sampled after each.
const rate = rows[0].schedulesPerSec;
const longN = Math.min(LONG_TARGET, Math.floor(rate * LONG_LIMIT_S * 0.8)) || 1;
const chunk = Math.max(1, Math.floor(longN / 10));
const heap = [heapMB()];
const tl0 = process.hrtime.bigint();
let longRan = 0;
for (let i = 0; i < 10; i++) {
  const r = k.explore(reference, {
    strategy: 'random',
    seed: 1000 + i,
    maxSchedules: chunk,
    machine: CONFIGS[0].machine,
  });
  longRan += r.schedules;
  heap.push(heapMB());
}
const longS = Number(process.hrtime.bigint() - tl0) / 1e9;

const fmt = (n) => Math.round(n).toLocaleString('en-US');
const base = rows[0];
const traced = rows[2];
const out = {
  node: process.version,
  cpus: (await import('node:os')).cpus().length,
  scenario: {
    tasks: 3,
    stepsNonPreemptive: one.steps,
    meanStepsPerRandomRun: sample.steps / sample.schedules,
  },
  rows,
  tracingSlowdown: base.stepsPerSec / traced.stepsPerSec,
  memory: {
    schedules: longRan,
    seconds: longS,
    heapMB: heap.map((h) => Math.round(h * 100) / 100),
    growthMB: heap[heap.length - 1] - heap[1],
  },
};

if (flag('--json')) {
  console.log(JSON.stringify(out, null, 2));
} else {
  console.log(`lockstep kernel bench (node ${out.node}, ${out.cpus} CPUs)`);
  console.log(
    `reference scenario: 3 tasks; ${one.steps} steps without preemption, ` +
      `${out.scenario.meanStepsPerRandomRun.toFixed(1)} steps per random schedule`,
  );
  console.log('');
  const head = ['machine', 'schedules', 'steps', 'seconds', 'steps/s', 'schedules/s'];
  const body = rows.map((r) => [
    r.config,
    fmt(r.schedules),
    fmt(r.steps),
    r.seconds.toFixed(2),
    fmt(r.stepsPerSec),
    fmt(r.schedulesPerSec),
  ]);
  const w = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells) => cells.map((c, i) => (i === 0 ? c.padEnd(w[i]) : c.padStart(w[i]))).join('  ');
  console.log(line(head));
  console.log(w.map((n) => '-'.repeat(n)).join('  '));
  for (const b of body) console.log(line(b));
  console.log('');
  console.log(`tracing (trace + stacks) is ${out.tracingSlowdown.toFixed(2)}x slower than no trace, no stacks`);
  console.log(
    `memory: ${fmt(longRan)} schedules in ${longS.toFixed(1)} s; heapUsed after GC per tenth (MB): ` +
      out.memory.heapMB.map((h) => h.toFixed(1)).join(' '),
  );
  console.log(`heap growth from the first tenth to the end: ${out.memory.growthMB.toFixed(2)} MB`);
  if (longRan < LONG_TARGET)
    console.log(
      `(target was ${fmt(LONG_TARGET)} schedules; at this rate that would take ` +
        `${(LONG_TARGET / (longRan / longS)).toFixed(0)} s, so it ran ${fmt(longRan)})`,
    );
}
