/**
 * The reports in 2.6.24's words: each test names the kernel format string it checks
 * (file at tag), and the layouts the addresses and access sizes come from.
 */
import { describe, expect, it } from 'vitest';
import {
  DECLARE_COMPLETION,
  DEFINE_MUTEX,
  DEFINE_SPINLOCK,
  define_struct,
  get_usage_chars,
  type Kfn,
  kfree,
  kmalloc,
  lock_member,
  Machine,
  mutex_lock,
  mutex_unlock,
  offsetof,
  resolve_symbols,
  spin_lock,
  spin_lock_bh,
  spin_unlock_bh,
  type spinlock_t,
  spinlock_t_layout,
  struct_layout_of,
  syscall,
  timer_list_layout,
  wait_for_completion,
} from '../src/index.js';

// The test's own struct with a v2.6.24-shaped field list (svc_pool's, under another name so
// the sunrpc package's registration is not needed here).
const pool_layout = define_struct(
  'test_pool',
  [
    ['sp_id', 'unsigned int'],
    ['sp_lock', 'spinlock_t'],
    ['sp_threads', 'struct list_head'],
    ['sp_sockets', 'struct list_head'],
    ['sp_nrthreads', 'unsigned int'],
    ['sp_all_threads', 'struct list_head'],
  ],
  128,
);
const serv_layout = define_struct('test_serv', [
  ['sv_program', 'struct svc_program *'],
  ['sv_nrpools', 'unsigned int'],
  ['sv_pools', 'struct svc_pool *'],
]);

describe('layouts (x86_64, defconfig + PROVE_LOCKING)', () => {
  it('lays out spinlock_t with DEBUG_SPINLOCK and a lockdep_map (48 bytes)', () => {
    // v2.6.24:include/linux/spinlock_types.h: raw_lock, magic, owner_cpu, owner, dep_map.
    expect(spinlock_t_layout.size).toBe(48);
    expect(offsetof(spinlock_t_layout, 'magic')).toEqual({
      offset: 4,
      size: 4,
      ctype: 'unsigned int',
    });
    expect(offsetof(spinlock_t_layout, 'dep_map.class_cache')?.offset).toBe(32);
    // v2.6.24:include/linux/timer.h with CONFIG_TIMER_STATS: 80 bytes.
    expect(timer_list_layout.size).toBe(80);
  });

  it('pads and aligns like gcc: a cacheline-aligned pool is 128 bytes', () => {
    expect(offsetof(pool_layout, 'sp_lock')?.offset).toBe(8);
    expect(offsetof(pool_layout, 'sp_nrthreads')).toEqual({
      offset: 88,
      size: 4,
      ctype: 'unsigned int',
    });
    expect(offsetof(pool_layout, 'sp_all_threads')?.offset).toBe(96);
    expect(pool_layout.size).toBe(128);
    expect(struct_layout_of('struct test_pool')).toBe(pool_layout);
  });
});

