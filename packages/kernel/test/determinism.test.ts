/**
 * Determinism: the same seed or schedule gives the same run, byte for byte (decisions,
 * dmesg, trace events and the Chrome trace export), however often it is repeated.
 */
import { describe, expect, it } from 'vitest';
import * as kernel from '../src/index.js';
import {
  ATOMIC_INIT,
  atomic_dec_and_test,
  atomic_inc,
  type Chooser,
  complete,
  completion,
  current,
  DEFINE_MUTEX,
  DEFINE_SPINLOCK,
  explore,
  KERN_INFO,
  kfree,
  kmalloc,
  Machine,
  type MachineOptions,
  mixSeed,
  mutex_lock,
  mutex_unlock,
  pctChooser,
  printk,
  randomChooser,
  replay,
  type Scenario,
  sched_point,
  spin_lock,
  spin_unlock,
  wait_for_completion,
} from '../src/index.js';

const REPEAT = 50;

/**
 * Three workers take two mutexes, a spinlock, allocate, log and count; a waiter collects
 * their completions. With `racy`, the last worker out frees the shared stats while another
 * may still be about to update them (a use-after-free some schedules hit).
 */
function workload(racy: boolean): Scenario {
  return (m) => {
    const big = DEFINE_MUTEX('big_mutex');
    const small = DEFINE_MUTEX('small_mutex');
    const stats_lock = DEFINE_SPINLOCK('stats_lock');
    const users = ATOMIC_INIT(3);
    const done = new completion('workers_done');
    const shared: { stats: { n: number } | null } = { stats: null };
    m.spawn_user('setup', function* setup_stats() {
      shared.stats = yield* kmalloc('stats', () => ({ n: 0 }));
    });
    for (const name of ['alpha', 'beta', 'gamma']) {
      m.spawn_user(name, function* worker_loop() {
        for (let i = 0; i < 3; i++) {
          yield* mutex_lock(i % 2 === 0 ? big : small);
          const item = yield* kmalloc('item', () => ({ v: i }));
          yield* spin_lock(stats_lock);
          if (shared.stats !== null) shared.stats.n++;
          yield* spin_unlock(stats_lock);
          printk(`${KERN_INFO}${current.comm}: item ${i}\n`);
          kfree(item);
          yield* mutex_unlock(i % 2 === 0 ? big : small);
        }
        const s = shared.stats;
        if (yield* atomic_dec_and_test(users)) {
          if (racy) kfree(s);
        } else if (racy && s !== null) {
          yield* sched_point();
          s.n++;
        }
        yield* atomic_inc(ATOMIC_INIT(0));
        complete(done);
      });
    }
    m.spawn_user('waiter', function* wait_workers() {
      for (let i = 0; i < 3; i++) yield* wait_for_completion(done);
      printk('all workers done\n');
    });
  };
}

type Exporter = (m: Machine) => string;
const toChrome = (kernel as unknown as Record<string, unknown>).to_chrome_trace as
  | Exporter
  | undefined;

/** Everything a run leaves behind, as one string. */
function fingerprint(r: kernel.RunResult, m: Machine): string {
  const parts = [
    JSON.stringify({
      outcome: r.outcome,
      report: r.report,
      decisions: r.decisions,
      preemptions: r.preemptions,
      steps: r.steps,
      jiffies: r.jiffies,
    }),
    JSON.stringify(m.log),
    JSON.stringify(m.trace),
  ];
  if (toChrome !== undefined && m.trace !== null) parts.push(toChrome(m));
  return parts.join('\n');
}

function runWith(chooser: Chooser, opts: MachineOptions, racy = false): string {
  const m = new Machine(opts);
  workload(racy)(m);
  return fingerprint(m.run({ chooser }), m);
}

const TRACED: MachineOptions = { trace: true, stacks: true };

describe('determinism', () => {
  it('a seeded random run gives identical bytes every time', () => {
    const first = runWith(randomChooser(mixSeed(42, 0)), TRACED);
    expect(first.length).toBeGreaterThan(1000);
    for (let i = 0; i < REPEAT; i++)
      expect(runWith(randomChooser(mixSeed(42, 0)), TRACED)).toBe(first);
  });

  it('a PCT run gives identical bytes every time', () => {
    const first = runWith(pctChooser(7, 3, 60), TRACED);
    for (let i = 0; i < REPEAT; i++) expect(runWith(pctChooser(7, 3, 60), TRACED)).toBe(first);
  });

  it('different seeds give different interleavings', () => {
    const seen = new Set<string>();
    for (let seed = 0; seed < 20; seed++) seen.add(runWith(randomChooser(seed), {}));
    expect(seen.size).toBeGreaterThan(10);
  });

  it('the same exploration finds the same schedule, and its replay has the same bytes', () => {
    const explored = () =>
      explore(workload(true), { strategy: 'random', seed: 3, maxSchedules: 2000, machine: TRACED });
    const first = explored();
    expect(first.found?.report.kind).toBe('kasan-use-after-free');
    const firstJson = JSON.stringify(first);
    const schedule = first.found!.schedule;
    const replayed = () => {
      const r = replay(workload(true), schedule, { machine: TRACED });
      return fingerprint(r, r.machine);
    };
    const firstReplay = replayed();
    expect(firstReplay).toContain(first.found!.report.title);
    for (let i = 0; i < REPEAT; i++) {
      expect(JSON.stringify(explored())).toBe(firstJson);
      expect(replayed()).toBe(firstReplay);
    }
  });

  it('exploring without stacks and re-running reports gives the same findings as full stacks', () => {
    for (const strategy of ['random', 'pct', 'exhaustive'] as const) {
      const opts = { strategy, seed: 5, maxSchedules: 3000, preemptionBound: 2 };
      const lazy = explore(workload(true), opts);
      const full = explore(workload(true), { ...opts, reportStacksOnly: false });
      expect(lazy.found?.report.kind).toBe('kasan-use-after-free');
      expect(lazy.found?.report.backtrace.length).toBeGreaterThan(0);
      expect(JSON.stringify(lazy)).toBe(JSON.stringify(full));
    }
  });

  it('tracing does not change the run', () => {
    const plain = new Machine({ stacks: false });
    workload(false)(plain);
    const a = plain.run({ chooser: randomChooser(9) });
    const traced = new Machine(TRACED);
    workload(false)(traced);
    const b = traced.run({ chooser: randomChooser(9) });
    expect(b.decisions).toEqual(a.decisions);
    expect(b.steps).toBe(a.steps);
    expect(traced.log).toEqual(plain.log);
    expect(traced.trace!.length).toBeGreaterThan(0);
  });
});
