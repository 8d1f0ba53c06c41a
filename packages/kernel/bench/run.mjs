// Benchmark of the scheduler and the explorer, against the built package (run `npx tsup`
// in packages/kernel first). `npm run bench` runs it with --expose-gc for the memory check.
//
//   node --expose-gc bench/run.mjs [--quick] [--schedules N] [--long N] [--json | --markdown]
//
// Reference scenario: three tasks with two mutexes, a spinlock, atomic ops and a completion,
// about a hundred scheduling steps per run. Throughput is measured over seeded random
// exploration, each configuration in its own node process (so one configuration's JIT
// feedback does not slow another), best of three. Memory is heapUsed after a full GC,
// sampled ten times through a long exploration (a million schedules unless that would take
// more than two minutes).
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const self = fileURLToPath(import.meta.url);
const dist = join(dirname(self), '..', 'dist', 'index.js');
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
    console.error(`bench: ${name} needs a positive integer, got ${args[i + 1]}`);
    process.exit(2);
  }
  return v;
};

/** Three tasks, ~100 scheduling steps: two mutexes, a spinlock, atomics, a completion. */
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
        const mx = i % 2 === 0 ? a : b;
        yield* k.mutex_lock(mx);
        yield* k.spin_lock(lock);
        stats.n++;
        yield* k.spin_unlock(lock);
        yield* k.atomic_inc(count);
        yield* k.atomic_inc(count);
        yield* k.mutex_unlock(mx);
        yield* k.atomic_dec(count);
        yield* k.atomic_dec(count);
      }
      k.complete(done);
    });
  }
  m.spawn_user('t3', function* bench_waiter() {
    yield* k.wait_for_completion(done);
    yield* k.wait_for_completion(done);
    for (let i = 0; i < 8; i++) {
      yield* k.mutex_lock(a);
      yield* k.atomic_inc(count);
      yield* k.mutex_unlock(a);
    }
  });
}

// explore() captures backtraces only when it re-runs a run that ended in a report (the
// default); the other rows make every run pay for what they turn on.
const CONFIGS = [
  { name: 'explore default', opts: {} },
  { name: 'every run: trace', opts: { machine: { trace: true, stacks: false } } },
  { name: 'every run: stacks', opts: { machine: { stacks: true }, reportStacksOnly: false } },
  {
    name: 'every run: trace + stacks',
    opts: { machine: { trace: true, stacks: true }, reportStacksOnly: false },
  },
];

function explore(opts, schedules, seed) {
  const t0 = process.hrtime.bigint();
  const r = k.explore(reference, { ...opts, strategy: 'random', seed, maxSchedules: schedules });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.found !== undefined || r.error !== undefined)
    throw new Error(`bench scenario failed: ${r.found?.report.title ?? r.error?.text}`);
  return { schedules: r.schedules, steps: r.steps, seconds };
}

function heapMB() {
  globalThis.gc?.();
  globalThis.gc?.();
  return process.memoryUsage().heapUsed / 1048576;
}

// Child modes: one measurement in a fresh process, printed as JSON.
if (args[0] === '--child-throughput') {
  const c = CONFIGS[Number(args[1])];
  const n = Number(args[2]);
  explore(c.opts, Math.min(2000, n), 99); // warm-up
  const runs = [1, 2, 3].map((seed) => explore(c.opts, n, seed));
  console.log(JSON.stringify(runs.reduce((p, q) => (q.seconds < p.seconds ? q : p))));
  process.exit(0);
}
if (args[0] === '--child-memory') {
  const n = Number(args[1]);
  const chunk = Math.max(1, Math.floor(n / 10));
  explore({}, Math.min(2000, chunk), 99);
  const heap = [heapMB()];
  let schedules = 0;
  let steps = 0;
  let seconds = 0;
  for (let i = 0; i < 10; i++) {
    const r = explore({}, chunk, 1000 + i);
    schedules += r.schedules;
    steps += r.steps;
    seconds += r.seconds;
    heap.push(heapMB());
  }
  console.log(JSON.stringify({ schedules, steps, seconds, heap }));
  process.exit(0);
}

const quick = flag('--quick');
const SCHEDULES = num('--schedules', quick ? 5_000 : 50_000);
const LONG_TARGET = num('--long', quick ? 50_000 : 1_000_000);
const LONG_LIMIT_S = 120;
if (typeof globalThis.gc !== 'function')
  console.warn('bench: run with node --expose-gc (npm run bench does) for the memory check');

