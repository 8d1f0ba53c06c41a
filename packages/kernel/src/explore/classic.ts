/**
 * Ports of classic small concurrency bugs (SCTBench style: account, stack, queue, reorder,
 * twostage, token ring), each with a fixed variant. Every task is tracked: shared state is
 * reached only through READ_ONCE/WRITE_ONCE, mutexes and sys_wait4, so DPOR can reorder
 * their steps. Used by the explorer's tests and `npm run bench`. Run them with
 * `machine: { lockdep: false }`: with lockdep on, every lock acquisition also writes the
 * shared dependency graph, and DPOR must treat any two of them as dependent.
 */
import { BUG_ON } from '../bug.js';
import { DEFINE_MUTEX, mutex_lock, mutex_unlock } from '../mutex.js';
import { READ_ONCE, WRITE_ONCE } from '../once.js';
import { type Machine, sys_wait4, type task_struct } from '../sched.js';
import type { Scenario } from './run.js';

const T = { tracked: true } as const;

export interface ClassicProgram {
  readonly name: string;
  /** Tasks, main included. */
  readonly threads: number;
  readonly scenario: Scenario;
  /** The fixed variant: no schedule fails. */
  readonly fixed: Scenario;
}

function* join_all(ws: readonly task_struct[]) {
  for (const w of ws) yield* sys_wait4(w);
}

/** account: deposits read and write the balance in two steps (lost update). */
function account(n: number, fixed: boolean): Scenario {
  return (m: Machine) => {
    const bal = { v: 0 };
    const lock = DEFINE_MUTEX('balance_lock');
    const ws: task_struct[] = [];
    for (let i = 0; i < n; i++)
      ws.push(
        m.spawn_user(
          `deposit${i}`,
          function* deposit() {
            if (fixed) yield* mutex_lock(lock);
            const v = yield* READ_ONCE(bal, 'v');
            yield* WRITE_ONCE(bal, 'v', v + 1);
            if (fixed) yield* mutex_unlock(lock);
          },
          T,
        ),
      );
    m.spawn_user(
      'main',
      function* account_check() {
        yield* join_all(ws);
        BUG_ON((yield* READ_ONCE(bal, 'v')) !== n);
      },
      T,
    );
  };
}

/** stack: poppers test `top > 0` outside the lock, then pop (underflow). */
function stack(poppers: number, fixed: boolean): Scenario {
  return (m: Machine) => {
    const st = { top: 0 };
    const lock = DEFINE_MUTEX('stack_lock');
    m.spawn_user(
      'push',
      function* stack_push() {
        yield* mutex_lock(lock);
        yield* WRITE_ONCE(st, 'top', (yield* READ_ONCE(st, 'top')) + 1);
        yield* mutex_unlock(lock);
      },
      T,
    );
    for (let i = 0; i < poppers; i++)
      m.spawn_user(
        `pop${i}`,
        function* stack_pop() {
          if (fixed) yield* mutex_lock(lock);
          if ((yield* READ_ONCE(st, 'top')) > 0) {
            if (!fixed) yield* mutex_lock(lock);
            const t = yield* READ_ONCE(st, 'top');
            yield* WRITE_ONCE(st, 'top', t - 1);
            BUG_ON(t - 1 < 0);
            if (!fixed) yield* mutex_unlock(lock);
          }
          if (fixed) yield* mutex_unlock(lock);
        },
        T,
      );
  };
}

/** queue: producers test `count < 1` outside the lock, then enqueue (overflow). */
function queue(producers: number, fixed: boolean): Scenario {
  return (m: Machine) => {
    const q = { count: 0 };
    const lock = DEFINE_MUTEX('queue_lock');
    for (let i = 0; i < producers; i++)
      m.spawn_user(
        `enq${i}`,
        function* queue_enqueue() {
          if (fixed) yield* mutex_lock(lock);
          if ((yield* READ_ONCE(q, 'count')) < 1) {
            if (!fixed) yield* mutex_lock(lock);
            const c = yield* READ_ONCE(q, 'count');
            yield* WRITE_ONCE(q, 'count', c + 1);
            BUG_ON(c + 1 > 1);
            if (!fixed) yield* mutex_unlock(lock);
          }
          if (fixed) yield* mutex_unlock(lock);
        },
        T,
      );
    m.spawn_user(
      'deq',
      function* queue_dequeue() {
        yield* mutex_lock(lock);
        const c = yield* READ_ONCE(q, 'count');
        if (c > 0) yield* WRITE_ONCE(q, 'count', c - 1);
        yield* mutex_unlock(lock);
      },
      T,
    );
  };
}

