import { describe, expect, it } from 'vitest';
import {
  complete,
  completion,
  container_of,
  failslab_configure,
  jiffies,
  type Kfn,
  kfree,
  kmalloc,
  kmemleak_enable,
  kmemleak_not_leak,
  kmemleak_scan,
  kref,
  kref_get,
  kref_init,
  kref_put,
  kthread_run,
  kzalloc,
  LIST_HEAD,
  LockstepUsageError,
  list_add_tail,
  list_del,
  list_for_each,
  list_head,
  Machine,
  msleep,
  sched_point,
  schedule,
  set_current_state,
  slab_live_objects,
  slab_meta,
  TASK_INTERRUPTIBLE,
  this_machine,
  wait_for_completion,
} from '../src/index.js';

// ---- A kref'd struct handed from one task to another (the lockd nlm_block pattern). ----

interface nlm_block {
  b_count: kref;
  b_list: list_head;
  b_granted: number;
}

function* nlmsvc_create_block(): Kfn<nlm_block> {
  const b = yield* kmalloc('nlm_block', () => ({
    b_count: new kref(),
    b_list: new list_head(),
    b_granted: 0,
  }));
  kref_init(b!.b_count);
  return b!;
}

function nlmsvc_free_block(k: kref): void {
  kfree(container_of<nlm_block>(k, 'nlm_block', 'b_count'));
}

function* nlmsvc_release_block(b: nlm_block): Kfn {
  yield* kref_put(b.b_count, nlmsvc_free_block);
}

/** The owner hands the block to a worker, then drops its own reference. */
function handOff(takeRef: boolean, write = false): Machine {
  const m = new Machine();
  kmemleak_enable(m);
  const handed = new completion('handed');
  let shared: nlm_block | null = null;
  function* nlmsvc_lock(): Kfn {
    const b = yield* nlmsvc_create_block();
    if (takeRef) yield* kref_get(b.b_count);
    shared = b;
    complete(handed);
    yield* nlmsvc_release_block(b);
  }
  function* nlmsvc_grant_blocked(): Kfn {
    yield* wait_for_completion(handed);
    yield* msleep(10);
    const b = shared!;
    if (write) b.b_granted = 1;
    else expect(b.b_granted).toBe(0);
    yield* nlmsvc_release_block(b);
  }
  m.spawn_user('lockd', nlmsvc_grant_blocked);
  m.spawn_user('lock_user', nlmsvc_lock);
  return m;
}

