import { describe, expect, it } from 'vitest';
import {
  current,
  DECLARE_RWSEM,
  DEFINE_MUTEX,
  DEFINE_SPINLOCK,
  do_exit,
  down_read,
  down_write,
  held_locks,
  type Kfn,
  kthread_run,
  LockstepUsageError,
  lock_acquire,
  lock_is_held,
  lock_kernel,
  lock_release,
  lockdep_map,
  lockdep_print_held_locks,
  Machine,
  type mutex,
  mutex_lock,
  mutex_unlock,
  type RunResult,
  rotateChooser,
  sched_point,
  spin_lock,
  spin_lock_bh,
  spin_lock_irqsave,
  spin_trylock,
  spin_unlock,
  spin_unlock_bh,
  spin_unlock_irqrestore,
  syscall,
  up_read,
  up_write,
} from '../src/index.js';

const rotate = rotateChooser;

function* lock_two(first: mutex, second: mutex): Kfn {
  yield* mutex_lock(first);
  yield* mutex_lock(second);
  yield* mutex_unlock(second);
  yield* mutex_unlock(first);
}

function lines(r: RunResult): string[] {
  return (r.report?.text ?? '').split('\n');
}

/** The lines after `header` up to the next blank line. */
function section(r: RunResult, header: string): string[] {
  const l = lines(r);
  const i = l.indexOf(header);
  expect(i, `missing "${header}" in\n${r.report?.text}`).toBeGreaterThanOrEqual(0);
  const out: string[] = [];
  for (let j = i + 1; j < l.length && l[j] !== ''; j++) out.push(l[j]!);
  return out;
}