/** reorder: setters write a then b; the checker reads a then b and sees half an update. */
function reorder(setters: number, fixed: boolean): Scenario {
  return (m: Machine) => {
    const a = { v: 0 };
    const b = { v: 0 };
    const lock = DEFINE_MUTEX('reorder_lock');
    for (let i = 0; i < setters; i++)
      m.spawn_user(
        `set${i}`,
        function* reorder_set() {
          if (fixed) yield* mutex_lock(lock);
          yield* WRITE_ONCE(a, 'v', 1);
          yield* WRITE_ONCE(b, 'v', -1);
          if (fixed) yield* mutex_unlock(lock);
        },
        T,
      );
    m.spawn_user(
      'check',
      function* reorder_check() {
        if (fixed) yield* mutex_lock(lock);
        const ra = yield* READ_ONCE(a, 'v');
        const rb = yield* READ_ONCE(b, 'v');
        if (fixed) yield* mutex_unlock(lock);
        BUG_ON(!((ra === 0 && rb === 0) || (ra === 1 && rb === -1)));
      },
      T,
    );
  };
}

/** twostage: a writer publishes data1 and data2 under two locks; a reader sees one stage. */
function twostage(writers: number, fixed: boolean): Scenario {
  return (m: Machine) => {
    const d1 = { v: 0 };
    const d2 = { v: 0 };
    const m1 = DEFINE_MUTEX('data1_lock');
    const m2 = DEFINE_MUTEX('data2_lock');
    for (let i = 0; i < writers; i++)
      m.spawn_user(
        `stage${i}`,
        function* twostage_write() {
          yield* mutex_lock(m1);
          yield* WRITE_ONCE(d1, 'v', 1);
          if (!fixed) yield* mutex_unlock(m1);
          yield* mutex_lock(m2);
          yield* WRITE_ONCE(d2, 'v', (yield* READ_ONCE(d1, 'v')) + 1);
          yield* mutex_unlock(m2);
          if (fixed) yield* mutex_unlock(m1);
        },
        T,
      );
    m.spawn_user(
      'read',
      function* twostage_read() {
        yield* mutex_lock(m1);
        const v1 = yield* READ_ONCE(d1, 'v');
        if (v1 === 1) {
          if (!fixed) yield* mutex_unlock(m1);
          yield* mutex_lock(m2);
          const v2 = yield* READ_ONCE(d2, 'v');
          yield* mutex_unlock(m2);
          if (fixed) yield* mutex_unlock(m1);
          BUG_ON(v2 !== v1 + 1);
        } else yield* mutex_unlock(m1);
      },
      T,
    );
  };
}

/** token ring: each task copies the token from its predecessor; the fix waits for it. */
function token_ring(n: number, fixed: boolean): Scenario {
  return (m: Machine) => {
    const x = Array.from({ length: n + 1 }, (_, i) => ({ v: i === 0 ? 1 : 0 }));
    const ws: task_struct[] = [];
    for (let i = 1; i <= n; i++) {
      const prev = ws[ws.length - 1];
      ws.push(
        m.spawn_user(
          `ring${i}`,
          function* token_pass() {
            if (fixed && prev !== undefined) yield* sys_wait4(prev);
            yield* WRITE_ONCE(x[i]!, 'v', yield* READ_ONCE(x[i - 1]!, 'v'));
          },
          T,
        ),
      );
    }
    m.spawn_user(
      'main',
      function* token_check() {
        yield* join_all(ws);
        BUG_ON((yield* READ_ONCE(x[n]!, 'v')) !== 1);
      },
      T,
    );
  };
}

/** The suite: each program with its fixed variant, 2 to 5 tasks. */
export const classicPrograms: readonly ClassicProgram[] = [
  ...[2, 3].map((n) => ({
    name: `account_${n}`,
    threads: n + 1,
    scenario: account(n, false),
    fixed: account(n, true),
  })),
  ...[2, 3].map((n) => ({
    name: `stack_${n}`,
    threads: n + 1,
    scenario: stack(n, false),
    fixed: stack(n, true),
  })),
  ...[2, 3].map((n) => ({
    name: `queue_${n}`,
    threads: n + 1,
    scenario: queue(n, false),
    fixed: queue(n, true),
  })),
  ...[1, 2].map((n) => ({
    name: `reorder_${n}`,
    threads: n + 1,
    scenario: reorder(n, false),
    fixed: reorder(n, true),
  })),
  ...[1, 2].map((n) => ({
    name: `twostage_${n}`,
    threads: n + 1,
    scenario: twostage(n, false),
    fixed: twostage(n, true),
  })),
  ...[2, 3].map((n) => ({
    name: `token_ring_${n}`,
    threads: n + 1,
    scenario: token_ring(n, false),
    fixed: token_ring(n, true),
  })),
];
