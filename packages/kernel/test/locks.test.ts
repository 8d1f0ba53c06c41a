/**
 * Locking primitives: spinlock (and scheduling while atomic), mutex, the big kernel lock,
 * rw_semaphore, and what the deadlock detectors report for lock-order inversions.
 */
import { describe, expect, it } from 'vitest';
import {
  type Chooser,
  complete,
  completion,
  current,
  DECLARE_RWSEM,
  DEFINE_MUTEX,
  DEFINE_SPINLOCK,
  down_read,
  down_write,
  EINTR,
  jiffies,
  kernel_locked,
  kill_proc,
  lock_kernel,
  Machine,
  msleep,
  mutex_is_locked,
  mutex_lock,
  mutex_lock_interruptible,
  mutex_trylock,
  mutex_unlock,
  newestChooser,
  type RunResult,
  randomChooser,
  rotateChooser,
  SIGINT,
  sched_point,
  spin_lock,
  spin_unlock,
  TASK_SPINNING,
  TASK_UNINTERRUPTIBLE,
  type task_struct,
  unlock_kernel,
  up_read,
  up_write,
  wait_event_interruptible,
  wait_for_completion,
  wait_queue_head_t,
  wake_up,
} from '../src/index.js';

const rotate = rotateChooser;
const newest = newestChooser;
const seeded = randomChooser;
const choosers: Array<[string, Chooser]> = [
  ['rotate', rotate],
  ['newest', newest],
  ['seed 1', seeded(1)],
  ['seed 42', seeded(42)],
];

describe('spinlock', () => {
  /** Three tasks increment a counter with a read-modify-write split by a scheduling point. */
  function counterRun(chooser: Chooser, locked: boolean) {
    const m = new Machine();
    const lock = DEFINE_SPINLOCK('counter_lock');
    const st = { counter: 0, inside: 0, maxInside: 0 };
    for (const name of ['a', 'b', 'c']) {
      m.spawn_user(name, function* () {
        for (let i = 0; i < 5; i++) {
          if (locked) yield* spin_lock(lock);
          st.inside++;
          st.maxInside = Math.max(st.maxInside, st.inside);
          const v = st.counter;
          yield* sched_point(); // another CPU may run here
          st.counter = v + 1;
          st.inside--;
          if (locked) yield* spin_unlock(lock);
        }
      });
    }
    return { r: m.run({ chooser }), st };
  }

  it.each(choosers)('keeps critical sections exclusive (%s)', (_name, chooser) => {
    const { r, st } = counterRun(chooser, true);
    expect(r.outcome).toBe('clean');
    expect(r.decisions.length).toBeGreaterThan(0);
    expect(st.maxInside).toBe(1);
    expect(st.counter).toBe(15);
  });

  it('control: without the lock the same interleaving loses updates', () => {
    const { r, st } = counterRun(rotate, false);
    expect(r.outcome).toBe('clean');
    expect(st.maxInside).toBeGreaterThan(1);
    expect(st.counter).toBeLessThan(15);
  });

  it('parks a contending task as a spinner and resumes it after the unlock', () => {
    const m = new Machine();
    const lock = DEFINE_SPINLOCK('l');
    const seen: string[] = [];
    let spinner: task_struct | null = null;
    let stateWhileHeld = -1;
    m.spawn_user('holder', function* () {
      yield* spin_lock(lock);
      seen.push('holder locked');
      yield* sched_point(); // the spinner tries now
      yield* sched_point();
      stateWhileHeld = spinner!.state;
      seen.push('holder unlocks');
      yield* spin_unlock(lock);
    });
    spinner = m.spawn_user('spinner', function* () {
      yield* spin_lock(lock);
      seen.push('spinner locked');
      yield* spin_unlock(lock);
    });
    const r = m.run({ chooser: rotate });
    expect(r.outcome).toBe('clean');
    expect(stateWhileHeld).toBe(TASK_SPINNING);
    expect(seen).toEqual(['holder locked', 'holder unlocks', 'spinner locked']);
  });

  it('reports sleeping with a spinlock held as scheduling while atomic', () => {
    const m = new Machine();
    const lock = DEFINE_SPINLOCK('l');
    function* sleepy_holder() {
      yield* spin_lock(lock);
      yield* msleep(10);
      yield* spin_unlock(lock);
    }
    const t = m.spawn_user('sleepy', sleepy_holder);
    const r = m.run();
    expect(r.outcome).toBe('crash');
    expect(r.report?.kind).toBe('sleep-in-atomic');
    // One spinlock plus schedule()'s own preempt_disable().
    expect(r.report?.headline).toBe(`BUG: scheduling while atomic: sleepy/${t.pid}/0x00000002`);
    expect(r.report?.title).toBe('BUG: scheduling while atomic in sleepy_holder');
    expect(r.report?.backtrace).toContain('msleep');
  });

  it('counts nested spinlocks in the preempt count', () => {
    const m = new Machine();
    const a = DEFINE_SPINLOCK('a');
    const b = DEFINE_SPINLOCK('b');
    function* nested_sleeper() {
      yield* spin_lock(a);
      yield* spin_lock(b);
      yield* msleep(1);
    }
    m.spawn_user('nested', nested_sleeper);
    expect(m.run().report?.headline).toMatch(/\/0x00000003$/);
  });

  it('does not report a sleep after the unlock, nor a sleep under the BKL', () => {
    const m = new Machine();
    const lock = DEFINE_SPINLOCK('l');
    m.spawn_user('t', function* () {
      yield* spin_lock(lock);
      yield* spin_unlock(lock);
      yield* lock_kernel();
      yield* msleep(10); // the BKL is dropped over the sleep, not an atomic section
      yield* unlock_kernel();
    });
    expect(m.run().outcome).toBe('clean');
  });
});