describe('lockdep: circular dependencies', () => {
  it('reports AB-BA across two tasks even when the schedule does not deadlock', () => {
    const m = new Machine();
    const a = DEFINE_MUTEX('lock_a');
    const b = DEFINE_MUTEX('lock_b');
    let firstDone = false;
    function* ab_path(): Kfn {
      yield* mutex_lock(a);
      yield* mutex_lock(b);
      yield* mutex_unlock(b);
      yield* mutex_unlock(a);
    }
    function* ba_path(): Kfn {
      yield* mutex_lock(b);
      yield* mutex_lock(a);
      yield* mutex_unlock(a);
      yield* mutex_unlock(b);
    }
    m.spawn_user('t1', function* () {
      yield* ab_path();
      firstDone = true;
    });
    m.spawn_user('t2', function* () {
      yield* ba_path();
    });
    const r = m.run(); // non-preemptive: t1 runs to completion before t2 starts
    expect(firstDone).toBe(true);
    expect(r.outcome).toBe('crash');
    expect(r.report?.kind).toBe('lockdep-circular');
    expect(r.report?.title).toBe('possible deadlock in ba_path');
    expect(r.report?.headline).toBe('[ INFO: possible circular locking dependency detected ]');
    expect(r.report?.task).toEqual({ pid: 2, comm: 't2' });
    const l = lines(r);
    // print_circular_bug_header(), v2.6.24:kernel/lockdep.c: "\n" + 55 '=', the bracketed
    // line, print_kernel_version() ("%s %.*s": "2.6.24 #1"), 55 '-'.
    expect(l.slice(0, 5)).toEqual([
      '',
      '='.repeat(55),
      '[ INFO: possible circular locking dependency detected ]',
      '2.6.24 #1',
      '-'.repeat(55),
    ]);
    expect(section(r, 't2/2 is trying to acquire lock:')).toEqual([
      ' (lock_a){--..}, at: [<ffffffff00000000>] ba_path+0x0/0x0',
    ]);
    expect(section(r, 'but task is already holding lock:')).toEqual([
      ' (lock_b){--..}, at: [<ffffffff00000000>] ba_path+0x0/0x0',
    ]);
    expect(r.report?.text).toContain(
      'which lock already depends on the new lock.\n\n\nthe existing dependency chain (in reverse order) is:\n\n-> #1 (lock_b){--..}:\n',
    );
    // #1 is the edge lock_a -> lock_b, with the stack of t1 taking lock_b.
    const edge = section(r, '-> #1 (lock_b){--..}:');
    expect(edge[0]).toBe('       [<ffffffff00000000>] lock_acquire+0x0/0x0');
    expect(edge).toContain('       [<ffffffff00000000>] mutex_lock+0x0/0x0');
    expect(edge).toContain('       [<ffffffff00000000>] ab_path+0x0/0x0');
    expect(edge.join('\n')).not.toContain('ba_path');
    // #0 is the acquisition being checked.
    const now = section(r, '-> #0 (lock_a){--..}:');
    expect(now[0]).toBe('       [<ffffffff00000000>] check_prev_add+0x0/0x0');
    expect(now).toContain('       [<ffffffff00000000>] ba_path+0x0/0x0');
    // 2.6.24 prints no scenario (it came in 3.0).
    expect(r.report?.text).not.toContain('Chain exists of:');
    expect(r.report?.text).not.toContain('Possible unsafe locking scenario');
    expect(r.report?.text).toContain('other info that might help us debug this:\n\n1 lock held');
    expect(section(r, '1 lock held by t2/2:')).toEqual([
      ' #0:  (lock_b){--..}, at: [<ffffffff00000000>] ba_path+0x0/0x0',
    ]);
    // dump_stack(), v2.6.24:arch/x86/kernel/traps_64.c: "Pid: %d, comm: %.20s %s %s %.*s",
    // then show_trace()'s "\nCall Trace:\n".
    expect(section(r, 'stack backtrace:')).toEqual(['Pid: 2, comm: t2 Not tainted 2.6.24 #1']);
    expect(r.report?.text).toContain(
      'Not tainted 2.6.24 #1\n\nCall Trace:\n [<ffffffff00000000>] ',
    );
  });

  it('is clean when every task takes the locks in the same order, under any preemption', () => {
    for (const chooser of [undefined, rotate]) {
      const m = new Machine();
      const a = DEFINE_MUTEX('lock_a');
      const b = DEFINE_MUTEX('lock_b');
      for (const comm of ['t1', 't2', 't3']) {
        m.spawn_user(comm, function* () {
          for (let i = 0; i < 3; i++) yield* lock_two(a, b);
        });
      }
      const r = m.run(chooser ? { chooser } : {});
      expect(r.outcome).toBe('clean');
      expect(r.report).toBeUndefined();
    }
  });

  it('catches a real AB-BA before the two tasks hang', () => {
    const m = new Machine();
    const a = DEFINE_MUTEX('lock_a');
    const b = DEFINE_MUTEX('lock_b');
    m.spawn_user('t1', () => lock_two(a, b));
    m.spawn_user('t2', () => lock_two(b, a));
    const r = m.run({ chooser: rotate });
    expect(r.outcome).toBe('crash');
    expect(r.report?.kind).toBe('lockdep-circular');
  });

  it('reports a three-lock cycle with the whole chain', () => {
    const m = new Machine();
    const a = DEFINE_MUTEX('lock_a');
    const b = DEFINE_MUTEX('lock_b');
    const c = DEFINE_MUTEX('lock_c');
    function* take_ab(): Kfn {
      yield* lock_two(a, b);
    }
    function* take_bc(): Kfn {
      yield* lock_two(b, c);
    }
    function* take_ca(): Kfn {
      yield* mutex_lock(c);
      yield* mutex_lock(a);
    }
    m.spawn_user('t1', take_ab);
    m.spawn_user('t2', take_bc);
    m.spawn_user('t3', take_ca);
    const r = m.run();
    expect(r.report?.kind).toBe('lockdep-circular');
    expect(r.report?.title).toBe('possible deadlock in take_ca');
    const heads = lines(r).filter((x) => x.startsWith('-> #'));
    expect(heads).toEqual([
      '-> #2 (lock_c){--..}:',
      '-> #1 (lock_b){--..}:',
      '-> #0 (lock_a){--..}:',
    ]);
    expect(section(r, '-> #2 (lock_c){--..}:')).toContain(
      '       [<ffffffff00000000>] take_bc+0x0/0x0',
    );
    expect(section(r, '-> #1 (lock_b){--..}:')).toContain(
      '       [<ffffffff00000000>] take_ab+0x0/0x0',
    );
    expect(r.report?.text).not.toContain('Chain exists of:');
  });

  it('shows the stack where an edge was first recorded', () => {
    const m = new Machine();
    const a = DEFINE_MUTEX('lock_a');
    const b = DEFINE_MUTEX('lock_b');
    function* first_user(): Kfn {
      yield* lock_two(a, b);
    }
    function* second_user(): Kfn {
      yield* lock_two(a, b);
    }
    function* inverted_user(): Kfn {
      yield* lock_two(b, a);
    }
    m.spawn_user('t1', function* () {
      yield* first_user();
      yield* second_user();
      yield* inverted_user();
    });
    const r = m.run();
    expect(r.report?.kind).toBe('lockdep-circular');
    const edge = section(r, '-> #1 (lock_b){--..}:').join('\n');
    expect(edge).toContain('first_user');
    expect(edge).not.toContain('second_user');
  });

  it('keeps the graph per machine, even for locks shared between machines', () => {
    const a = DEFINE_MUTEX('lock_a');
    const b = DEFINE_MUTEX('lock_b');
    const m1 = new Machine();
    m1.spawn_user('t1', () => lock_two(a, b));
    expect(m1.run().outcome).toBe('clean');
    const m2 = new Machine();
    m2.spawn_user('t1', () => lock_two(b, a));
    expect(m2.run().outcome).toBe('clean');
    const m3 = new Machine();
    m3.spawn_user('t1', function* () {
      yield* lock_two(a, b);
      yield* lock_two(b, a);
    });
    expect(m3.run().report?.kind).toBe('lockdep-circular');
  });

  it('produces the same report for the same schedule', () => {
    const texts = [0, 1].map(() => {
      const m = new Machine();
      const a = DEFINE_MUTEX('lock_a');
      const b = DEFINE_MUTEX('lock_b');
      m.spawn_user('t1', () => lock_two(a, b));
      m.spawn_user('t2', () => lock_two(b, a));
      return m.run({ chooser: rotate }).report?.text;
    });
    expect(texts[0]).toBeDefined();
    expect(texts[1]).toBe(texts[0]);
  });
});

