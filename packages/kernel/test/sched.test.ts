import { describe, expect, it } from 'vitest';
import {
  BUG_ON,
  complete,
  completion,
  current,
  HZ,
  jiffies,
  kfree,
  kmalloc,
  lock_kernel,
  Machine,
  msleep,
  rotateChooser,
  sched_point,
  unlock_kernel,
  wait_for_completion,
} from '../src/index.js';

const rotate = rotateChooser;

describe('scheduler', () => {
  it('runs tasks to completion without preemption by default', () => {
    const m = new Machine();
    const order: string[] = [];
    for (const name of ['a', 'b']) {
      m.spawn_user(name, function* () {
        for (let i = 0; i < 3; i++) {
          order.push(`${current.comm}${i}`);
          yield* sched_point();
        }
      });
    }
    const r = m.run();
    expect(r.outcome).toBe('clean');
    expect(order).toEqual(['a0', 'a1', 'a2', 'b0', 'b1', 'b2']);
    expect(r.preemptions).toBe(0);
  });

  it('switches only at scheduling points, as the chooser says', () => {
    const m = new Machine();
    const order: string[] = [];
    for (const name of ['a', 'b']) {
      m.spawn_user(name, function* () {
        for (let i = 0; i < 2; i++) {
          order.push(`${current.comm}${i}`);
          yield* sched_point();
        }
      });
    }
    const r = m.run({ chooser: rotate });
    expect(order).toEqual(['a0', 'b0', 'a1', 'b1']);
    expect(r.preemptions).toBeGreaterThan(0);
    expect(r.decisions.length).toBeGreaterThan(0);
  });

  it('advances virtual time only when nothing can run', () => {
    const m = new Machine();
    let woke = -1;
    m.spawn_user('sleeper', function* () {
      yield* msleep(20_000);
      woke = jiffies;
    });
    const r = m.run();
    expect(r.outcome).toBe('clean');
    expect(woke).toBeGreaterThanOrEqual(20 * HZ);
    expect(r.steps).toBeLessThan(10);
  });

  it('drops the BKL while its holder sleeps and takes it back on wake-up', () => {
    const m = new Machine();
    const done = new completion('done');
    const seen: string[] = [];
    m.spawn_user('holder', function* () {
      yield* lock_kernel();
      seen.push('holder has BKL');
      yield* wait_for_completion(done); // sleeps: BKL released
      seen.push(`holder woke, depth ${current.lock_depth}`);
      yield* unlock_kernel();
    });
    m.spawn_user('other', function* () {
      yield* lock_kernel(); // would spin forever if the sleeping holder kept it
      seen.push('other has BKL');
      complete(done);
      yield* unlock_kernel();
    });
    const r = m.run();
    expect(r.outcome).toBe('clean');
    expect(seen).toEqual(['holder has BKL', 'other has BKL', 'holder woke, depth 0']);
  });

  it('turns a NULL dereference into an oops naming the function', () => {
    const m = new Machine();
    function* svc_exit_thread(rqstp: { rq_server: { sv_nrthreads: number } | null }) {
      yield* sched_point();
      rqstp.rq_server!.sv_nrthreads--;
    }
    m.spawn_user('t', function* () {
      yield* svc_exit_thread({ rq_server: null });
    });
    const r = m.run();
    expect(r.outcome).toBe('crash');
    expect(r.report?.title).toBe(
      'BUG: unable to handle kernel NULL pointer dereference in svc_exit_thread',
    );
  });

  it('reports use-after-free with KASAN', () => {
    const m = new Machine();
    function* svc_wake_up(serv: { sv_lock: number }) {
      yield* sched_point();
      return serv.sv_lock;
    }
    m.spawn_user('t', function* () {
      const serv = yield* kmalloc('svc_serv', () => ({ sv_lock: 0 }));
      kfree(serv);
      yield* svc_wake_up(serv!);
    });
    const r = m.run();
    expect(r.report?.title).toBe('KASAN: use-after-free Read in svc_wake_up');
    expect(r.report?.text).toContain('Freed by task');
  });

  it('explains a plain JavaScript error as a scenario error', () => {
    const m = new Machine();
    m.spawn_user('t', function* () {
      yield* sched_point();
      throw new RangeError('oops in the scenario');
    });
    const r = m.run();
    expect(r.outcome).toBe('error');
    expect(r.error).toMatch(/scenario error in task t\/1: RangeError: oops in the scenario/);
  });

  it('BUG_ON gives a kernel BUG report', () => {
    const m = new Machine();
    function* lockd_down() {
      yield* sched_point();
      BUG_ON(true);
    }
    m.spawn_user('t', lockd_down);
    expect(m.run().report?.title).toBe('kernel BUG in lockd_down');
  });
});