const child = (...a) =>
  JSON.parse(execFileSync(process.execPath, ['--expose-gc', self, ...a], { encoding: 'utf8' }));
const load0 = loadavg()[0];

const one = k.replay(reference, 'v1:');
const sample = k.explore(reference, { strategy: 'random', seed: 1, maxSchedules: 1000 });

const rows = CONFIGS.map((c, i) => {
  const x = child('--child-throughput', String(i), String(SCHEDULES));
  return {
    config: c.name,
    ...x,
    stepsPerSec: x.steps / x.seconds,
    schedulesPerSec: x.schedules / x.seconds,
  };
});

// A million schedules if the measured rate does them in two minutes, else what fits.
const rate = rows[0].schedulesPerSec;
const longN = Math.max(10, Math.min(LONG_TARGET, Math.floor(rate * LONG_LIMIT_S)));
const mem = child('--child-memory', String(longN));
const growth = mem.heap[mem.heap.length - 1] - mem.heap[1];
const load1 = loadavg()[0];

const base = rows[0];
const out = {
  node: process.version,
  cpus: cpus().length,
  loadavg: [load0, load1].map((x) => Math.round(x * 100) / 100),
  scenario: {
    tasks: 3,
    stepsWithoutPreemption: one.steps,
    meanStepsPerRandomSchedule: sample.steps / sample.schedules,
  },
  rows: rows.map((r) => ({ ...r, slowdown: base.stepsPerSec / r.stepsPerSec })),
  memory: {
    target: LONG_TARGET,
    schedules: mem.schedules,
    seconds: mem.seconds,
    schedulesPerSec: mem.schedules / mem.seconds,
    heapMB: mem.heap.map((h) => Math.round(h * 100) / 100),
    growthMB: growth,
  },
};

const fmt = (n) => Math.round(n).toLocaleString('en-US');
const head = [
  'configuration',
  'schedules',
  'steps',
  'seconds',
  'steps/s',
  'schedules/s',
  'vs default',
];
const body = out.rows.map((r) => [
  r.config,
  fmt(r.schedules),
  fmt(r.steps),
  r.seconds.toFixed(2),
  fmt(r.stepsPerSec),
  fmt(r.schedulesPerSec),
  `${r.slowdown.toFixed(2)}x`,
]);
const memLine =
  `memory: ${fmt(mem.schedules)} schedules (${fmt(out.memory.schedulesPerSec)}/s) ` +
  `in ${mem.seconds.toFixed(1)} s; heapUsed after GC, start then every tenth (MB): ` +
  out.memory.heapMB.map((h) => h.toFixed(2)).join(' ');
const growthLine = `heap growth from the first tenth to the end: ${growth.toFixed(2)} MB`;
const shortLine =
  mem.schedules < LONG_TARGET
    ? `(the target was ${fmt(LONG_TARGET)} schedules, ` +
      `${(LONG_TARGET / out.memory.schedulesPerSec).toFixed(0)} s at this rate; it ran ${fmt(mem.schedules)})`
    : '';
const caption =
  `node ${out.node}, ${out.cpus} CPUs, load average ${out.loadavg.join(' -> ')}; reference scenario: ` +
  `3 tasks, ${one.steps} steps without preemption, ` +
  `${out.scenario.meanStepsPerRandomSchedule.toFixed(1)} steps per random schedule`;

if (flag('--json')) {
  console.log(JSON.stringify(out, null, 2));
} else if (flag('--markdown')) {
  console.log(caption);
  console.log('');
  console.log(`| ${head.join(' | ')} |`);
  console.log(`|${head.map((_, i) => (i === 0 ? ' --- ' : ' ---: ')).join('|')}|`);
  for (const b of body) console.log(`| ${b.join(' | ')} |`);
  console.log('');
  console.log(`${memLine}; ${growthLine}. ${shortLine}`.trim());
} else {
  console.log(caption);
  console.log('');
  const w = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(w[i]) : c.padStart(w[i]))).join('  ');
  console.log(line(head));
  console.log(w.map((n) => '-'.repeat(n)).join('  '));
  for (const b of body) console.log(line(b));
  console.log('');
  console.log(memLine);
  console.log(growthLine);
  if (shortLine) console.log(shortLine);
}