describe('lockdep: recursive locking', () => {
  it('reports taking a mutex that the task already holds', () => {
    const m = new Machine();
    const a = DEFINE_MUTEX('lock_a');
    function* relock(): Kfn {
      yield* mutex_lock(a);
      yield* mutex_lock(a);
    }
    m.spawn_user('t1', relock);
    const r = m.run();
    expect(r.outcome).toBe('crash');
    expect(r.report?.kind).toBe('lockdep-recursive');
    expect(r.report?.title).toBe('possible deadlock in relock');
    expect(r.report?.headline).toBe('[ INFO: possible recursive locking detected ]');
    expect(lines(r).slice(1, 5)).toEqual([
      '='.repeat(45),
      '[ INFO: possible recursive locking detected ]',
      '2.6.24 #1',
      '-'.repeat(45),
    ]);
    expect(section(r, 't1/1 is trying to acquire lock:')).toEqual([
      ' (lock_a){--..}, at: [<ffffffff00000000>] relock+0x0/0x0',
    ]);
    expect(r.report?.text).toContain(
      // print_deadlock_bug(), v2.6.24: no scenario, no nesting-notation hint yet.
      ['', 'other info that might help us debug this:', '1 lock held by t1/1:'].join('\n'),
    );
  });

  it('reports nesting two instances of one class (same key)', () => {
    const m = new Machine();
    const parent = DEFINE_MUTEX('i_mutex');
    const child = DEFINE_MUTEX('i_mutex');
    function* lock_parent_and_child(): Kfn {
      yield* mutex_lock(parent);
      yield* mutex_lock(child);
    }
    m.spawn_user('t1', lock_parent_and_child);
    const r = m.run();
    expect(r.report?.kind).toBe('lockdep-recursive');
    expect(r.report?.title).toBe('possible deadlock in lock_parent_and_child');
  });

  it('accepts the nesting when a subclass annotates it, and names the subclass', () => {
    const m = new Machine();
    const parent = new lockdep_map('i_mutex');
    const child = new lockdep_map('i_mutex');
    const seen: string[] = [];
    m.spawn_user('t1', function* () {
      lock_acquire(parent, 0, false, 0);
      lock_acquire(child, 1, false, 0); // mutex_lock_nested(child, I_MUTEX_CHILD)
      seen.push(...held_locks().map((h) => `${h.class.name}/${h.class.subclass}`));
      expect(lock_is_held(child)).toBe(true);
      lock_release(child);
      lock_release(parent);
      yield* sched_point();
      // The annotated order is remembered: child-then-parent is an inversion of it.
      lock_acquire(child, 1, false, 0);
      lock_acquire(parent, 0, false, 0);
    });
    const r = m.run();
    expect(seen).toEqual(['i_mutex/0', 'i_mutex/1']);
    expect(r.report?.kind).toBe('lockdep-circular');
    expect(r.report?.text).toContain('-> #1 (i_mutex/1){--..}:');
    expect(r.report?.text).toContain(' #0:  (i_mutex/1){--..}');
  });

  it('tells apart classes that share a name but not a key ("name#2")', () => {
    const m = new Machine();
    const sv_lock = new lockdep_map('sv_lock', 'svc_serv.sv_lock');
    const other = new lockdep_map('sv_lock', 'nlm_host.sv_lock');
    let listing: string[] = [];
    m.spawn_user('t1', function* () {
      lock_acquire(sv_lock, 0, false, 0);
      lock_acquire(other, 0, false, 0);
      listing = lockdep_print_held_locks(current);
      lock_release(other);
      lock_release(sv_lock);
      yield* sched_point();
    });
    expect(m.run().outcome).toBe('clean');
    expect(listing).toEqual([
      '2 locks held by t1/1:',
      ' #0:  (sv_lock){--..}, at: [<ffffffff00000000>] unknown+0x0/0x0',
      ' #1:  (sv_lock#2){--..}, at: [<ffffffff00000000>] unknown+0x0/0x0',
    ]);
  });

  it('allows recursive reads but reports a nested rwsem down_read, as the kernel does', () => {
    const ok = new Machine();
    const rw = new lockdep_map('tasklist_lock');
    ok.spawn_user('t1', function* () {
      lock_acquire(rw, 0, false, 2); // read_lock()
      lock_acquire(rw, 0, false, 2);
      lock_release(rw);
      lock_release(rw);
      yield* sched_point();
    });
    expect(ok.run().outcome).toBe('clean');

    // down_read is a plain (read == 1) read: behind a queued writer a nested reader waits
    // forever, so lockdep flags the nesting itself.
    const m = new Machine();
    const sem = DECLARE_RWSEM('mmap_sem');
    function* read_twice(): Kfn {
      yield* down_read(sem);
      yield* down_read(sem);
    }
    m.spawn_user('t1', read_twice);
    const r = m.run();
    expect(r.report?.kind).toBe('lockdep-recursive');
    expect(r.report?.title).toBe('possible deadlock in read_twice');
  });

  it('lets different tasks read the same rwsem', () => {
    const m = new Machine();
    const sem = DECLARE_RWSEM('mmap_sem');
    for (const comm of ['r1', 'r2']) {
      m.spawn_user(comm, function* () {
        yield* down_read(sem);
        yield* sched_point();
        yield* up_read(sem);
      });
    }
    m.spawn_user('w', function* () {
      yield* down_write(sem);
      yield* up_write(sem);
    });
    expect(m.run({ chooser: rotate }).outcome).toBe('clean');
  });
});

