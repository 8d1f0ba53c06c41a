/**
 * Wait queues: wait_event, exclusive wake-ups, and the lost wake-up that the
 * prepare_to_wait() ordering prevents, checked over every interleaving of a small program.
 */
import { describe, expect, it } from 'vitest';
import {
  add_wait_queue,
  type Chooser,
  DECLARE_WAITQUEUE,
  DEFINE_WAIT,
  ERESTARTSYS,
  finish_wait,
  jiffies,
  kill_proc,
  Machine,
  msleep,
  newestChooser,
  prepare_to_wait,
  prepare_to_wait_exclusive,
  type RunResult,
  randomChooser,
  remove_wait_queue,
  rotateChooser,
  SIGTERM,
  sched_point,
  schedule,
  set_current_state,
  TASK_DEAD,
  TASK_RUNNING,
  TASK_UNINTERRUPTIBLE,
  type task_struct,
  wait_event,
  wait_event_interruptible,
  wait_queue_head_t,
  wake_up,
  wake_up_all,
} from '../src/index.js';

const rotate = rotateChooser;
const newest = newestChooser;
const seeded = randomChooser;

/**
 * Every schedule of a small program, by depth-first search over the choices made at each
 * decision point (the scheduler is deterministic, so a choice prefix replays exactly).
 */
function everySchedule(build: (m: Machine) => void, limit = 20_000): RunResult[] {
  const results: RunResult[] = [];
  const todo: number[][] = [[]];
  while (todo.length > 0) {
    if (results.length >= limit) throw new Error(`more than ${limit} schedules`);
    const prefix = todo.pop()!;
    const widths: number[] = [];
    const chooser: Chooser = {
      choose: (rq) => {
        const k = widths.length < prefix.length ? prefix[widths.length]! : 0;
        widths.push(rq.length);
        return rq[k]!;
      },
    };
    const m = new Machine();
    build(m);
    results.push(m.run({ chooser, maxSteps: 10_000 }));
    for (let j = prefix.length; j < widths.length; j++) {
      for (let k = 1; k < widths[j]!; k++) {
        todo.push([...prefix, ...new Array<number>(j - prefix.length).fill(0), k]);
      }
    }
  }
  return results;
}

describe('wait_event', () => {
  it('sleeps until the condition holds, and goes back to sleep on a spurious wake-up', () => {
    const m = new Machine();
    const q = new wait_queue_head_t('event_wq');
    let ready = false;
    let waiter: task_struct | null = null;
    const seen: string[] = [];
    waiter = m.spawn_user('waiter', function* () {
      yield* wait_event(q, () => ready);
      seen.push(`waiter saw ready @${jiffies}`);
    });
    m.spawn_user('waker', function* () {
      yield* msleep(9);
      wake_up(q); // condition still false
      yield* sched_point();
      seen.push(`after spurious wake: state ${waiter!.state}`);
      yield* msleep(9);
      ready = true;
      wake_up(q);
    });
    const r = m.run({ chooser: rotate });
    expect(r.outcome).toBe('clean');
    expect(seen).toEqual([
      `after spurious wake: state ${TASK_UNINTERRUPTIBLE}`,
      'waiter saw ready @20',
    ]);
  });

  it('wait_event_interruptible returns -ERESTARTSYS on a signal', () => {
    const m = new Machine();
    const q = new wait_queue_head_t('q');
    let ret = 1;
    const t = m.spawn_user('waiter', function* () {
      ret = yield* wait_event_interruptible(q, () => false);
    });
    m.spawn_user('killer', function* () {
      yield* msleep(5);
      kill_proc(t.pid, SIGTERM, 1);
    });
    expect(m.run().outcome).toBe('clean');
    expect(ret).toBe(-ERESTARTSYS);
  });
});

