/** Kernel threads (kernel/kthread.c, 2.6.24): kthread_run, kthread_stop, kthread_should_stop. */
import { describe, expect, it } from 'vitest';
import {
  type Chooser,
  DEFINE_MUTEX,
  EINTR,
  ENOMEM,
  type ErrPtr,
  failslab_configure,
  HZ,
  IS_ERR,
  is_kthread,
  kthread_create,
  kthread_run,
  kthread_should_stop,
  kthread_stop,
  Machine,
  msleep,
  mutex_lock,
  mutex_unlock,
  newestChooser,
  PTR_ERR,
  schedule_timeout_interruptible,
  slab_live_objects,
  slab_meta,
  TASK_DEAD,
  type task_struct,
} from '../src/index.js';

const newest = newestChooser;

interface Probe {
  ran: boolean;
  cleanedUp: boolean;
  loops: number;
  stopSeen: boolean[];
}

/** A thread function in the usual shape: set up, loop until asked to stop, clean up. */
function* worker_fn(p: Probe): Generator<number, number, void> {
  p.ran = true;
  while (!kthread_should_stop()) {
    p.stopSeen.push(false);
    p.loops++;
    yield* schedule_timeout_interruptible(HZ);
  }
  p.stopSeen.push(true);
  p.cleanedUp = true;
  return 100 + p.loops;
}

function probe(): Probe {
  return { ran: false, cleanedUp: false, loops: 0, stopSeen: [] };
}

describe('kthread', () => {
  it('kthread_stop wakes the thread, waits for it, and returns what its function returned', () => {
    const m = new Machine();
    const p = probe();
    let ret = 0;
    let k: task_struct | null = null;
    m.spawn_user('insmod', function* () {
      k = (yield* kthread_run(worker_fn, p, 'kworker')) as task_struct;
      yield* msleep(2500); // the thread loops at 0, 1000, 2000
      ret = yield* kthread_stop(k);
    });
    const r = m.run();
    expect(r.outcome).toBe('clean');
    expect(is_kthread(k!)).toBe(true);
    expect(k!.state).toBe(TASK_DEAD);
    expect(p).toEqual({
      ran: true,
      cleanedUp: true,
      loops: 3,
      stopSeen: [false, false, false, true],
    });
    expect(ret).toBe(103);
    expect(r.jiffies).toBe(2501); // kthread_stop woke it at once: no wait for its timeout
  });

  it('kthread_stop before the thread ever ran returns -EINTR and the function never runs', () => {
    const m = new Machine();
    const p = probe();
    let ret = 0;
    m.spawn_user('insmod', function* () {
      const k = (yield* kthread_create(worker_fn, p, 'kworker')) as task_struct;
      ret = yield* kthread_stop(k); // never woken with wake_up_process()
    });
    const r = m.run();
    expect(r.outcome).toBe('clean');
    expect(ret).toBe(-EINTR);
    expect(p.ran).toBe(false);
    expect(p.cleanedUp).toBe(false); // the cleanup in the function is skipped too
  });

  it('kthread_run followed at once by kthread_stop races with the thread start', () => {
    // The 2.6.24 hazard behind the lockd_up/lockd_down bug: if the stopper runs before the new
    // thread's first run, the thread sees kthread_should_stop() and its function never runs.
    const outcome = (chooser: Chooser | undefined) => {
      const m = new Machine();
      const p = probe();
      let ret = 0;
      m.spawn_user('lockd_updown', function* () {
        const k = (yield* kthread_run(worker_fn, p, 'lockd')) as task_struct;
        ret = yield* kthread_stop(k);
      });
      expect(m.run(chooser ? { chooser } : {}).outcome).toBe('clean');
      return { ret, ran: p.ran, cleanedUp: p.cleanedUp };
    };
    expect(outcome(undefined)).toEqual({ ret: -EINTR, ran: false, cleanedUp: false });
    expect(outcome(newest)).toEqual({ ret: 101, ran: true, cleanedUp: true });
  });

  it('kthread_create fails with -ENOMEM when the task_struct allocation fails', () => {
    const m = new Machine();
    let res: task_struct | ErrPtr | null = null;
    m.spawn_user('insmod', function* () {
      failslab_configure({ type: 'task_struct' });
      res = yield* kthread_run(worker_fn, probe(), 'kworker');
    });
    expect(m.run().outcome).toBe('clean');
    expect(IS_ERR(res)).toBe(true);
    expect(PTR_ERR(res as unknown as ErrPtr)).toBe(-ENOMEM);
    expect(m.tasks.map((t) => t.comm)).toEqual(['insmod']);
  });

  it('frees the task_struct allocation when the thread exits', () => {
    const m = new Machine();
    m.spawn_user('insmod', function* () {
      const k = (yield* kthread_run(worker_fn, probe(), 'kworker')) as task_struct;
      yield* kthread_stop(k);
    });
    expect(m.run().outcome).toBe('clean');
    const live = slab_live_objects(m).filter((o) => slab_meta(o)?.type === 'task_struct');
    expect(live).toEqual([]);
  });

  it('kthread_stop under a mutex the thread needs hangs: the hung-task detector reports it', () => {
    const m = new Machine();
    const config = DEFINE_MUTEX('config_mutex');
    function* needs_config(_: null) {
      for (;;) {
        yield* schedule_timeout_interruptible(HZ);
        yield* mutex_lock(config); // re-reads its configuration after every wake-up
        yield* mutex_unlock(config);
        if (kthread_should_stop()) return 0;
      }
    }
    function* shutdown_service(k: task_struct) {
      yield* mutex_lock(config);
      yield* kthread_stop(k); // waits for a thread that waits for us
      yield* mutex_unlock(config);
    }
    const stopper = m.spawn_user('rmmod', function* () {
      const k = (yield* kthread_run(needs_config, null, 'ksvc')) as task_struct;
      yield* msleep(1500);
      yield* shutdown_service(k);
    });
    const r = m.run();
    expect(r.outcome).toBe('crash');
    // lockdep does not track completions, so nothing fires before the tasks are stuck.
    expect(r.report?.kind).toBe('hung-task');
    expect(r.report?.title).toBe('INFO: task hung in shutdown_service');
    expect(r.report?.headline).toBe(
      `INFO: task rmmod:${stopper.pid} blocked for more than 120 seconds.`,
    );
    expect(r.report?.text).toContain('also blocked: ksvc');
  });
});