describe('NULL pointer dereference (v2.6.24:arch/x86/mm/fault_64.c, traps_64.c)', () => {
  function run(turnLockdepOff: boolean) {
    const m = new Machine({ panic_on_warn: false });
    const x = DEFINE_MUTEX('x');
    const y = DEFINE_MUTEX('y');
    function* svc_exit_thread(pool: { sp_lock: spinlock_t } | null): Kfn {
      yield* spin_lock_bh(lock_member(pool, pool_layout, 'sp_lock', 'spin_lock_bh'));
      yield* spin_unlock_bh(pool!.sp_lock);
    }
    m.spawn_user('lockd', function* () {
      if (turnLockdepOff) {
        // An AB-BA report turns lockdep off (debug_locks_off) before the fault.
        yield* mutex_lock(x);
        yield* mutex_lock(y);
        yield* mutex_unlock(y);
        yield* mutex_unlock(x);
        yield* mutex_lock(y);
        yield* mutex_lock(x);
        yield* mutex_unlock(x);
        yield* mutex_unlock(y);
      }
      yield* svc_exit_thread(null);
    });
    return m.run();
  }

  it('faults at the first byte __lock_acquire reads: &pool->sp_lock.dep_map.class_cache', () => {
    const r = run(false);
    expect(r.report?.kind).toBe('null-deref');
    // The syzbot-style title is unchanged.
    expect(r.report?.title).toBe(
      'BUG: unable to handle kernel NULL pointer dereference in svc_exit_thread',
    );
    // no_context: "Unable to handle kernel NULL pointer dereference" + " at %016lx RIP: \n";
    // 8 (sp_lock) + 24 (dep_map) + 8 (class_cache) = 0x28.
    const l = (r.report?.text ?? '').split('\n');
    expect(r.report?.headline).toBe(
      'Unable to handle kernel NULL pointer dereference at 0000000000000028 RIP: ',
    );
    expect(l[0]).toBe(r.report?.headline);
    // printk_address(): " [<%016lx>] %s%s%s%s+0x%lx/0x%lx\n".
    expect(l[1]).toBe(' [<ffffffff00000000>] __lock_acquire+0x0/0x0');
    // __die(): "%s: %04lx [%u] " then "SMP " (no CONFIG_PREEMPT in the defconfig). A read: 0000.
    expect(l[2]).toBe('Oops: 0000 [1] SMP ');
    // __show_regs(): "Pid: %d, comm: %.20s %s %s %.*s".
    expect(l).toContain('Pid: 1, comm: lockd Not tainted 2.6.24 #1');
    const trace = l.slice(l.indexOf('Call Trace:') + 1, l.indexOf('Call Trace:') + 4);
    expect(trace).toEqual([
      ' [<ffffffff00000000>] lock_acquire+0x0/0x0',
      ' [<ffffffff00000000>] _spin_lock_bh+0x0/0x0',
      ' [<ffffffff00000000>] svc_exit_thread+0x0/0x0',
    ]);
    // The summary after the oops: "RIP " printk_address, and "CR2: %016lx".
    expect(l).toContain('RIP  [<ffffffff00000000>] __lock_acquire+0x0/0x0');
    expect(l[l.length - 1]).toBe('CR2: 0000000000000028');
  });

  it('once lockdep is off, faults in _raw_spin_lock reading lock->magic (offset 0xc)', () => {
    const r = run(true);
    expect(r.warnings.map((w) => w.kind)).toEqual(['lockdep-circular']);
    expect(r.report?.headline).toBe(
      'Unable to handle kernel NULL pointer dereference at 000000000000000c RIP: ',
    );
    expect(r.report?.text).toContain(' [<ffffffff00000000>] _raw_spin_lock+0x0/0x0');
  });

  it('places a plain NULL field write by the one layout that names the field: Oops 0002', () => {
    const m = new Machine();
    function* bump(p: { sp_nrthreads: number } | null): Kfn {
      yield* spin_lock(DEFINE_SPINLOCK('unused'));
      p!.sp_nrthreads = 1;
    }
    m.spawn_user('t', function* () {
      yield* bump(null);
    });
    const r = m.run();
    expect(r.report?.title).toBe('BUG: unable to handle kernel NULL pointer dereference in bump');
    // test_pool is the only registered layout with sp_nrthreads: offset 88 = 0x58.
    expect(r.report?.headline).toBe(
      'Unable to handle kernel NULL pointer dereference at 0000000000000058 RIP: ',
    );
    // PF_WRITE (2) in the page-fault error code.
    expect(r.report?.text).toContain('\nOops: 0002 [1] SMP \n');
  });
});

describe('lockdep usage chars (get_usage_chars, v2.6.24:kernel/lockdep.c)', () => {
  it('maps the usage bits to "{%c%c%c%c}"', () => {
    expect(get_usage_chars(0)).toBe('....');
    // hardirq-on-W and softirq-on-W: a lock taken in process context with irqs on.
    expect(get_usage_chars((1 << 4) | (1 << 3))).toBe('--..');
    // in-hardirq-W wins over hardirq-on-W ('+'); in-softirq-R with softirq-on-R is '?'.
    expect(get_usage_chars((1 << 1) | (1 << 4) | (1 << 6) | (1 << 7))).toBe('+..?');
  });

  it('marks a mutex {--..}, a spin_lock_bh lock {-...} (mark_irqflags)', () => {
    const m = new Machine();
    const a = DEFINE_MUTEX('a_mutex');
    const b = DEFINE_SPINLOCK('b_lock');
    m.spawn_user('t1', function* () {
      yield* mutex_lock(a);
      yield* spin_lock_bh(b);
      yield* spin_unlock_bh(b);
      yield* mutex_unlock(a);
    });
    m.spawn_user('t2', function* () {
      yield* spin_lock_bh(b);
      yield* spin_unlock_bh(b);
      yield* mutex_lock(a);
      // t2 holds a; taking b after it is fine; re-take b first to make b -> a:
      yield* mutex_unlock(a);
      yield* spin_lock(b);
      yield* mutex_lock(a); // b -> a closes the cycle a -> b
    });
    const r = m.run();
    expect(r.report?.kind).toBe('lockdep-circular');
    // print_lock_name(): " (%s" ... "){%c%c%c%c}"; b was also taken with plain spin_lock.
    expect(r.report?.text).toContain('t2/2 is trying to acquire lock:\n (a_mutex){--..}, at:');
    expect(r.report?.text).toContain('but task is already holding lock:\n (b_lock){--..}, at:');
  });

  it('keeps softirq-on clear for a lock only ever taken with spin_lock_bh', () => {
    const m = new Machine();
    const b = DEFINE_SPINLOCK('bh_only');
    m.spawn_user('t1', function* () {
      yield* spin_lock_bh(b);
      yield* spin_lock_bh(b); // recursive: reported
    });
    const r = m.run();
    expect(r.report?.kind).toBe('lockdep-recursive');
    expect(r.report?.text).toContain(' (bh_only){-...}, at:');
  });
});