describe('lockdep: spinlocks', () => {
  it('reports AB-BA between spinlocks taken with different spellings', () => {
    const m = new Machine();
    const a = DEFINE_SPINLOCK('queue_lock');
    const b = DEFINE_SPINLOCK('host_lock');
    function* queue_then_host(): Kfn {
      const flags = yield* spin_lock_irqsave(a);
      yield* spin_lock(b);
      yield* spin_unlock(b);
      yield* spin_unlock_irqrestore(a, flags);
    }
    function* host_then_queue(): Kfn {
      yield* spin_lock_bh(b);
      yield* spin_lock(a);
      yield* spin_unlock(a);
      yield* spin_unlock_bh(b);
    }
    m.spawn_user('t1', queue_then_host);
    m.spawn_user('t2', host_then_queue);
    const r = m.run();
    expect(r.report?.kind).toBe('lockdep-circular');
    expect(r.report?.title).toBe('possible deadlock in host_then_queue');
    expect(section(r, '-> #1 (host_lock){-...}:')).toContain(
      '       [<ffffffff00000000>] queue_then_host+0x0/0x0',
    );
  });

  it('reports spinning on a spinlock the task holds', () => {
    const m = new Machine();
    const a = DEFINE_SPINLOCK('queue_lock');
    function* spin_twice(): Kfn {
      yield* spin_lock(a);
      yield* spin_lock(a);
    }
    m.spawn_user('t1', spin_twice);
    const r = m.run();
    expect(r.report?.kind).toBe('lockdep-recursive');
    expect(r.report?.title).toBe('possible deadlock in spin_twice');
  });

  it('adds no dependency for a trylock, but orders locks taken under it', () => {
    const clean = new Machine();
    const a = DEFINE_SPINLOCK('lock_a');
    const b = DEFINE_SPINLOCK('lock_b');
    clean.spawn_user('t1', function* () {
      yield* spin_lock(a);
      expect(yield* spin_trylock(b)).toBe(1);
      yield* spin_unlock(b);
      yield* spin_unlock(a);
      yield* spin_lock(b);
      yield* spin_lock(a);
      yield* spin_unlock(a);
      yield* spin_unlock(b);
    });
    expect(clean.run().outcome).toBe('clean');

    // a, trylock b, then c: c depends on b and, past the trylock, on a too.
    const m = new Machine();
    const c = DEFINE_SPINLOCK('lock_c');
    function* c_then_a(): Kfn {
      yield* spin_lock(c);
      yield* spin_lock(a);
    }
    m.spawn_user('t1', function* () {
      yield* spin_lock(a);
      yield* spin_trylock(b);
      yield* spin_lock(c);
      yield* spin_unlock(c);
      yield* spin_unlock(b);
      yield* spin_unlock(a);
      yield* c_then_a();
    });
    const r = m.run();
    expect(r.report?.kind).toBe('lockdep-circular');
    expect(r.report?.title).toBe('possible deadlock in c_then_a');
    expect(r.report?.text).toContain('-> #1 (lock_c){--..}:');
  });
});

