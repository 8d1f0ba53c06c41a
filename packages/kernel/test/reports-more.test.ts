/**
 * More reports in 2.6.24's words: BUG(), WARN_ON(), dump_stack(), the soft lockup and the
 * printk()s of the timer and workqueue code. Each test names the kernel format string it
 * checks (file at tag); the texts come from runs of the model.
 */
import { describe, expect, it } from 'vitest';
import {
  BUG_ON,
  cpu_relax,
  create_workqueue,
  DEFINE_MUTEX,
  flush_workqueue,
  type Kfn,
  kref,
  kref_get,
  kref_init,
  Machine,
  mutex_lock,
  mutex_unlock,
  queue_work,
  sched_point,
  schedule_timeout,
  unlock_kernel,
  work_struct,
} from '../src/index.js';

function dmesg(m: Machine): string[] {
  return m.log.map((l) => `${l.level}${l.text}`);
}

describe('BUG() (v2.6.24:lib/bug.c report_bug, arch/x86/kernel/traps_64.c __die)', () => {
  it('prints "cut here", "kernel BUG at %s:%u!" and the invalid opcode oops', () => {
    const m = new Machine();
    m.spawn_user('bkl', function* bkl_unbalanced() {
      yield* unlock_kernel();
    });
    const r = m.run().report!;
    expect(r.kind).toBe('bug');
    expect(r.title).toBe('kernel BUG in bkl_unbalanced');
    expect(r.headline).toBe('kernel BUG at lib/kernel_lock.c:83!');
    const lines = r.text.split('\n');
    // report_bug(): KERN_EMERG "------------[ cut here ]------------\n", KERN_CRIT "kernel BUG
    // at %s:%u!\n"; __die(): "%s: %04lx [%u] " + "SMP " + "\n"; show_registers(): "CPU %d ";
    // __show_regs() (process_64.c): "\n", print_modules()'s "Modules linked in:", "Pid: %d,
    // comm: %.20s %s %s %.*s\n", "RIP: %04lx:[<%016lx>] " + printk_address().
    expect(lines.slice(0, 7)).toEqual([
      '------------[ cut here ]------------',
      'kernel BUG at lib/kernel_lock.c:83!',
      'invalid opcode: 0000 [1] SMP ',
      'CPU 0 ',
      'Modules linked in:',
      `Pid: ${r.task!.pid}, comm: bkl Not tainted 2.6.24 #1`,
      'RIP: 0010:[<ffffffff00000000>]  [<ffffffff00000000>] unlock_kernel+0x0/0x0',
    ]);
    expect(lines).toContain(' [<ffffffff00000000>] bkl_unbalanced+0x0/0x0');
    // __die()'s summary: KERN_ALERT "RIP " + printk_address(regs->rip).
    expect(lines[lines.length - 1]).toBe('RIP  [<ffffffff00000000>] unlock_kernel+0x0/0x0');
  });

  it('without a known v2.6.24 site, prints report_bug()\'s "verbose debug info unavailable" form', () => {
    const m = new Machine();
    m.spawn_user('t', function* lockd_down() {
      yield* sched_point();
      BUG_ON(true);
    });
    const r = m.run().report!;
    // v2.6.24:lib/bug.c: KERN_CRIT "Kernel BUG at %p [verbose debug info unavailable]\n".
    expect(r.headline).toBe('Kernel BUG at ffffffff00000000 [verbose debug info unavailable]');
    expect(r.text).toContain(
      '(lockstep: the model gives no v2.6.24 file:line for this BUG in lockd_down)',
    );
    expect(r.text).toContain(
      'RIP: 0010:[<ffffffff00000000>]  [<ffffffff00000000>] lockd_down+0x0/0x0',
    );
  });
});

describe('WARN_ON() (v2.6.24:include/asm-generic/bug.h, traps_64.c dump_stack)', () => {
  it('prints "WARNING: at %s:%d %s()" and dump_stack(), with no cut-here or end-of-trace line', () => {
    const m = new Machine({ panic_on_warn: false });
    m.spawn_user('t', function* put_then_get() {
      const k = new kref();
      kref_init(k);
      k.refcount.counter = 0;
      yield* kref_get(k);
    });
    const r = m.run();
    expect(r.outcome).toBe('clean');
    const w = m.warnings[0]!;
    expect(w.title).toBe('WARNING in put_then_get');
    expect(w.headline).toBe('WARNING: at lib/kref.c:33 kref_get()');
    // dump_stack(): "Pid: %d, comm: %.20s %s %s %.*s\n", then show_trace(): "\nCall Trace:\n",
    // printk_address()'s " [<%016lx>] %s%s%s%s+0x%lx/0x%lx\n" lines, "\n".
    const lines = w.text.split('\n');
    const pid = w.task!.pid;
    expect(lines).toEqual([
      'WARNING: at lib/kref.c:33 kref_get()',
      '(lockstep: kref_get on a zero refcount)',
      `Pid: ${pid}, comm: t Not tainted 2.6.24 #1`,
      '',
      'Call Trace:',
      ' [<ffffffff00000000>] kref_get+0x0/0x0',
      ' [<ffffffff00000000>] put_then_get+0x0/0x0',
      '',
    ]);
    expect(w.text).not.toContain('cut here');
    expect(w.text).not.toContain('end trace');
    // No level in the macro's printk: default_message_loglevel, KERN_WARNING.
    expect(dmesg(m)).toContain('<4>WARNING: at lib/kref.c:33 kref_get()');
  });

  it('names the function of a DEBUG_LOCKS_WARN_ON (v2.6.24:kernel/mutex-debug.c:82)', () => {
    const m = new Machine({ panic_on_warn: false });
    const lock = DEFINE_MUTEX('test_mutex');
    m.spawn_user('owner', function* () {
      yield* mutex_lock(lock);
    });
    m.spawn_user('thief', function* steal() {
      yield* mutex_unlock(lock);
    });
    m.run();
    const w = m.warnings.find((x) => x.kind === 'warning')!;
    expect(w.headline).toBe('WARNING: at kernel/mutex-debug.c:82 debug_mutex_unlock()');
    expect(w.text).toContain(
      'Call Trace:\n [<ffffffff00000000>] debug_mutex_unlock+0x0/0x0\n [<ffffffff00000000>] mutex_unlock+0x0/0x0',
    );
  });
});

