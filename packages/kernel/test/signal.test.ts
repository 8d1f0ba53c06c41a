/** Signals as kernel threads and the syscall boundary see them. */
import { describe, expect, it } from 'vitest';
import {
  allow_signal,
  block_all_signals,
  clear_sigpending,
  current,
  disallow_signal,
  EINVAL,
  ESRCH,
  fatal_signal_pending,
  flush_signals,
  HZ,
  jiffies,
  kill_proc,
  kthread_spawn,
  Machine,
  msleep,
  recalc_sigpending,
  SIG_BLOCK,
  SIG_SETMASK,
  SIGKILL,
  SIGTERM,
  sched_point,
  schedule_timeout_interruptible,
  schedule_timeout_uninterruptible,
  send_sig,
  sigismember_pending,
  signal_pending,
  signalled,
  sigprocmask,
  type sigset_t,
  test_tsk_sigpending,
} from '../src/index.js';

describe('signals', () => {
  it('a kernel thread that allowed SIGKILL is woken by it and sees it', () => {
    const m = new Machine();
    const seen: Array<string | number | boolean> = [];
    const k = kthread_spawn(
      function* lockd_like(_: null) {
        seen.push(allow_signal(SIGKILL));
        const left = yield* schedule_timeout_interruptible(10 * HZ);
        seen.push(`woke @${jiffies} left ${left}`, signalled(), fatal_signal_pending(current));
        flush_signals(current);
        seen.push(signalled());
        return 0;
      },
      null,
      'lockd',
      m,
    );
    m.spawn_user('rmmod', function* () {
      yield* msleep(4);
      seen.push(send_sig(SIGKILL, k, 1));
    });
    const r = m.run();
    expect(r.outcome).toBe('clean');
    expect(seen).toEqual([0, 0, `woke @5 left ${10 * HZ - 5}`, true, true, false]);
  });

  it('a kernel thread ignores signals it did not allow', () => {
    const m = new Machine();
    const seen: Array<string | boolean> = [];
    const k = kthread_spawn(
      function* quiet(_: null) {
        const left = yield* schedule_timeout_interruptible(100);
        seen.push(`woke @${jiffies} left ${left}`, signalled());
        return 0;
      },
      null,
      'quiet',
      m,
    );
    m.spawn_user('killer', function* () {
      yield* msleep(4);
      send_sig(SIGKILL, k, 1);
      seen.push(`pending ${k.pending}`);
    });
    const r = m.run();
    expect(r.outcome).toBe('clean');
    expect(seen).toEqual(['pending 0', 'woke @100 left 0', false]);
  });

  it('a daemonized thread blocks signals: one sent before allow_signal waits for it', () => {
    // kernel_thread() + daemonize() block every signal instead of ignoring them, so a SIGKILL
    // that arrives before the thread's allow_signal(SIGKILL) is queued, and seen after it.
    const m = new Machine();
    const seen: Array<string | boolean> = [];
    const t = m.create_task('klockd', 'kthread', function* () {
      block_all_signals(current); // what daemonize() does
      yield* msleep(9); // slow to start
      seen.push(`before allow ${signalled()}`);
      allow_signal(SIGKILL);
      seen.push(`after allow ${signalled()}`);
    });
    m.spawn_user('lockd_down', function* () {
      yield* msleep(4);
      send_sig(SIGKILL, t, 1);
    });
    expect(m.run().outcome).toBe('clean');
    expect(seen).toEqual(['before allow false', 'after allow true']);
  });

  it('kill_proc wakes an interruptible sleeper; an unknown pid is -ESRCH', () => {
    const m = new Machine();
    const got: Array<string | number | boolean> = [];
    const sleeper = m.spawn_user('sleeper', function* () {
      const left = yield* schedule_timeout_interruptible(1000);
      got.push(`sleeper woke @${jiffies} left ${left}`, signal_pending(current));
    });
    m.spawn_user('killer', function* () {
      yield* msleep(9);
      got.push(kill_proc(sleeper.pid, SIGTERM, 1), kill_proc(4242, SIGTERM, 1));
      got.push(send_sig(0, sleeper, 1));
    });
    const r = m.run();
    expect(r.outcome).toBe('clean');
    expect(got).toEqual([0, -ESRCH, -EINVAL, 'sleeper woke @10 left 990', true]);
  });

  it('does not wake an uninterruptible sleeper', () => {
    const m = new Machine();
    let woke = -1;
    const sleeper = m.spawn_user('sleeper', function* () {
      yield* schedule_timeout_uninterruptible(50);
      woke = jiffies;
    });
    m.spawn_user('killer', function* () {
      yield* msleep(9);
      kill_proc(sleeper.pid, SIGKILL, 1);
    });
    expect(m.run().outcome).toBe('clean');
    expect(woke).toBe(50);
  });

  it('an interruptible sleep with a signal already pending does not sleep at all', () => {
    // schedule() leaves an interruptible task on the runqueue when a signal is pending, so a
    // signal sent between a thread's last signalled() test and its sleep is not missed.
    const m = new Machine();
    const got: Array<string | boolean> = [];
    const k = kthread_spawn(
      function* svc_like(_: null) {
        allow_signal(SIGTERM);
        got.push(signalled());
        yield* sched_point(); // the signal arrives here, while the thread still runs
        const left = yield* schedule_timeout_interruptible(1000);
        got.push(`returned @${jiffies} left ${left}`);
        return 0;
      },
      null,
      'svc',
      m,
    );
    // biome-ignore lint/correctness/useYield: the sender must not give up the CPU first
    m.spawn_user('sender', function* () {
      send_sig(SIGTERM, k, 1);
    });
    const r = m.run({ chooser: { choose: (rq, prev) => rq.find((t) => t !== prev) ?? rq[0]! } });
    expect(r.outcome).toBe('clean');
    expect(got).toEqual([false, 'returned @0 left 1000']);
  });

  it('allow_signal rejects an invalid signal number', () => {
    const m = new Machine();
    const got: number[] = [];
    kthread_spawn(
      function* (_: null) {
        got.push(allow_signal(0), allow_signal(64), allow_signal(SIGTERM));
        yield* sched_point();
        return 0;
      },
      null,
      'k',
      m,
    );
    expect(m.run().outcome).toBe('clean');
    expect(got).toEqual([-EINVAL, -EINVAL, 0]);
  });

  it('clear_thread_flag(TIF_SIGPENDING) keeps the signal queued; recalc_sigpending sets the flag again', () => {
    // What lockd_down and svc_register do in 2.6.24: clear the flag so that an interruptible
    // sleep really sleeps, then recalculate it from the pending set afterwards.
    const m = new Machine();
    const got: Array<string | boolean | number> = [];
    const k = kthread_spawn(
      function* svc_register_like(_: null) {
        allow_signal(SIGKILL);
        yield* msleep(5); // SIGKILL arrives meanwhile
        got.push(signalled(), sigismember_pending(current, SIGKILL));
        clear_sigpending();
        got.push(signalled(), sigismember_pending(current, SIGKILL));
        const left = yield* schedule_timeout_interruptible(100);
        got.push(`slept to @${jiffies} left ${left}`);
        recalc_sigpending();
        got.push(signalled(), fatal_signal_pending(current));
        return 0;
      },
      null,
      'lockd',
      m,
    );
    m.spawn_user('rmmod', function* () {
      yield* msleep(2);
      send_sig(SIGKILL, k, 1);
    });
    expect(m.run().outcome).toBe('clean');
    expect(got).toEqual([true, true, false, true, 'slept to @106 left 0', true, true]);
  });

  it('a signal sent while the flag is cleared sets it again and wakes the sleeper', () => {
    const m = new Machine();
    const got: Array<string | boolean> = [];
    const k = kthread_spawn(
      function* (_: null) {
        allow_signal(SIGTERM);
        clear_sigpending();
        yield* schedule_timeout_interruptible(100);
        got.push(`woke @${jiffies}`, signalled());
        return 0;
      },
      null,
      'k',
      m,
    );
    m.spawn_user('sender', function* () {
      yield* msleep(7);
      send_sig(SIGTERM, k, 1);
    });
    expect(m.run().outcome).toBe('clean');
    expect(got).toEqual(['woke @8', true]); // msleep(7) sleeps 8 jiffies
  });

  it('a blocked signal is queued without the flag or a wake-up; sigprocmask recalculates', () => {
    const m = new Machine();
    const got: Array<string | boolean | number> = [];
    const k = kthread_spawn(
      function* (_: null) {
        allow_signal(SIGTERM);
        const old: sigset_t = { sig: 0 };
        got.push(sigprocmask(SIG_BLOCK, { sig: 1 << (SIGTERM - 1) }, old));
        const left = yield* schedule_timeout_interruptible(50);
        got.push(`left ${left}`, signalled(), sigismember_pending(current, SIGTERM));
        sigprocmask(SIG_SETMASK, old, null);
        got.push(signalled(), sigprocmask(7, old, null));
        return 0;
      },
      null,
      'k',
      m,
    );
    m.spawn_user('sender', function* () {
      yield* msleep(3);
      send_sig(SIGTERM, k, 1);
    });
    expect(m.run().outcome).toBe('clean');
    expect(got).toEqual([0, 'left 0', false, true, true, -EINVAL]);
  });

  it('flush_signals empties the set and clears the flag; disallow_signal keeps a queued signal', () => {
    const m = new Machine();
    const got: boolean[] = [];
    const k = kthread_spawn(
      function* (_: null) {
        allow_signal(SIGTERM);
        yield* msleep(5);
        disallow_signal(SIGTERM);
        got.push(signalled(), test_tsk_sigpending(current));
        flush_signals(current);
        got.push(signalled(), sigismember_pending(current, SIGTERM));
        recalc_sigpending();
        got.push(signalled());
        return 0;
      },
      null,
      'k',
      m,
    );
    m.spawn_user('sender', function* () {
      yield* msleep(1);
      send_sig(SIGTERM, k, 1);
    });
    expect(m.run().outcome).toBe('clean');
    expect(got).toEqual([true, true, false, false, false]);
  });

  it('daemonize flushes what was queued before it blocked everything', () => {
    const m = new Machine();
    const got: boolean[] = [];
    const t = m.create_task('klockd', 'kthread', function* () {
      yield* msleep(5);
      got.push(signalled());
      block_all_signals(current);
      got.push(signalled(), sigismember_pending(current, SIGKILL));
    });
    m.spawn_user('killer', function* () {
      yield* msleep(1);
      send_sig(SIGKILL, t, 1);
    });
    expect(m.run().outcome).toBe('clean');
    expect(got).toEqual([true, false, false]);
  });
});
