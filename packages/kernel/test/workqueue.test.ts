/** Workqueues: ordering, flushing, delayed work, destruction. */
import { describe, expect, it } from 'vitest';
import {
  cancel_delayed_work,
  create_workqueue,
  current,
  delayed_work,
  destroy_workqueue,
  flush_scheduled_work,
  flush_workqueue,
  jiffies,
  Machine,
  msleep,
  queue_delayed_work,
  queue_work,
  schedule_work,
  TASK_DEAD,
  work_struct,
} from '../src/index.js';

describe('workqueue', () => {
  it('runs work items in queueing order on its worker thread; a pending item is not queued twice', () => {
    const m = new Machine();
    const wq = create_workqueue('test_wq', m);
    const ran: string[] = [];
    const mk = (name: string) => new work_struct(() => void ran.push(`${name} on ${current.comm}`));
    const [a, b, c] = [mk('a'), mk('b'), mk('c')];
    const queued: number[] = [];
    m.spawn_user('t', function* () {
      queued.push(queue_work(wq, a), queue_work(wq, b), queue_work(wq, a), queue_work(wq, c));
      yield* flush_workqueue(wq);
      queued.push(queue_work(wq, a)); // no longer pending once it ran
      yield* flush_workqueue(wq);
    });
    const r = m.run();
    expect(r.outcome).toBe('clean');
    expect(queued).toEqual([1, 1, 0, 1, 1]);
    expect(ran).toEqual(['a on test_wq', 'b on test_wq', 'c on test_wq', 'a on test_wq']);
  });

  it('flush_workqueue returns only after everything queued before it has run', () => {
    const m = new Machine();
    const wq = create_workqueue('slow_wq', m);
    const done: string[] = [];
    const slow = (name: string) =>
      new work_struct(function* () {
        yield* msleep(9);
        done.push(`${name} @${jiffies}`);
      });
    m.spawn_user('t', function* () {
      queue_work(wq, slow('w1'));
      queue_work(wq, slow('w2'));
      yield* flush_workqueue(wq);
      done.push(`flushed @${jiffies}`);
    });
    expect(m.run().outcome).toBe('clean');
    expect(done).toEqual(['w1 @10', 'w2 @20', 'flushed @20']);
  });

  it('delayed work runs after its delay; cancel_delayed_work stops it', () => {
    const m = new Machine();
    const wq = create_workqueue('delay_wq', m);
    const ran: string[] = [];
    const later = new delayed_work(() => void ran.push(`later @${jiffies}`));
    const never = new delayed_work(() => void ran.push('never'));
    const got: number[] = [];
    m.spawn_user('t', function* () {
      got.push(queue_delayed_work(wq, later, 50), queue_delayed_work(wq, later, 10));
      got.push(queue_delayed_work(wq, never, 30));
      yield* msleep(19);
      got.push(cancel_delayed_work(never), cancel_delayed_work(never));
    });
    expect(m.run().outcome).toBe('clean');
    expect(got).toEqual([1, 0, 1, 1, 0]);
    expect(ran).toEqual(['later @50']);
  });

  it('destroy_workqueue runs what is queued, then stops the worker thread', () => {
    const m = new Machine();
    const wq = create_workqueue('doomed_wq', m);
    const worker = wq.thread!;
    const ran: string[] = [];
    m.spawn_user('t', function* () {
      queue_work(
        wq,
        new work_struct(function* () {
          yield* msleep(5);
          ran.push(`last work @${jiffies}`);
        }),
      );
      yield* destroy_workqueue(wq);
      ran.push(`destroyed @${jiffies}, worker ${worker.state === TASK_DEAD ? 'dead' : 'alive'}`);
    });
    expect(m.run().outcome).toBe('clean');
    expect(ran).toEqual(['last work @6', 'destroyed @6, worker dead']);
    expect(wq.thread).toBeNull();
  });

  it('a work item that flushes its own queue runs the rest of it there (2.6.24), no deadlock', () => {
    const m = new Machine();
    const wq = create_workqueue('self_wq', m);
    const ran: string[] = [];
    const second = new work_struct(() => void ran.push('second'));
    const first = new work_struct(function* () {
      queue_work(wq, second);
      yield* flush_workqueue(wq);
      ran.push('first after flush');
    });
    m.spawn_user('t', function* () {
      queue_work(wq, first);
      yield* flush_workqueue(wq);
      ran.push('flushed');
    });
    expect(m.run().outcome).toBe('clean');
    expect(ran).toEqual(['second', 'first after flush', 'flushed']);
  });

  it('schedule_work uses the shared events queue', () => {
    const m = new Machine();
    const ran: string[] = [];
    m.spawn_user('t', function* () {
      schedule_work(new work_struct(() => void ran.push(current.comm)));
      yield* flush_scheduled_work();
    });
    expect(m.run().outcome).toBe('clean');
    expect(ran).toEqual(['events/0']);
  });
});