describe('KASAN', () => {
  it('reports a read after the last kref_put freed the object, naming both stacks', () => {
    const r = handOff(false).run();
    expect(r.outcome).toBe('crash');
    const rep = r.report!;
    expect(rep.kind).toBe('kasan-use-after-free');
    expect(rep.title).toBe('KASAN: use-after-free Read in nlmsvc_grant_blocked');
    expect(rep.headline).toBe('BUG: KASAN: use-after-free in nlmsvc_grant_blocked+0x0/0x0');
    expect(rep.task).toEqual({ pid: 1, comm: 'lockd' });
    const text = rep.text;
    expect(text).toMatch(/Read of size 8 at addr [0-9a-f]{16} by task lockd\/1/);
    // Allocated and freed by the lock_user task (pid 2), with their call sites.
    const alloc = text.slice(text.indexOf('Allocated by task 2:'), text.indexOf('Freed by task'));
    expect(alloc).toContain('nlmsvc_create_block');
    const freed = text.slice(text.indexOf('Freed by task 2:'));
    expect(freed).toContain('nlmsvc_free_block');
    expect(freed).toContain('nlmsvc_release_block');
    expect(text).toContain('read of nlm_block.b_granted');
    expect(text).toContain('allocated by lock_user/2 in nlmsvc_create_block');
    expect(text).toContain('freed by lock_user/2 in nlmsvc_free_block');
  });

  it('reports a write too', () => {
    const r = handOff(false, true).run();
    expect(r.report?.title).toBe('KASAN: use-after-free Write in nlmsvc_grant_blocked');
    expect(r.report?.text).toContain('Write of size 8');
  });

  it('is clean when the hand-off takes its own reference (and nothing leaks)', () => {
    const m = handOff(true);
    const r = m.run();
    expect(r.outcome).toBe('clean');
    expect(r.report).toBeUndefined();
    expect(slab_live_objects(m)).toEqual([]);
  });

  it('gives the same report bytes for the same run', () => {
    expect(handOff(false).run().report?.text).toBe(handOff(false).run().report?.text);
  });

  it('reports a double kfree with the allocation and first free stacks', () => {
    const m = new Machine();
    function* svc_destroy(): Kfn {
      const serv = yield* kmalloc('svc_serv', () => ({ sv_nrthreads: 1 }));
      kfree(serv);
      kfree(serv);
    }
    m.spawn_user('nfsd', svc_destroy);
    const r = m.run();
    expect(r.report?.kind).toBe('kasan-double-free');
    expect(r.report?.title).toBe('KASAN: double-free or invalid-free in svc_destroy');
    expect(r.report?.text).toContain('Freed by task 1:');
    expect(r.report?.text).toContain('kfree of svc_serv which is already freed');
  });

  it('reports kfree of something kmalloc did not return, or of a member', () => {
    for (const which of ['foreign', 'member'] as const) {
      const m = new Machine();
      function* svc_exit_thread(): Kfn {
        const rq = yield* kzalloc('svc_rqst', () => ({ rq_all: new list_head(), rq_pad: 0 }));
        kfree(which === 'foreign' ? { fake: 1 } : rq!.rq_all);
      }
      m.spawn_user('nfsd', svc_exit_thread);
      const r = m.run();
      expect(r.report?.title).toBe('KASAN: double-free or invalid-free in svc_exit_thread');
      expect(r.report?.text).toContain(
        which === 'foreign'
          ? 'kfree of an object kmalloc did not return'
          : "kfree of a pointer 0 bytes inside struct svc_rqst (member 'rq_all')",
      );
    }
  });

  it('catches a read through a list_head embedded in a freed struct', () => {
    for (const fixed of [false, true]) {
      const m = new Machine();
      const blocked = LIST_HEAD();
      function* nlmsvc_insert_block(): Kfn {
        const b = yield* nlmsvc_create_block();
        list_add_tail(b.b_list, blocked);
        if (fixed) list_del(b.b_list);
        kfree(b);
      }
      function nlmsvc_retry_blocked(): number {
        // Only the links are read: the freed struct is reached through its list_head.
        let n = 0;
        for (const _ of list_for_each(blocked)) n++;
        return n;
      }
      m.spawn_user('lockd', function* () {
        yield* nlmsvc_insert_block();
        nlmsvc_retry_blocked();
      });
      const r = m.run();
      if (fixed) expect(r.outcome).toBe('clean');
      else {
        expect(r.report?.title).toBe('KASAN: use-after-free Read in nlmsvc_retry_blocked');
        // ->next of the embedded list_head, at its offset: after the 8-byte kref.
        expect(r.report?.text).toContain('read of nlm_block.b_list.next');
        expect(r.report?.text).toContain('located 8 bytes inside of');
      }
    }
  });

  it('does not poison what a freed struct merely points to', () => {
    const m = new Machine();
    const shared = { hits: 0 };
    Object.freeze(shared);
    let host: { h_count: number } | null = null;
    m.spawn_user('t', function* () {
      host = yield* kmalloc('nlm_host', () => ({ h_count: 1 }));
      const f = yield* kmalloc('nlm_file', () => ({ f_host: host, f_ops: shared, f_task: null }));
      kfree(f);
      host!.h_count++;
      kfree(host);
    });
    expect(m.run().outcome).toBe('clean');
    expect(shared.hits).toBe(0);
  });

  it('makes a touch of freed memory outside a run a usage error', () => {
    const m = new Machine();
    let obj: { x: number } | null = null;
    m.spawn_user('t', function* () {
      obj = yield* kmalloc('thing', () => ({ x: 1 }));
      kfree(obj);
    });
    m.run();
    expect(() => obj!.x).toThrow(LockstepUsageError);
  });

  it('rejects an initialiser that does not return a new object', () => {
    const m = new Machine();
    const existing = Object.freeze({ a: 1 });
    m.spawn_user('t', function* () {
      yield* kmalloc('x', () => existing);
    });
    expect(() => m.run()).toThrow(/initialiser must return a new object/);
  });
});

// ---- failslab ----

function* svc_init_buffer(): Kfn<object | null> {
  return yield* kmalloc('page', () => ({ data: 0 }));
}

/** The 2.6.24 svc_prepare_thread: an rqst, then two buffers of sv_xdrsize, then pages. */
function* svc_prepare_thread(): Kfn<string> {
  const rqstp = yield* kzalloc('svc_rqst', () => ({ rq_argp: null, rq_resp: null }));
  if (rqstp === null) return 'rqstp';
  const argp = yield* kmalloc('xdr', () => ({ buf: 0 }));
  if (argp === null) return 'argp';
  const resp = yield* kmalloc('xdr', () => ({ buf: 0 }));
  if (resp === null) return 'resp';
  if ((yield* svc_init_buffer()) === null) return 'pages';
  return 'ok';
}

