import { describe, expect, it } from 'vitest';
import {
  ATOMIC_INIT,
  atomic_inc,
  cpu_relax,
  DEFINE_MUTEX,
  explore,
  formatSchedule,
  LockstepUsageError,
  type Machine,
  mutex_lock,
  mutex_unlock,
  Prng,
  parseSchedule,
  replay,
  type Scenario,
  sched_point,
  shrink,
} from '../src/index.js';

/**
 * A check-then-act race. `worker` makes 24 atomic increments, checks that the shared
 * `serv` is set, reaches one more scheduling point and then uses it. `teardown` makes 10
 * increments and clears `serv`. The oops needs the teardown's clearing to land exactly
 * between the worker's check and its use: one preemption, at one of about 50 points.
 * With `fixed`, a mutex covers both the check-and-use and the clearing.
 */
function checkThenAct(fixed: boolean): Scenario {
  return (m: Machine) => {
    const state: { serv: { users: number } | null } = { serv: { users: 0 } };
    const lock = DEFINE_MUTEX('serv_mutex');
    const work = ATOMIC_INIT(0);
    m.spawn_user('worker', function* worker_use_serv() {
      for (let i = 0; i < 24; i++) yield* atomic_inc(work);
      if (fixed) yield* mutex_lock(lock);
      if (state.serv !== null) {
        yield* sched_point();
        state.serv.users++;
      }
      if (fixed) yield* mutex_unlock(lock);
      for (let i = 0; i < 24; i++) yield* atomic_inc(work);
    });
    m.spawn_user('teardown', function* teardown_serv() {
      for (let i = 0; i < 10; i++) yield* atomic_inc(work);
      if (fixed) yield* mutex_lock(lock);
      state.serv = null;
      if (fixed) yield* mutex_unlock(lock);
    });
  };
}

const RACE_TITLE = 'BUG: unable to handle kernel NULL pointer dereference in worker_use_serv';

