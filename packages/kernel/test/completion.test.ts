/** Completions: the `done` counter, complete_all, timeouts, and the unbalanced-reuse bug. */
import { describe, expect, it } from 'vitest';
import {
  complete,
  complete_all,
  completion,
  completion_done,
  init_completion,
  jiffies,
  kthread_run,
  kthread_should_stop,
  kthread_stop,
  Machine,
  msleep,
  schedule_timeout_interruptible,
  type task_struct,
  wait_for_completion,
  wait_for_completion_timeout,
} from '../src/index.js';

describe('completion', () => {
  it('counts: two complete() calls let two waits through, the third blocks', () => {
    const m = new Machine();
    const x = new completion('x');
    const got: number[] = [];
    m.spawn_user('t', function* () {
      complete(x);
      complete(x);
      got.push(x.done);
      yield* wait_for_completion(x);
      yield* wait_for_completion(x);
      got.push(x.done, jiffies);
      got.push(yield* wait_for_completion_timeout(x, 50)); // nothing left: times out
      got.push(jiffies);
    });
    const r = m.run();
    expect(r.outcome).toBe('clean');
    expect(got).toEqual([2, 0, 0, 0, 50]);
  });

  it('complete() wakes one waiter, complete_all() every waiter and every later wait', () => {
    const m = new Machine();
    const one = new completion('one');
    const all = new completion('all');
    const passed: string[] = [];
    for (const name of ['a', 'b', 'c']) {
      m.spawn_user(name, function* () {
        yield* wait_for_completion(one);
        passed.push(`${name} one @${jiffies}`);
        yield* wait_for_completion(all);
        passed.push(`${name} all @${jiffies}`);
      });
    }
    m.spawn_user('waker', function* () {
      for (let i = 0; i < 3; i++) {
        yield* msleep(9); // wakes at 10, 20, 30
        complete(one);
      }
      yield* msleep(9);
      complete_all(all);
      yield* wait_for_completion(all); // still open after complete_all
      passed.push(`waker all @${jiffies}`);
    });
    const r = m.run();
    expect(r.outcome).toBe('clean');
    expect(passed).toEqual([
      'a one @10',
      'b one @20',
      'c one @30',
      'waker all @40',
      'a all @40',
      'b all @40',
      'c all @40',
    ]);
  });

  it('init_completion() resets the counter', () => {
    const m = new Machine();
    const x = new completion('x');
    const got: Array<number | boolean> = [];
    m.spawn_user('t', function* () {
      complete(x);
      complete_all(x);
      got.push(completion_done(x));
      init_completion(x);
      got.push(x.done, completion_done(x));
      got.push(yield* wait_for_completion_timeout(x, 7));
    });
    expect(m.run().outcome).toBe('clean');
    expect(got).toEqual([true, 0, false, 0]);
  });

  it('wait_for_completion_timeout returns 0 on timeout, else the jiffies left', () => {
    const m = new Machine();
    const x = new completion('x');
    const got: number[] = [];
    m.spawn_user('waiter', function* () {
      got.push(yield* wait_for_completion_timeout(x, 100));
      got.push(jiffies);
      got.push(yield* wait_for_completion_timeout(x, 100));
      got.push(jiffies);
    });
    m.spawn_user('completer', function* () {
      yield* msleep(29); // msleep(29) sleeps 30 jiffies
      complete(x);
    });
    const r = m.run();
    expect(r.outcome).toBe('clean');
    expect(got).toEqual([70, 30, 0, 130]);
  });
});

/**
 * The classic unbalanced completion: a worker completes `started` once it has set up its
 * state, and completes the same completion again on its way out (complete_and_exit style),
 * while the starter only waits at start. The exit's count is left over, so the next start
 * returns at once and uses state the new worker has not set up yet.
 */
function unbalanced(reinit: boolean) {
  const m = new Machine();
  const started = new completion('worker_started');
  const ctx: { state: { nr_requests: number } | null } = { state: null };
  const log: string[] = [];

  function* worker_thread(_: null) {
    yield* msleep(5); // setting up takes a while
    ctx.state = { nr_requests: 0 };
    complete(started);
    while (!kthread_should_stop()) yield* schedule_timeout_interruptible(1000);
    ctx.state = null;
    complete(started); // "tell the starter we are gone": the unbalanced count
    return 0;
  }

  function* worker_start() {
    if (reinit) init_completion(started);
    const t = (yield* kthread_run(worker_thread, null, 'worker')) as task_struct;
    yield* wait_for_completion(started);
    ctx.state!.nr_requests++; // NULL dereference if the worker is not set up yet
    log.push(`started ${t.pid}`);
    return t;
  }

  m.spawn_user('admin', function* () {
    for (let round = 0; round < 2; round++) {
      const t = yield* worker_start();
      yield* msleep(10);
      yield* kthread_stop(t);
      log.push(`stopped ${t.pid} done=${started.done}`);
    }
  });
  return { r: m.run(), log };
}

describe('unbalanced completion reuse', () => {
  it('without init_completion the second start runs ahead of the worker: NULL deref', () => {
    const { r, log } = unbalanced(false);
    expect(log).toEqual(['started 2', 'stopped 2 done=1']);
    expect(r.outcome).toBe('crash');
    expect(r.report?.kind).toBe('null-deref');
    expect(r.report?.title).toBe(
      'BUG: unable to handle kernel NULL pointer dereference in worker_start',
    );
  });

  it('with init_completion before each start it is clean', () => {
    const { r, log } = unbalanced(true);
    expect(r.outcome).toBe('clean');
    expect(log).toEqual(['started 2', 'stopped 2 done=1', 'started 3', 'stopped 3 done=1']);
  });
});