function* nlmsvc_create_host(): Kfn<boolean> {
  return (yield* kmalloc('nlm_host', () => ({ h_name: 'client' }))) !== null;
}

function runFailslab(cfg: Parameters<typeof failslab_configure>[0]): {
  results: unknown[];
  log: string[];
} {
  const m = new Machine();
  failslab_configure(cfg, m);
  const results: unknown[] = [];
  m.spawn_user('nfsd', function* () {
    results.push(yield* nlmsvc_create_host());
    results.push(yield* svc_prepare_thread());
    results.push(yield* nlmsvc_create_host());
    results.push(yield* svc_prepare_thread());
  });
  const r = m.run();
  expect(r.outcome).toBe('clean');
  return { results, log: m.log.map((l) => `${l.level}${l.text}`) };
}

describe('failslab', () => {
  it('fails the nth allocation and logs the fault-injection notice with the stack', () => {
    const { results, log } = runFailslab({ nth: 3 });
    expect(results).toEqual([true, 'argp', true, 'ok']);
    // fail_dump(), v2.6.24:lib/fault-inject.c: KERN_NOTICE "FAULT_INJECTION: forcing a
    // failure\n", then dump_stack() (default level): "Pid: %d, comm: %.20s %s %s %.*s".
    expect(log[0]).toBe('<5>FAULT_INJECTION: forcing a failure');
    expect(log[1]).toBe('<4>Pid: 1, comm: nfsd Not tainted 2.6.24 #1');
    expect(log).toContain('<4>Call Trace:');
    expect(log).toContain('<4> [<ffffffff00000000>] svc_prepare_thread+0x0/0x0');
    expect(log.filter((l) => l.includes('FAULT_INJECTION'))).toHaveLength(1);
  });

  it('fails allocations by call site: the nth one made under that function', () => {
    expect(runFailslab({ site: 'svc_prepare_thread' }).results).toEqual([
      true,
      'rqstp',
      true,
      'ok',
    ]);
    // The 4th under svc_prepare_thread is the page from svc_init_buffer, two frames down.
    expect(runFailslab({ site: 'svc_prepare_thread', nth: 4 }).results).toEqual([
      true,
      'pages',
      true,
      'ok',
    ]);
    expect(runFailslab({ site: 'svc_init_buffer', times: -1 }).results).toEqual([
      true,
      'pages',
      true,
      'pages',
    ]);
  });

  it('fails allocations by type, as many times as asked', () => {
    expect(runFailslab({ type: 'xdr', times: 2 }).results).toEqual([true, 'argp', true, 'argp']);
    const { results, log } = runFailslab({ type: 'nlm_host', times: 2, nth: 2 });
    expect(results).toEqual([true, 'ok', false, 'ok']);
    expect(log).toContain('<5>FAULT_INJECTION: forcing a failure');
  });

  it('rejects bad settings and keeps the old ones', () => {
    const m = new Machine();
    failslab_configure({ type: 'xdr' }, m);
    for (const bad of [{ nth: 0 }, { times: 0 }, { site: '' }, { nht: 2 }, { nth: 1.5 }])
      expect(() => failslab_configure(bad as never, m)).toThrow(LockstepUsageError);
    const results: unknown[] = [];
    m.spawn_user('nfsd', function* () {
      results.push(yield* svc_prepare_thread());
    });
    m.run();
    expect(results).toEqual(['argp']);
  });
});

// ---- kmemleak ----

function* nlm_alloc_host(): Kfn<{ h_name: string } | null> {
  return yield* kmalloc('nlm_host', () => ({ h_name: 'client' }));
}

const HOSTS = Symbol('nlm_hosts');