describe('schedule strings', () => {
  it('round-trip decisions through the run-length text form', () => {
    const rng = new Prng(3);
    for (let n = 0; n < 200; n++) {
      const d = Array.from({ length: rng.below(40) }, () => 1 + rng.below(3));
      const s = formatSchedule(d);
      expect(s.startsWith('v1:')).toBe(true);
      expect(parseSchedule(s)).toEqual(d);
      expect(formatSchedule(parseSchedule(s))).toBe(s);
    }
    expect(formatSchedule([1, 1, 1, 2, 1])).toBe('v1:1*3.2.1');
    expect(parseSchedule(' v1:2*2.1 ')).toEqual([2, 2, 1]);
  });

  it.each([
    ['', /not a schedule string/],
    ['1*3.2', /not a schedule string.*expected 'v1:/],
    ['v2:1*3', /unsupported schedule version 'v2'.*reads v1/],
    ['v1:1*3..2', /bad item 2 \(''\)/],
    ['v1:1*x', /bad item 1 \('1\*x'\).*<pid>\*<count>/],
    ['v1:0*2', /pid must be a task pid >= 1/],
    ['v1:1*0', /count must be >= 1/],
    ['v1:1*999999999999', /expands to more than/],
  ])('rejects %j with a clear message', (s, msg) => {
    expect(() => parseSchedule(s)).toThrowError(LockstepUsageError);
    expect(() => parseSchedule(s)).toThrowError(msg);
  });
});

describe('explore: a race that needs one preemption at one point', () => {
  it('is not hit without preemption', () => {
    const r = replay(checkThenAct(false), 'v1:');
    expect(r.outcome).toBe('clean');
    expect(r.preemptions).toBe(0);
  });

  it('random search with a small budget rarely finds it', () => {
    let hits = 0;
    for (let seed = 0; seed < 200; seed++) {
      const r = explore(checkThenAct(false), { strategy: 'random', seed, maxSchedules: 5 });
      if (r.found !== undefined) {
        expect(r.found.report.title).toBe(RACE_TITLE);
        hits++;
      } else expect(r.budget).toBe('schedules');
    }
    expect(hits / 200).toBeLessThan(0.05);
  });

  it('PCT with depth 2 finds it, and the schedule replays to the same report', () => {
    const r = explore(checkThenAct(false), {
      strategy: 'pct',
      depth: 2,
      seed: 1,
      maxSchedules: 2000,
    });
    expect(r.found?.report.title).toBe(RACE_TITLE);
    expect(r.schedules).toBe(r.found!.runIndex + 1);
    const again = replay(checkThenAct(false), r.found!.schedule);
    expect(again.outcome).toBe('crash');
    expect(again.report?.title).toBe(RACE_TITLE);
    expect(again.preemptions).toBe(r.found!.preemptions);
    expect(formatSchedule(again.decisions)).toBe(r.found!.schedule);
  });

  it.each([1, 2])(
    'exhaustive search with preemption bound %i finds it with one preemption',
    (b) => {
      const r = explore(checkThenAct(false), { strategy: 'exhaustive', preemptionBound: b });
      expect(r.found?.report.title).toBe(RACE_TITLE);
      // Schedules with fewer preemptions come first, so the first finding has the fewest.
      expect(r.found!.preemptions).toBe(1);
      expect(r.exhausted).toBe(false);
      expect(replay(checkThenAct(false), r.found!.schedule).report?.title).toBe(RACE_TITLE);
    },
  );

  it('bound 0 covers only the non-preemptive schedules and misses it', () => {
    const r = explore(checkThenAct(false), { strategy: 'exhaustive', preemptionBound: 0 });
    expect(r.found).toBeUndefined();
    expect(r.exhausted).toBe(true);
    // Both tasks can go first; after that nothing blocks, so there is no other choice.
    expect(r.schedules).toBe(2);
  });

  it('shrinks a random finding to fewer preemptions that still reproduce it', () => {
    const r = explore(checkThenAct(false), { strategy: 'random', seed: 11, maxSchedules: 20_000 });
    expect(r.found?.report.title).toBe(RACE_TITLE);
    const found = r.found!;
    expect(found.preemptions).toBeGreaterThan(3);
    const s = shrink(checkThenAct(false), found.schedule, RACE_TITLE);
    expect(s.preemptionsBefore).toBe(found.preemptions);
    expect(s.preemptionsAfter).toBeLessThan(s.preemptionsBefore);
    // One preemption is the fewest that can show it (bound 0 misses it, above).
    expect(s.preemptionsAfter).toBe(1);
    expect(s.decisionsAfter).toBeLessThanOrEqual(s.decisionsBefore);
    const again = replay(checkThenAct(false), s.schedule);
    expect(again.report?.title).toBe(RACE_TITLE);
    expect(again.preemptions).toBe(s.preemptionsAfter);
  });

  it('shrink refuses a schedule that does not reproduce the title', () => {
    expect(() => shrink(checkThenAct(false), 'v1:', RACE_TITLE)).toThrowError(
      /does not reproduce .*replaying it ended cleanly/,
    );
  });
});

describe('exhaustive search on the fixed version', () => {
  it('covers the whole bounded space and finds nothing', () => {
    const r = explore(checkThenAct(true), { strategy: 'exhaustive', preemptionBound: 2 });
    expect(r.found).toBeUndefined();
    expect(r.exhausted).toBe(true);
    expect(r.budget).toBeUndefined();
    expect(r.schedules).toBeGreaterThan(100);
  });

  it('reports running out of its schedule budget instead of claiming coverage', () => {
    const r = explore(checkThenAct(true), {
      strategy: 'exhaustive',
      preemptionBound: 2,
      maxSchedules: 50,
    });
    expect(r.schedules).toBe(50);
    expect(r.exhausted).toBe(false);
    expect(r.budget).toBe('schedules');
  });
});

/** Tasks of n + 1 steps each, logging every step: runs[i] is run i's interleaving. */
function counters(sizes: readonly number[], runs: string[]): Scenario {
  return (m) => {
    const order: string[] = [];
    runs.push('');
    const idx = runs.length - 1;
    sizes.forEach((n, t) => {
      const name = String.fromCharCode(97 + t);
      m.spawn_user(name, function* counter() {
        for (let i = 0; i < n; i++) {
          order.push(name);
          runs[idx] = order.join('');
          yield* sched_point();
        }
        order.push(name.toUpperCase()); // the last step, which ends the task
        runs[idx] = order.join('');
      });
    });
  };
}

/**
 * Interleavings of step sequences of the given lengths with at most `bound` preemptions
 * (switching away from a task that still has steps left), counted by brute force.
 */
function countInterleavings(lengths: readonly number[], bound: number): number {
  const go = (left: number[], last: number, used: number): number => {
    if (left.every((n) => n === 0)) return 1;
    let total = 0;
    for (let t = 0; t < left.length; t++) {
      if (left[t] === 0) continue;
      const pre = last >= 0 && last !== t && left[last]! > 0 ? 1 : 0;
      if (used + pre > bound) continue;
      const next = left.slice();
      next[t]!--;
      total += go(next, t, used + pre);
    }
    return total;
  };
  return go(lengths.slice(), -1, 0);
}

describe('exhaustive search counts', () => {
  it.each([
    [[3, 2], 0],
    [[3, 2], 1],
    [[4, 3], 2],
    [[5, 5], 3],
    [[2, 2, 1], 1],
    [[2, 1, 2], 2],
    [[3, 2, 2], 4],
  ])('runs each interleaving of tasks of %j steps with <= %i preemptions once', (sizes, bound) => {
    const runs: string[] = [];
    const r = explore(counters(sizes, runs), { strategy: 'exhaustive', preemptionBound: bound });
    expect(r.exhausted).toBe(true);
    // Each task takes n + 1 steps: the last one returns from the generator.
    expect(r.schedules).toBe(
      countInterleavings(
        sizes.map((n) => n + 1),
        bound,
      ),
    );
    expect(runs.length).toBe(r.schedules);
    expect(new Set(runs).size).toBe(r.schedules); // no interleaving ran twice
    // A budget of exactly the space still covers it; one less does not.
    const exact = explore(counters(sizes, []), {
      strategy: 'exhaustive',
      preemptionBound: bound,
      maxSchedules: r.schedules,
    });
    expect([exact.exhausted, exact.budget]).toEqual([true, undefined]);
    if (r.schedules > 1) {
      const short = explore(counters(sizes, []), {
        strategy: 'exhaustive',
        preemptionBound: bound,
        maxSchedules: r.schedules - 1,
      });
      expect([short.exhausted, short.budget]).toEqual([false, 'schedules']);
    }
  });
});

describe('busy-waiting and livelock', () => {
  /** Two tasks that each wait for the other's flag: nobody ever makes progress. */
  const livelock: Scenario = (m) => {
    const flags = { a: false, b: false };
    m.spawn_user('a', function* wait_for_b() {
      while (!flags.b) yield* cpu_relax();
      flags.a = true;
    });
    m.spawn_user('b', function* wait_for_a() {
      while (!flags.a) yield* cpu_relax();
      flags.b = true;
    });
  };
  /** One task spins until the other sets the flag: fine under any fair schedule. */
  const handshake: Scenario = (m) => {
    const flag = { set: false };
    m.spawn_user('waiter', function* wait_for_flag() {
      while (!flag.set) yield* cpu_relax();
    });
    m.spawn_user('setter', function* set_flag() {
      for (let i = 0; i < 3; i++) yield* sched_point();
      flag.set = true;
    });
  };

  it.each(['random', 'pct', 'exhaustive'] as const)(
    '%s exploration of a livelock ends with the soft lockup report',
    (strategy) => {
      const r = explore(livelock, { strategy, machine: { livelockSteps: 500 }, maxSchedules: 10 });
      expect(r.found?.report.kind).toBe('soft-lockup');
      expect(r.found?.report.headline).toMatch(
        /^BUG: soft lockup - CPU#0 stuck for 11s! \[[ab]:[12]\]$/,
      );
      // The report is taken inside the spinning task, so the title names its function.
      expect(r.found?.report.title).toMatch(/^BUG: soft lockup in wait_for_[ab]$/);
      expect(r.found!.runIndex).toBe(0);
    },
  );

  it.each(['random', 'pct', 'exhaustive'] as const)(
    '%s exploration does not call a busy-wait that ends a livelock',
    (strategy) => {
      const r = explore(handshake, {
        strategy,
        machine: { livelockSteps: 500 },
        maxSchedules: 300,
        preemptionBound: 3,
      });
      expect(r.found).toBeUndefined();
      if (strategy === 'exhaustive') expect(r.exhausted).toBe(true);
    },
  );
});

describe('explore: runs that do not end in a report', () => {
  it('counts and reports runs cut by their step budget', () => {
    const spin: Scenario = (m) => {
      m.spawn_user('looper', function* loop_forever() {
        for (;;) yield* sched_point();
      });
    };
    const r = explore(spin, { strategy: 'random', maxSchedules: 3, maxSteps: 100 });
    expect(r.found).toBeUndefined();
    expect(r.schedules).toBe(3);
    expect(r.budgetRuns).toBe(3);
    expect(r.steps).toBe(300);
    expect(r.firstBudgetRun).toEqual({ schedule: 'v1:', runIndex: 0, budget: 'steps' });
  });

  it('stops at a scenario error and surfaces its text', () => {
    const broken: Scenario = (m) => {
      m.spawn_user('a', function* a_thread() {
        yield* sched_point();
        throw new RangeError('model bug');
      });
      m.spawn_user('b', function* b_thread() {
        yield* sched_point();
      });
    };
    const r = explore(broken, { strategy: 'random', maxSchedules: 100 });
    expect(r.schedules).toBe(1);
    expect(r.found).toBeUndefined();
    expect(r.error?.text).toMatch(/scenario error in task a\/1: RangeError: model bug/);
    expect(r.error?.runIndex).toBe(0);
  });

  it('keeps going past reports that `until` does not accept', () => {
    const r = explore(checkThenAct(false), {
      strategy: 'exhaustive',
      preemptionBound: 1,
      until: (rep) => rep.kind === 'kasan-use-after-free',
    });
    expect(r.found).toBeUndefined();
    expect(r.reports).toBeGreaterThan(0);
    expect(r.exhausted).toBe(true);
  });

  it('stops at a total step budget and calls onProgress', () => {
    const seen: number[] = [];
    const r = explore(checkThenAct(true), {
      strategy: 'random',
      maxSchedules: 1000,
      maxTotalSteps: 1000,
      progressEvery: 5,
      onProgress: (p) => seen.push(p.schedules),
    });
    expect(r.budget).toBe('steps');
    expect(r.steps).toBeGreaterThanOrEqual(1000);
    expect(seen.length).toBe(Math.floor(r.schedules / 5));
    expect(seen.every((n, i) => n === (i + 1) * 5)).toBe(true);
  });
});

describe('bad input', () => {
  const counted = (): { scenario: Scenario; calls: () => number } => {
    let n = 0;
    return {
      scenario: (m) => {
        n++;
        checkThenAct(false)(m);
      },
      calls: () => n,
    };
  };

  it.each([
    [{ maxSchedules: 0 }, /maxSchedules must be a positive integer, got 0/],
    [{ maxSchedules: -5 }, /maxSchedules must be a positive integer, got -5/],
    [{ maxSteps: 0 }, /maxSteps must be a positive integer, got 0/],
    [{ maxTotalSteps: -1 }, /maxTotalSteps must be a positive integer/],
    [{ timeLimitMs: 0 }, /timeLimitMs must be a positive number/],
    [
      { strategy: 'pct' as const, depth: -1 },
      /depth \(the PCT bug depth d, >= 1\) must be a positive integer, got -1/,
    ],
    [
      { strategy: 'exhaustive' as const, preemptionBound: -1 },
      /preemptionBound must be an integer >= 0/,
    ],
    [{ seed: 1.5 }, /seed must be an integer >= 0/],
    [{ strategy: 'dfs' as unknown as 'random' }, /unknown strategy "dfs"/],
  ])('explore(%j) is refused before anything runs', (opts, msg) => {
    const c = counted();
    expect(() => explore(c.scenario, opts)).toThrowError(LockstepUsageError);
    expect(() => explore(c.scenario, opts)).toThrowError(msg);
    expect(c.calls()).toBe(0);
  });

  it('refuses a scenario that is not a function', () => {
    expect(() => explore(null as unknown as Scenario)).toThrowError(/scenario must be a function/);
  });

  it('refuses an invalid schedule string before running', () => {
    const c = counted();
    expect(() => replay(c.scenario, 'v1:1*2.banana')).toThrowError(/bad item 2 \('banana'\)/);
    expect(() => shrink(c.scenario, 'nope', RACE_TITLE)).toThrowError(/not a schedule string/);
    expect(c.calls()).toBe(0);
  });

  it('a strict replay that names a task that cannot run says where it diverged', () => {
    expect(() => replay(checkThenAct(false), 'v1:1*3.7')).toThrowError(
      'schedule diverged at decision 4 of 4: pid 7 is not runnable (runnable: worker/1, teardown/2)',
    );
    // Lenient replay falls back to the default there and runs to the end.
    const r = replay(checkThenAct(false), 'v1:1*3.7', { lenient: true });
    expect(r.outcome).toBe('clean');
  });
});