describe('exclusive wake-ups', () => {
  it('wake_up wakes every non-exclusive waiter and one exclusive waiter', () => {
    const m = new Machine();
    const q = new wait_queue_head_t('accept_wq');
    let tokens = 0;
    let open = false;
    const tasks: task_struct[] = [];
    const snapshots: string[] = [];
    const passed: string[] = [];
    for (const name of ['e1', 'e2', 'e3']) {
      tasks.push(
        m.spawn_user(name, function* () {
          const w = DEFINE_WAIT();
          for (;;) {
            prepare_to_wait_exclusive(q, w, TASK_UNINTERRUPTIBLE);
            if (tokens > 0) break;
            yield* schedule();
          }
          tokens--;
          finish_wait(q, w);
          passed.push(`${name} @${jiffies}`);
        }),
      );
    }
    tasks.push(
      m.spawn_user('shared', function* () {
        yield* wait_event(q, () => open);
        passed.push(`shared @${jiffies}`);
      }),
    );
    const states = () =>
      tasks
        .map((t) => (t.state === TASK_RUNNING ? 'R' : t.state === TASK_DEAD ? 'X' : 'D'))
        .join('');
    m.spawn_user('waker', function* () {
      yield* msleep(9);
      tokens = 1;
      open = true;
      wake_up(q);
      snapshots.push(states());
      yield* msleep(9);
      tokens += 2;
      wake_up_all(q);
      snapshots.push(states());
    });
    const r = m.run();
    expect(r.outcome).toBe('clean');
    // e1 queued first among the exclusive waiters; the non-exclusive one is always woken, and
    // first: prepare_to_wait() queues at the head, prepare_to_wait_exclusive() at the tail.
    expect(snapshots).toEqual(['RDDR', 'XRRX']);
    expect(passed).toEqual(['shared @10', 'e1 @10', 'e2 @20', 'e3 @20']);
  });
});

/** A flag, the wait queue it is announced on, and a waker that sets it and wakes. */
function lostWakeupProgram(
  sleeper: (q: wait_queue_head_t, flag: { set: boolean }) => Generator<number, void, void>,
) {
  return (m: Machine) => {
    const q = new wait_queue_head_t('flag_wq');
    const flag = { set: false };
    m.spawn_user('sleeper', () => sleeper(q, flag));
    m.spawn_user('waker', function* () {
      yield* sched_point();
      flag.set = true;
      yield* sched_point();
      wake_up(q);
    });
  };
}

/** The bug: test the condition, then queue and sleep without testing it again. */
function* buggy_wait_for_flag(q: wait_queue_head_t, flag: { set: boolean }) {
  if (!flag.set) {
    // The model switches tasks only at scheduling points; on SMP the waker can run on another
    // CPU anywhere in here, which this point stands for.
    yield* sched_point();
    const w = DECLARE_WAITQUEUE();
    add_wait_queue(q, w);
    set_current_state(TASK_UNINTERRUPTIBLE);
    yield* schedule();
    remove_wait_queue(q, w);
  }
}

/** The fix: queue and set the state first (prepare_to_wait), then test, then sleep. */
function* careful_wait_for_flag(q: wait_queue_head_t, flag: { set: boolean }) {
  const w = DEFINE_WAIT();
  for (;;) {
    prepare_to_wait(q, w, TASK_UNINTERRUPTIBLE);
    yield* sched_point(); // same windows as above: between queueing and testing...
    if (flag.set) break;
    yield* sched_point(); // ...and between testing and sleeping
    yield* schedule();
  }
  finish_wait(q, w);
}

describe('lost wake-up', () => {
  it('checking the condition before queueing loses the wake-up in some schedule: hung task', () => {
    const runs = everySchedule(lostWakeupProgram(buggy_wait_for_flag));
    const hung = runs.filter((r) => r.outcome === 'crash');
    expect(runs.length).toBeGreaterThan(3);
    expect(hung.length).toBeGreaterThan(0);
    expect(runs.filter((r) => r.outcome === 'clean').length).toBeGreaterThan(0);
    for (const r of hung) {
      expect(r.report?.kind).toBe('hung-task');
      expect(r.report?.title).toBe('INFO: task hung in buggy_wait_for_flag');
      expect(r.report?.headline).toMatch(
        /^INFO: task sleeper:1 blocked for more than 120 seconds\.$/,
      );
    }
  });

  it('the prepare_to_wait ordering is clean under every schedule', () => {
    const runs = everySchedule(lostWakeupProgram(careful_wait_for_flag));
    expect(runs.length).toBeGreaterThan(10);
    expect(runs.every((r) => r.outcome === 'clean')).toBe(true);
  });

  it('the prepare_to_wait ordering is clean under rotating, newest-first and seeded choosers', () => {
    for (const chooser of [rotate, newest, seeded(1), seeded(2), seeded(3), seeded(99)]) {
      const m = new Machine();
      lostWakeupProgram(careful_wait_for_flag)(m);
      expect(m.run({ chooser }).outcome).toBe('clean');
    }
  });
});