describe('lockdep: locks held on the way out', () => {
  it('reports a lock held across the return to user space, naming where it was taken', () => {
    const m = new Machine();
    const lk = DEFINE_MUTEX('file_lock_mutex');
    function* sys_flock(): Kfn<number> {
      yield* mutex_lock(lk);
      return 0;
    }
    m.spawn_user('flocker', function* () {
      yield* syscall('flock', sys_flock);
    });
    const r = m.run();
    expect(r.outcome).toBe('crash');
    expect(r.report?.kind).toBe('lockdep-sys-exit');
    expect(r.report?.title).toBe('WARNING: lock held when returning to user space in sys_flock');
    // lockdep_sys_exit(), v2.6.24:kernel/lockdep.c: no kernel version line, no stack.
    expect(r.report?.headline).toBe('[ BUG: lock held when returning to user space! ]');
    expect(lines(r).slice(0, 7)).toEqual([
      '',
      '='.repeat(48),
      '[ BUG: lock held when returning to user space! ]',
      '-'.repeat(48),
      'flocker/1 is leaving the kernel with locks still held!',
      '1 lock held by flocker/1:',
      ' #0:  (file_lock_mutex){--..}, at: [<ffffffff00000000>] sys_flock+0x0/0x0',
    ]);
    expect(r.report?.backtrace).toContain('sys_flock');
  });

  it('is clean when the syscall unlocks before returning', () => {
    const m = new Machine();
    const lk = DEFINE_MUTEX('file_lock_mutex');
    function* sys_flock(): Kfn<number> {
      yield* mutex_lock(lk);
      yield* mutex_unlock(lk);
      return 0;
    }
    m.spawn_user('flocker', function* () {
      yield* syscall('flock', sys_flock);
      yield* syscall('flock', sys_flock);
    });
    expect(m.run().outcome).toBe('clean');
  });

  it('still reports with stacks off, without an acquire site', () => {
    const m = new Machine({ stacks: false });
    const lk = DEFINE_MUTEX('file_lock_mutex');
    let bt: readonly string[] | undefined;
    function* sys_flock(): Kfn<number> {
      yield* mutex_lock(lk);
      bt = held_locks()[0]?.acquire_bt;
      return 0;
    }
    m.spawn_user('flocker', function* () {
      yield* syscall('flock', sys_flock);
    });
    const r = m.run();
    expect(bt).toEqual([]);
    expect(r.report?.kind).toBe('lockdep-sys-exit');
    expect(r.report?.title).toBe('WARNING: lock held when returning to user space in unknown');
  });

  it('records where a held lock was taken when stacks are on', () => {
    const m = new Machine();
    const lk = DEFINE_MUTEX('m');
    let bt: readonly string[] = [];
    function* take_it(): Kfn {
      yield* mutex_lock(lk);
      bt = held_locks()[0]!.acquire_bt;
      yield* mutex_unlock(lk);
    }
    m.spawn_user('t', take_it);
    expect(m.run().outcome).toBe('clean');
    expect(bt).toContain('take_it');
    expect(bt).not.toContain('next');
  });

  it('reports releasing a lock that is not held', () => {
    const m = new Machine();
    const lk = DEFINE_SPINLOCK('queue_lock');
    function* unlock_twice(): Kfn {
      yield* spin_lock(lk);
      yield* spin_unlock(lk);
      yield* spin_unlock(lk);
    }
    m.spawn_user('t1', unlock_twice);
    const r = m.run();
    expect(r.report?.kind).toBe('lockdep-bad-unlock');
    expect(r.report?.title).toBe('WARNING: bad unlock balance in unlock_twice');
    expect(r.report?.headline).toBe('[ BUG: bad unlock balance detected! ]');
    expect(lines(r).slice(4, 10)).toEqual([
      't1/1 is trying to release lock (queue_lock) at:',
      '[<ffffffff00000000>] unlock_twice+0x0/0x0',
      'but there are no more locks to release!',
      '',
      'other info that might help us debug this:',
      'no locks held by t1/1.',
    ]);
  });

  it('reports a task that exits holding a lock', () => {
    const m = new Machine();
    const lk = DEFINE_MUTEX('nlmsvc_mutex');
    function* leaky(): Kfn {
      yield* mutex_lock(lk);
    }
    m.spawn_user('t1', leaky);
    const r = m.run();
    expect(r.report?.kind).toBe('lockdep-exit');
    expect(r.report?.title).toBe('WARNING: still has locks held in leaky');
    // print_held_locks_bug(), v2.6.24: "[ BUG: lock held at task exit time! ]" and
    // "%s/%d is exiting with locks still held!".
    expect(r.report?.headline).toBe('[ BUG: lock held at task exit time! ]');
    expect(lines(r).slice(1, 7)).toEqual([
      '='.repeat(37),
      '[ BUG: lock held at task exit time! ]',
      '-'.repeat(37),
      't1/1 is exiting with locks still held!',
      '1 lock held by t1/1:',
      ' #0:  (nlmsvc_mutex){--..}, at: [<ffffffff00000000>] leaky+0x0/0x0',
    ]);
  });

  it('reports a lock held through do_exit() from deep inside a task', () => {
    const m = new Machine();
    const lk = DEFINE_SPINLOCK('svc_lock');
    function* die_locked(): Kfn {
      yield* spin_lock(lk);
      do_exit(1);
    }
    m.spawn_user('t1', die_locked);
    const r = m.run();
    expect(r.report?.kind).toBe('lockdep-exit');
    expect(r.report?.title).toBe('WARNING: still has locks held in die_locked');
  });

  it('lets a kernel thread exit holding the BKL, which lockdep does not track', () => {
    for (const takeMutex of [false, true]) {
      const m = new Machine();
      const lk = DEFINE_MUTEX('lockd_mutex');
      function* lockd(_: null): Kfn<number> {
        yield* lock_kernel();
        if (takeMutex) yield* mutex_lock(lk);
        return 0;
      }
      m.spawn_user('insmod', function* () {
        yield* kthread_run(lockd, null, 'lockd');
      });
      const r = m.run();
      if (takeMutex) {
        expect(r.report?.kind).toBe('lockdep-exit');
        expect(r.report?.headline).toBe('[ BUG: lock held at task exit time! ]');
        expect(r.report?.text).toMatch(/\nlockd\/\d+ is exiting with locks still held!\n/);
        expect(r.report?.text).toContain('1 lock held by lockd/');
      } else expect(r.outcome).toBe('clean');
    }
  });
});

describe('lockdep: usage errors', () => {
  it('rejects an invalid subclass or read value without changing the held stack', () => {
    for (const bad of [
      (map: lockdep_map) => lock_acquire(map, 8, false, 0),
      (map: lockdep_map) => lock_acquire(map, 0.5, false, 0),
      (map: lockdep_map) => lock_acquire(map, 0, false, 3),
    ]) {
      const m = new Machine();
      let depth = -1;
      m.spawn_user('t1', function* () {
        const map = new lockdep_map('x');
        try {
          bad(map);
        } finally {
          depth = held_locks().length;
        }
        yield* sched_point();
      });
      expect(() => m.run()).toThrow(LockstepUsageError);
      expect(depth).toBe(0);
    }
  });
});