describe('kmemleak', () => {
  let allocatedAt = -1;
  function leakRun(keep: 'drop' | 'slot' | 'free' | 'not_leak'): Machine {
    const m = new Machine();
    kmemleak_enable(m);
    kmemleak_enable(m); // idempotent
    m.spawn_user('mount', function* nlmclnt_lookup_host() {
      yield* msleep(1500);
      const host = yield* nlm_alloc_host();
      allocatedAt = jiffies;
      if (keep === 'slot')
        this_machine()
          .slot(HOSTS, () => [] as object[])
          .push(host!);
      if (keep === 'free') kfree(host);
      if (keep === 'not_leak') kmemleak_not_leak(host!);
      yield* msleep(250);
    });
    return m;
  }

  it('reports an object nothing references once its task exited', () => {
    const m = leakRun('drop');
    const r = m.run();
    expect(r.outcome).toBe('crash');
    const rep = r.report!;
    expect(rep.kind).toBe('leak');
    expect(rep.title).toBe('memory leak in nlm_alloc_host');
    const lines = rep.text.split('\n');
    expect(lines[0]).toMatch(/^unreferenced object 0xffff8880[0-9a-f]{8} \(size 8\):$/);
    expect(allocatedAt).toBeGreaterThanOrEqual(1500);
    const age = r.jiffies - allocatedAt; // ms, HZ being 1000
    expect(age).toBeGreaterThanOrEqual(250);
    expect(lines[1]).toBe(
      `  comm "mount", pid 1, jiffies ${allocatedAt} (age 0.${String(age).padStart(3, '0')}s)`,
    );
    expect(lines[2]).toBe('  backtrace:');
    expect(lines.slice(3)).toContain('    [<ffffffff00000000>] nlm_alloc_host+0x0/0x0');
    expect(lines.slice(3)).toContain('    [<ffffffff00000000>] nlmclnt_lookup_host+0x0/0x0');
    expect(m.log.at(-1)?.text).toBe(
      'kmemleak: 1 new suspected memory leaks (see /sys/kernel/debug/kmemleak)',
    );
  });

  it('is clean when the object is referenced from machine state, freed or marked', () => {
    for (const keep of ['slot', 'free', 'not_leak'] as const)
      expect(leakRun(keep).run().outcome).toBe('clean');
  });

  it('follows lists, Maps and pointers into embedded structs', () => {
    const m = new Machine();
    kmemleak_enable(m);
    m.spawn_user('lockd', function* () {
      const state = this_machine().slot(HOSTS, () => ({
        blocked: LIST_HEAD(),
        byName: new Map<string, object>(),
      }));
      const b = yield* nlmsvc_create_block();
      list_add_tail(b.b_list, state.blocked); // only the embedded list_head is on the list
      const h = yield* nlm_alloc_host();
      state.byName.set('client', { host: h });
    });
    expect(m.run().outcome).toBe('clean');
    expect(kmemleak_scan(m)).toEqual([]);
    expect(slab_live_objects(m)).toHaveLength(2);
  });

  it('lists every leaked object and names the oldest in the title', () => {
    const m = new Machine();
    kmemleak_enable(m);
    m.spawn_user('t', function* nlm_lookup_file() {
      const file = yield* kmalloc('nlm_file', () => ({ f_host: null as object | null }));
      file!.f_host = yield* nlm_alloc_host(); // reachable only from the leaked file
    });
    const r = m.run();
    expect(r.report?.title).toBe('memory leak in nlm_lookup_file');
    expect(r.report?.text.match(/unreferenced object/g)).toHaveLength(2);
    expect(r.report?.text).toContain('(lockstep: struct nlm_host)');
  });

  it('leaves objects of a task still alive alone: its stack may hold them', () => {
    for (const idle of [true, false]) {
      const m = new Machine();
      kmemleak_enable(m);
      function* lockd(): Kfn<number> {
        const rqstp = yield* kmalloc('svc_rqst', () => ({ rq_xid: 0 }));
        if (idle) {
          set_current_state(TASK_INTERRUPTIBLE);
          yield* schedule(); // idle for good, holding rqstp in a local
        }
        return rqstp === null ? 1 : 0;
      }
      m.spawn_user('mount', function* () {
        yield* kthread_run(lockd, null, 'lockd');
      });
      const r = m.run();
      // The kthread's task_struct stand-in is referenced from the live task, freed on exit.
      expect(slab_live_objects(m).map((o) => slab_meta(o)?.type)).toEqual(
        idle ? ['task_struct', 'svc_rqst'] : ['svc_rqst'],
      );
      if (idle) expect(r.outcome).toBe('clean');
      else expect(r.report?.title).toBe('memory leak in lockd');
    }
  });

  it('runs only on machines that enabled it', () => {
    const m = new Machine();
    m.spawn_user('t', function* () {
      yield* nlm_alloc_host();
      yield* sched_point();
    });
    expect(m.run().outcome).toBe('clean');
    expect(kmemleak_scan(m)).toHaveLength(1);
  });
});