describe('KASAN access size from the layout', () => {
  it('reads sv_nrpools (unsigned int) as 4 bytes at its offset', () => {
    const m = new Machine();
    function* svc_wake_up(serv: { sv_nrpools: number }): Kfn<number> {
      yield* spin_lock(DEFINE_SPINLOCK('x'));
      return serv.sv_nrpools;
    }
    m.spawn_user('t', function* () {
      const serv = yield* kmalloc('test_serv', () => ({ sv_pools: null, sv_nrpools: 1 }));
      kfree(serv);
      yield* svc_wake_up(serv!);
    });
    const r = m.run();
    expect(r.report?.title).toBe('KASAN: use-after-free Read in svc_wake_up');
    // mm/kasan/report.c (a later tool): "%s of size %zu at addr %px by task %s/%d".
    expect(r.report?.text).toMatch(/\nRead of size 4 at addr [0-9a-f]{16} by task t\/1\n/);
    expect(r.report?.text).toContain(
      `The buggy address is located ${offsetof(serv_layout, 'sv_nrpools')!.offset} bytes inside of`,
    );
    expect(r.report?.text).toContain('KASAN arrived in Linux 4.0');
  });
});

describe('module loader (simplify_symbols, v2.6.24:kernel/module.c)', () => {
  it('prints "%s: Unknown symbol %s" once per missing symbol', () => {
    const m = new Machine();
    let res: unknown;
    m.spawn_user('insmod', function* () {
      yield* spin_lock(DEFINE_SPINLOCK('x'));
      res = resolve_symbols('mod', {
        a: { table: { ok: 1 }, symbols: ['ok', 'gone', 'gone'] },
        b: { table: {}, symbols: ['gone'] },
      });
    });
    m.run();
    expect(res).toEqual({ error: -2, missing: ['gone'] });
    const lines = m.log.map((l) => `${l.level}${l.text}`);
    expect(lines.filter((l) => l === '<4>mod: Unknown symbol gone')).toHaveLength(1);
  });
});

describe('hung task (check_hung_task, v2.6.25:kernel/softlockup.c)', () => {
  it('prints the two KERN_ERR lines, sched_show_task() and the held locks', () => {
    const m = new Machine();
    const lk = DEFINE_MUTEX('held_mutex');
    const done = DECLARE_COMPLETION('never');
    m.spawn_user('waiter', function* () {
      yield* mutex_lock(lk);
      yield* wait_for_completion(done);
    });
    const r = m.run();
    const l = (r.report?.text ?? '').split('\n');
    expect(l[0]).toBe('INFO: task waiter:1 blocked for more than 120 seconds.');
    expect(l[1]).toBe('"echo 0 > /proc/sys/kernel/hung_task_timeout_secs" disables this message.');
    // sched_show_task(): "%-13.13s %c", " %016lx ", "%5lu %5d" (father left out).
    expect(l[2]).toBe('waiter        D ffffffff00000000     0     1');
    expect(l[3]).toBe('Call Trace:');
    // __debug_show_held_locks() -> lockdep_print_held_locks().
    expect(l).toContain('1 lock held by waiter/1:');
    expect(r.report?.text).toContain('the hung-task detector arrived in 2.6.25');
  });
});

describe('lockdep_sys_exit (v2.6.24:kernel/lockdep.c)', () => {
  it('prints the banner without a version line and the held locks', () => {
    const m = new Machine();
    const lk = DEFINE_MUTEX('file_lock_mutex');
    m.spawn_user('flocker', function* () {
      yield* syscall('flock', function* sys_flock(): Kfn<number> {
        yield* mutex_lock(lk);
        return 0;
      });
    });
    const r = m.run();
    expect(r.report?.text.split('\n').slice(0, 5)).toEqual([
      '',
      '='.repeat(48),
      '[ BUG: lock held when returning to user space! ]',
      '-'.repeat(48),
      'flocker/1 is leaving the kernel with locks still held!',
    ]);
  });
});