describe('soft lockup (v2.6.24:kernel/softlockup.c softlockup_tick)', () => {
  it('prints "BUG: soft lockup - CPU#%d stuck for %lus! [%s:%d]" at 11s, then show_regs()', () => {
    const m = new Machine({ livelockSteps: 50 });
    const flag = { set: false };
    m.spawn_user('spinner', function* wait_for_flag(): Kfn {
      while (!flag.set) yield* cpu_relax();
    });
    const r = m.run().report!;
    expect(r.kind).toBe('soft-lockup');
    expect(r.title).toBe('BUG: soft lockup in wait_for_flag');
    const pid = r.task!.pid;
    // softlockup_thresh is 10: the first report comes when now > touch_timestamp + 10.
    expect(r.headline).toBe(`BUG: soft lockup - CPU#0 stuck for 11s! [spinner:${pid}]`);
    // show_regs(), v2.6.24:arch/x86/kernel/process_64.c: "CPU %d:", then __show_regs().
    expect(r.text.split('\n').slice(0, 5)).toEqual([
      r.headline,
      'CPU 0:',
      'Modules linked in:',
      `Pid: ${pid}, comm: spinner Not tainted 2.6.24 #1`,
      'RIP: 0010:[<ffffffff00000000>]  [<ffffffff00000000>] wait_for_flag+0x0/0x0',
    ]);
    expect(r.text).toContain('\n\nCall Trace:\n');
  });
});

describe('printk()s with dump_stack()', () => {
  it('schedule_timeout() with a negative timeout (v2.6.24:kernel/timer.c)', () => {
    const m = new Machine();
    m.spawn_user('t', function* bad_sleeper() {
      yield* schedule_timeout(-1);
    });
    expect(m.run().outcome).toBe('clean');
    const log = dmesg(m);
    // KERN_ERR "schedule_timeout: wrong timeout value %lx\n", then dump_stack().
    const i = log.indexOf('<3>schedule_timeout: wrong timeout value ffffffffffffffff');
    expect(i).toBeGreaterThanOrEqual(0);
    expect(log.slice(i + 1, i + 5)).toEqual([
      '<4>Pid: 1, comm: t Not tainted 2.6.24 #1',
      '<4>',
      '<4>Call Trace:',
      '<4> [<ffffffff00000000>] schedule_timeout+0x0/0x0',
    ]);
  });

  it('a work function that returns holding a lock (v2.6.24:kernel/workqueue.c run_workqueue)', () => {
    const m = new Machine({ panic_on_warn: false });
    const wq = create_workqueue('leaky_wq', m);
    const lock = DEFINE_MUTEX('leaked_mutex');
    const w = new work_struct(function* leaky_work() {
      yield* mutex_lock(lock);
    });
    m.spawn_user('t', function* () {
      queue_work(wq, w);
      yield* flush_workqueue(wq);
    });
    m.run();
    const log = dmesg(m);
    // KERN_ERR "BUG: workqueue leaked lock or atomic: %s/0x%08x/%d\n", KERN_ERR "    last
    // function: " + print_symbol("%s\n"), debug_show_held_locks(current), dump_stack().
    const i = log.findIndex((l) => l.startsWith('<3>BUG: workqueue leaked lock or atomic: '));
    expect(log[i]).toMatch(/^<3>BUG: workqueue leaked lock or atomic: leaky_wq\/0x00000000\/\d+$/);
    expect(log[i + 1]).toBe('<3>    last function: leaky_work+0x0/0x0');
    expect(log[i + 2]).toMatch(/^<4>1 lock held by leaky_wq\/\d+:$/);
    expect(log.slice(i + 3).some((l) => /^<4>Pid: \d+, comm: leaky_wq Not tainted/.test(l))).toBe(
      true,
    );
  });
});
