/** Timers and timed sleeps on virtual time. */
import { describe, expect, it } from 'vitest';
import {
  current,
  del_timer,
  HZ,
  jiffies,
  kill_proc,
  Machine,
  mod_timer,
  msecs_to_jiffies,
  msleep,
  msleep_interruptible,
  SIGTERM,
  sched_point,
  schedule_timeout,
  schedule_timeout_interruptible,
  schedule_timeout_uninterruptible,
  set_current_state,
  TASK_INTERRUPTIBLE,
  TASK_RUNNING,
  type task_struct,
  timer_list,
  timer_pending,
  wake_up_process,
} from '../src/index.js';

describe('timers', () => {
  it('mod_timer arms and re-arms, del_timer disarms', () => {
    const m = new Machine();
    const fired: string[] = [];
    const got: Array<number | boolean> = [];
    m.spawn_user('t', function* () {
      const a = new timer_list((d) => fired.push(`${String(d)} @${jiffies}`), 'a');
      const b = new timer_list((d) => fired.push(`${String(d)} @${jiffies}`), 'b');
      got.push(mod_timer(a, 50)); // not pending before: 0
      got.push(mod_timer(a, 30)); // pending: 1, now due at 30
      got.push(mod_timer(b, 40));
      got.push(timer_pending(b), del_timer(b), timer_pending(b), del_timer(b));
      yield* msleep(99);
      got.push(timer_pending(a));
    });
    const r = m.run();
    expect(r.outcome).toBe('clean');
    expect(got).toEqual([0, 1, 0, true, 1, false, 0, false]);
    expect(fired).toEqual(['a @30']);
  });

  it('fires timers in expiry order, then in the order they were armed', () => {
    const m = new Machine();
    const fired: string[] = [];
    m.spawn_user('t', function* () {
      for (const [name, when] of [
        ['late', 20],
        ['early', 10],
        ['early2', 10],
      ] as const) {
        mod_timer(new timer_list(() => fired.push(`${name} @${jiffies}`)), when);
      }
      yield* msleep(30);
    });
    expect(m.run().outcome).toBe('clean');
    expect(fired).toEqual(['early @10', 'early2 @10', 'late @20']);
  });

  it('schedule_timeout returns the jiffies left when woken early, 0 on timeout', () => {
    const m = new Machine();
    const got: number[] = [];
    let sleeper: task_struct | null = null;
    sleeper = m.spawn_user('sleeper', function* () {
      got.push(yield* schedule_timeout_interruptible(100));
      got.push(jiffies);
      got.push(yield* schedule_timeout_uninterruptible(25));
      got.push(jiffies);
    });
    m.spawn_user('waker', function* () {
      yield* msleep(39); // wakes at 40
      wake_up_process(sleeper!);
    });
    const r = m.run();
    expect(r.outcome).toBe('clean');
    expect(got).toEqual([60, 40, 0, 65]);
  });

  it('schedule_timeout with a negative timeout complains and does not sleep', () => {
    const m = new Machine();
    const got: number[] = [];
    m.spawn_user('t', function* () {
      set_current_state(TASK_INTERRUPTIBLE);
      got.push(yield* schedule_timeout(-5), current.state, jiffies);
    });
    expect(m.run().outcome).toBe('clean');
    expect(got).toEqual([0, TASK_RUNNING, 0]);
    expect(m.log.map((l) => l.text)).toContain(
      'schedule_timeout: wrong timeout value fffffffffffffffb',
    );
  });

  it('msleep advances virtual time only while nothing else can run', () => {
    const m = new Machine();
    const seen: number[] = [];
    m.spawn_user('sleeper', function* () {
      yield* msleep(10); // msecs_to_jiffies(10) + 1 jiffies
      seen.push(jiffies);
    });
    m.spawn_user('busy', function* () {
      for (let i = 0; i < 1000; i++) yield* sched_point(); // keeps the CPU: no time passes
      seen.push(jiffies);
    });
    const r = m.run();
    expect(r.outcome).toBe('clean');
    expect(msecs_to_jiffies(10)).toBe((10 * HZ) / 1000);
    expect(seen).toEqual([0, 11]);
    expect(r.jiffies).toBe(11);
  });

  it('msleep_interruptible returns early with the milliseconds left on a signal', () => {
    const m = new Machine();
    let left = -1;
    const t = m.spawn_user('sleeper', function* () {
      left = yield* msleep_interruptible(1000);
    });
    m.spawn_user('killer', function* () {
      yield* msleep(99); // at 100
      kill_proc(t.pid, SIGTERM, 1);
    });
    expect(m.run().outcome).toBe('clean');
    expect(left).toBe(901); // 1001 jiffies asked for, woken after 100
  });
});