describe('mutex', () => {
  it('records its owner, and mutex_trylock fails while it is held', () => {
    const m = new Machine();
    const a = DEFINE_MUTEX('a');
    const got: Array<number | boolean | string> = [];
    m.spawn_user('owner', function* () {
      yield* mutex_lock(a);
      got.push(a.owner === current, mutex_is_locked(a));
      yield* msleep(10);
      yield* mutex_unlock(a);
      got.push(`unlocked owner=${String(a.owner)}`);
    });
    m.spawn_user('try', function* () {
      yield* msleep(5);
      got.push(yield* mutex_trylock(a)); // held by owner
      yield* msleep(10);
      got.push(yield* mutex_trylock(a)); // free now
      got.push(a.owner === current);
      yield* mutex_unlock(a);
    });
    const r = m.run();
    expect(r.outcome).toBe('clean');
    expect(got).toEqual([true, true, 0, 'unlocked owner=null', 1, true]);
  });

  it('hands the mutex to waiters in FIFO order, waking one at a time', () => {
    const m = new Machine();
    const a = DEFINE_MUTEX('a');
    const order: string[] = [];
    const waiters: task_struct[] = [];
    let othersWhileFirstHolds: number[] = [];
    m.spawn_user('holder', function* () {
      yield* mutex_lock(a);
      order.push('holder');
      yield* msleep(100);
      yield* mutex_unlock(a);
    });
    for (const [i, name] of ['w1', 'w2', 'w3'].entries()) {
      waiters.push(
        m.spawn_user(name, function* () {
          yield* msleep(10 * (3 - i)); // queue in the order w3, w2, w1
          yield* mutex_lock(a);
          order.push(name);
          if (order.length === 2) othersWhileFirstHolds = waiters.map((w) => w.state);
          yield* sched_point();
          yield* mutex_unlock(a);
        }),
      );
    }
    const r = m.run({ chooser: rotate });
    expect(r.outcome).toBe('clean');
    expect(order).toEqual(['holder', 'w3', 'w2', 'w1']);
    // When w3 got the mutex, w1 and w2 still slept: the unlock woke only the first waiter.
    expect(othersWhileFirstHolds).toEqual([TASK_UNINTERRUPTIBLE, TASK_UNINTERRUPTIBLE, 0]);
  });

  it('mutex_lock_interruptible returns -EINTR when a signal arrives, mutex_lock does not', () => {
    const m = new Machine();
    const a = DEFINE_MUTEX('a');
    const res: Record<string, number> = {};
    m.spawn_user('holder', function* () {
      yield* mutex_lock(a);
      yield* msleep(100);
      yield* mutex_unlock(a);
    });
    const intr = m.spawn_user('intr', function* () {
      yield* msleep(1);
      res.ret = yield* mutex_lock_interruptible(a);
      res.at = jiffies;
      res.owner = a.owner === current ? 1 : 0;
      res.queued = a.wait_list.includes(current) ? 1 : 0;
    });
    const unintr = m.spawn_user('unintr', function* () {
      yield* msleep(2);
      yield* mutex_lock(a);
      res.unintrAt = jiffies;
      yield* mutex_unlock(a);
    });
    m.spawn_user('killer', function* () {
      yield* msleep(10);
      res.kill1 = kill_proc(intr.pid, SIGINT, 1);
      res.kill2 = kill_proc(unintr.pid, SIGINT, 1);
    });
    const r = m.run();
    expect(r.outcome).toBe('clean');
    expect(res).toMatchObject({ ret: -EINTR, owner: 0, queued: 0, kill1: 0, kill2: 0 });
    expect(res.at).toBe(11); // killed at 11 (msleep(10) sleeps 11 jiffies), long before 101
    expect(res.unintrAt).toBeGreaterThanOrEqual(101);
  });

  it('unlock by a task that does not own it: lockdep catches it before DEBUG_MUTEXES', () => {
    const m = new Machine();
    const a = DEFINE_MUTEX('nlm_host_mutex');
    m.spawn_user('owner', function* () {
      yield* mutex_lock(a);
      yield* msleep(100);
    });
    function* wrong_unlocker() {
      yield* msleep(1);
      yield* mutex_unlock(a);
    }
    m.spawn_user('other', wrong_unlocker);
    const r = m.run();
    expect(r.outcome).toBe('crash');
    // 2.6.24's mutex_unlock calls mutex_release() (lockdep) before debug_mutex_unlock(); lockdep
    // reports the imbalance and turns debug_locks off, so DEBUG_LOCKS_WARN_ON stays silent.
    expect(r.report?.kind).toBe('lockdep-bad-unlock');
    expect(r.report?.text).toContain('nlm_host_mutex');
    expect(r.report?.title).toContain('wrong_unlocker');
  });
});

