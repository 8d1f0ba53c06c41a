/** The freezer (suspend's freeze_processes / thaw_processes) on virtual time. */
import { describe, expect, it } from 'vitest';
import {
  FREEZE_TIMEOUT,
  freeze_processes,
  frozen,
  HZ,
  jiffies,
  type Kfn,
  kthread_should_stop,
  kthread_spawn,
  kthread_stop,
  Machine,
  msleep,
  rotateChooser,
  sched_point,
  schedule_timeout_interruptible,
  set_freezable,
  TASK_UNINTERRUPTIBLE,
  thaw_processes,
  try_to_freeze,
} from '../src/index.js';

function dmesg(m: Machine): string[] {
  return m.log.map((l) => `${l.level}${l.text}`);
}

describe('freezer', () => {
  it('freezes a freezable kthread that calls try_to_freeze, and thaws it', () => {
    const m = new Machine();
    const st = { loops: 0, frozenAt: -1, loopsWhileFrozen: -1, ret: -1, stop: -1 };
    function* freezable_loop(_: null) {
      set_freezable();
      while (!kthread_should_stop()) {
        yield* try_to_freeze();
        st.loops++;
        yield* schedule_timeout_interruptible(HZ);
      }
      return 7;
    }
    const k = kthread_spawn(freezable_loop, null, 'kfreezable', m);
    m.spawn_user('pm', function* () {
      yield* msleep(1499);
      st.ret = yield* freeze_processes();
      st.frozenAt = jiffies;
      const before = st.loops;
      const isFrozen = frozen(k) && k.state === TASK_UNINTERRUPTIBLE;
      yield* msleep(5000);
      st.loopsWhileFrozen = isFrozen ? st.loops - before : -1;
      thaw_processes();
      yield* msleep(1500);
      st.stop = yield* kthread_stop(k);
    });
    const r = m.run();
    expect(r.outcome).toBe('clean');
    expect(st.ret).toBe(0);
    expect(st.frozenAt).toBeLessThan(1500 + 10); // it froze at once: woken from its sleep
    expect(st.loopsWhileFrozen).toBe(0);
    expect(st.loops).toBeGreaterThan(3); // ran again after the thaw
    expect(st.stop).toBe(7);
    expect(frozen(k)).toBe(false);
    expect(dmesg(m)).toEqual([
      '<4>Freezing user space processes ... (elapsed 0.00 seconds) done.',
      '<4>Freezing remaining freezable tasks ... (elapsed 0.00 seconds) done.',
      '<4>Restarting tasks ... done.',
    ]);
  });

  it('skips kernel threads that did not call set_freezable', () => {
    const m = new Machine();
    let ret = -1;
    kthread_spawn(
      function* unfreezable(_: null) {
        for (;;) yield* schedule_timeout_interruptible(HZ); // never calls try_to_freeze
      },
      null,
      'kunfreezable',
      m,
    );
    m.spawn_user('pm', function* () {
      ret = yield* freeze_processes();
      thaw_processes();
    });
    const r = m.run({ maxJiffies: 10 * HZ });
    expect(r.budget).toBe('time'); // the unfreezable thread just keeps looping
    expect(ret).toBe(0);
  });

  it('fails after 20 s when a freezable kthread never calls try_to_freeze', () => {
    const m = new Machine();
    function* forgetful_loop(_: null): Kfn<number> {
      set_freezable();
      for (;;) yield* schedule_timeout_interruptible(HZ);
    }
    const k = kthread_spawn(forgetful_loop, null, 'kforgetful', m);
    let started = -1;
    m.spawn_user('pm', function* () {
      yield* msleep(99);
      started = jiffies;
      yield* freeze_processes();
    });
    const r = m.run();
    expect(r.outcome).toBe('crash');
    expect(r.report?.kind).toBe('freezer');
    const headline = 'Freezing of tasks failed after 20.00 seconds (1 tasks refusing to freeze):';
    expect(r.report?.headline).toBe(headline);
    expect(r.report?.title).toBe('freezer: kforgetful refuses to freeze');
    // The user-space pass takes one jiffy; the kernel-thread pass gives up once
    // time_after(jiffies, end_time), a jiffy past its 20 s.
    expect(r.jiffies - started).toBe(1 + FREEZE_TIMEOUT + 1);
    const log = dmesg(m);
    expect(log).toContain(`<3>${headline}`);
    expect(log).toContain('<3> kforgetful');
    expect(log[0]).toBe('<4>Freezing user space processes ... (elapsed 0.00 seconds) done.');
    expect(log[1]).toBe('<4>Freezing remaining freezable tasks ... ');
    expect(k.freeze_requested).toBe(false); // cancel_freezing()
  });

  it('fails when a freezable kthread sleeps uninterruptibly through the timeout', () => {
    const m = new Machine();
    function* sleepy_loop(_: null): Kfn<number> {
      set_freezable();
      for (;;) {
        yield* try_to_freeze();
        yield* msleep(60_000); // D state: the freezer cannot wake it
      }
    }
    kthread_spawn(sleepy_loop, null, 'ksleepy', m);
    m.spawn_user('pm', function* () {
      yield* msleep(1);
      yield* freeze_processes();
    });
    const r = m.run();
    expect(r.report?.kind).toBe('freezer');
    // show_task(), v2.6.24:kernel/sched.c: "%-13.13s %c", " %016lx ", "%5lu %5d %6d\n".
    expect(r.report?.text).toMatch(/^ksleepy {7}D 0{16} {5}0 {5}1 {6}0$/m);
    expect(r.report?.backtrace).toContain('sleepy_loop');
  });
  it('wakes a freezable kthread again on every pass, so one that slept after its check freezes', () => {
    // The thread is between try_to_freeze() and its next sleep when the first kernel-thread
    // pass asks it to freeze; it then sleeps for 10 s. 2.6.24's freeze_task() wakes it again on
    // the next pass, so freezing takes a few jiffies, not 10 s.
    const m = new Machine();
    function* late_sleeper(_: null): Kfn<number> {
      set_freezable();
      yield* schedule_timeout_interruptible(1001); // wakes with the kernel-thread pass
      for (;;) {
        yield* try_to_freeze();
        yield* sched_point(); // the pass runs here
        yield* schedule_timeout_interruptible(10 * HZ);
      }
    }
    kthread_spawn(late_sleeper, null, 'klate', m);
    const got: number[] = [];
    m.spawn_user('pm', function* () {
      yield* msleep(999);
      got.push(yield* freeze_processes(), jiffies);
      thaw_processes();
    });
    const r = m.run({ chooser: rotateChooser, maxJiffies: 60 * HZ });
    expect(r.outcome).toBe('budget'); // klate loops forever; only the freeze matters here
    expect(got[0]).toBe(0);
    expect(got[1]).toBeLessThan(1010);
  });
});