describe('big kernel lock', () => {
  it('nests through lock_depth and is released by the outermost unlock only', () => {
    const m = new Machine();
    const seen: string[] = [];
    m.spawn_user('holder', function* () {
      yield* lock_kernel();
      yield* lock_kernel();
      seen.push(`depth ${current.lock_depth}`);
      yield* unlock_kernel();
      seen.push(`depth ${current.lock_depth} locked ${kernel_locked()}`);
      yield* sched_point();
      yield* sched_point();
      seen.push('holder releases');
      yield* unlock_kernel();
      seen.push(`depth ${current.lock_depth} locked ${kernel_locked()}`);
    });
    m.spawn_user('other', function* () {
      yield* lock_kernel();
      seen.push('other has BKL');
      yield* unlock_kernel();
    });
    const r = m.run({ chooser: rotate });
    expect(r.outcome).toBe('clean');
    expect(seen).toEqual([
      'depth 1',
      'depth 0 locked true',
      'holder releases',
      'other has BKL', // unlock_kernel() ends in a preemption point
      'depth -1 locked false',
    ]);
  });

  it('is dropped while its holder sleeps, and the holder cannot run on until it has it back', () => {
    for (const [, chooser] of choosers) {
      const seen: string[] = [];
      const r = runBklScenario(new Machine(), seen, chooser);
      expect(r.outcome).toBe('clean');
      expect(seen).toEqual([
        'other has BKL',
        'other step 0',
        'other step 1',
        'other step 2',
        'other unlocks',
        'holder resumed, depth 1, locked true',
      ]);
    }
  });

  it('cannot deadlock against a mutex: the sleeping BKL holder lets the mutex holder in', () => {
    for (const [, chooser] of choosers) {
      const m = new Machine();
      const a = DEFINE_MUTEX('a');
      m.spawn_user('bkl_then_mutex', function* () {
        yield* lock_kernel();
        yield* sched_point();
        yield* mutex_lock(a); // sleeps if `a` is taken: the BKL goes with the sleep
        yield* mutex_unlock(a);
        yield* unlock_kernel();
      });
      m.spawn_user('mutex_then_bkl', function* () {
        yield* mutex_lock(a);
        yield* sched_point();
        yield* lock_kernel();
        yield* unlock_kernel();
        yield* mutex_unlock(a);
      });
      expect(m.run({ chooser }).outcome).toBe('clean');
    }
  });
});

/**
 * The BKL holder (nested twice) sleeps on a completion; the other task takes the BKL,
 * completes, and keeps the BKL over three preemption points.
 */
function runBklScenario(m: Machine, seen: string[], chooser: Chooser): RunResult {
  const done = new completion('done');
  m.spawn_user('holder', function* () {
    yield* lock_kernel();
    yield* lock_kernel();
    yield* wait_for_completion(done);
    seen.push(`holder resumed, depth ${current.lock_depth}, locked ${kernel_locked()}`);
    yield* unlock_kernel();
    yield* unlock_kernel();
  });
  m.spawn_user('other', function* () {
    yield* lock_kernel();
    seen.push('other has BKL');
    complete(done); // holder is runnable from here on...
    for (let i = 0; i < 3; i++) {
      yield* sched_point(); // ...and the chooser may offer it the CPU
      seen.push(`other step ${i}`);
    }
    seen.push('other unlocks');
    yield* unlock_kernel();
  });
  return m.run({ chooser });
}

describe('rw_semaphore', () => {
  it('lets readers share and keeps a writer exclusive, under every chooser', () => {
    for (const [, chooser] of choosers) {
      const m = new Machine();
      const sem = DECLARE_RWSEM('sem');
      const st = { readers: 0, writers: 0, maxReaders: 0, bad: 0 };
      for (const name of ['r1', 'r2', 'r3']) {
        m.spawn_user(name, function* () {
          for (let i = 0; i < 3; i++) {
            yield* down_read(sem);
            st.readers++;
            st.maxReaders = Math.max(st.maxReaders, st.readers);
            if (st.writers > 0) st.bad++;
            yield* sched_point();
            st.readers--;
            yield* up_read(sem);
          }
        });
      }
      m.spawn_user('w', function* () {
        for (let i = 0; i < 3; i++) {
          yield* down_write(sem);
          st.writers++;
          if (st.readers > 0 || st.writers > 1) st.bad++;
          yield* sched_point();
          st.writers--;
          yield* up_write(sem);
        }
      });
      const r = m.run({ chooser });
      expect(r.outcome).toBe('clean');
      expect(st.bad).toBe(0);
      if (chooser === rotate) expect(st.maxReaders).toBeGreaterThan(1);
    }
  });

  it('is fair: a reader that comes after a waiting writer waits behind it', () => {
    const m = new Machine();
    const sem = DECLARE_RWSEM('sem');
    const order: string[] = [];
    m.spawn_user('r1', function* () {
      yield* down_read(sem);
      order.push(`r1 in @${jiffies}`);
      yield* msleep(50);
      order.push(`r1 out @${jiffies}`);
      yield* up_read(sem);
    });
    m.spawn_user('w', function* () {
      yield* msleep(5);
      yield* down_write(sem); // r1 holds it for read: queue
      order.push(`w in @${jiffies}`);
      yield* msleep(20);
      order.push(`w out @${jiffies}`);
      yield* up_write(sem);
    });
    m.spawn_user('r2', function* () {
      yield* msleep(10);
      yield* down_read(sem); // readers could share with r1, but a writer is queued first
      order.push(`r2 in @${jiffies}`);
      yield* up_read(sem);
    });
    const r = m.run();
    expect(r.outcome).toBe('clean');
    expect(order).toEqual(['r1 in @0', 'r1 out @51', 'w in @51', 'w out @72', 'r2 in @72']);
  });
});

describe('lock-order inversions', () => {
  it('AB-BA on two mutexes: lockdep reports it before the tasks hang', () => {
    const m = new Machine();
    const a = DEFINE_MUTEX('A');
    const b = DEFINE_MUTEX('B');
    const body = (x: typeof a, y: typeof a) =>
      function* () {
        yield* mutex_lock(x);
        yield* mutex_lock(y);
        yield* mutex_unlock(y);
        yield* mutex_unlock(x);
      };
    m.spawn_user('t1', body(a, b));
    m.spawn_user('t2', body(b, a));
    const r = m.run({ chooser: rotate });
    expect(r.outcome).toBe('crash');
    // The deadlock needs both second acquisitions to be attempted; lockdep checks each attempt
    // before the task sleeps, so the second one closes the A->B->A cycle and is reported first.
    expect(r.report?.kind).toBe('lockdep-circular');
    // The task bodies are anonymous: the title names the primitive they called, not the
    // report machinery inside it.
    expect(r.report?.title).toBe('possible deadlock in mutex_lock');
  });

  it('a mutex against a completion: lockdep cannot see it, the hung-task detector does', () => {
    const m = new Machine();
    const a = DEFINE_MUTEX('config_mutex');
    const ready = new completion('ready');
    function* wait_for_peer() {
      yield* mutex_lock(a);
      yield* wait_for_completion(ready); // the peer completes it only after taking `a`
      yield* mutex_unlock(a);
    }
    function* peer_setup() {
      yield* msleep(1);
      yield* mutex_lock(a);
      complete(ready);
      yield* mutex_unlock(a);
    }
    const waiter = m.spawn_user('waiter', wait_for_peer);
    m.spawn_user('peer', peer_setup);
    const r = m.run();
    expect(r.outcome).toBe('crash');
    expect(r.report?.kind).toBe('hung-task');
    expect(r.report?.headline).toBe(
      `INFO: task waiter:${waiter.pid} blocked for more than 120 seconds.`,
    );
    expect(r.report?.title).toBe('INFO: task hung in wait_for_peer');
    expect(r.report?.text).toContain('also blocked: peer');
  });

  it('user processes asleep for good with no timer pending: a global deadlock', () => {
    const m = new Machine();
    const q = new wait_queue_head_t('handshake');
    const flags = { a: false, b: false };
    function* wait_for_peer_flag(mine: 'a' | 'b', theirs: 'a' | 'b') {
      yield* wait_event_interruptible(q, () => flags[theirs]); // each waits before it signals
      flags[mine] = true;
      wake_up(q);
    }
    const a = m.spawn_user('proc_a', () => wait_for_peer_flag('a', 'b'));
    m.spawn_user('proc_b', () => wait_for_peer_flag('b', 'a'));
    const r = m.run();
    expect(r.outcome).toBe('crash');
    // Interruptible sleepers are not hung tasks (a signal could still end them); the model
    // reports user processes that can never run again as a global deadlock.
    expect(r.report?.kind).toBe('deadlock');
    expect(r.report?.title).toBe('deadlock: task proc_a sleeps forever in wait_for_peer_flag');
    expect(r.report?.task).toEqual({ pid: a.pid, comm: 'proc_a' });
  });
});
