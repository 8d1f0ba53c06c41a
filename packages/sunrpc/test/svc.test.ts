import {
  allow_signal,
  complete,
  completion,
  current,
  EAGAIN,
  EINTR,
  failslab_configure,
  HZ,
  jiffies,
  type Kfn,
  kill_proc,
  Machine,
  msleep,
  SIGKILL,
  slab_live_objects,
  slab_meta,
  wait_for_completion,
} from '@lockstep/kernel';
import { describe, expect, it } from 'vitest';
import * as sunrpc from '../src/index.js';
import {
  IPPROTO_UDP,
  net_bind,
  net_sendto,
  pmap_getport,
  type rpc_reply_msg,
  rpc_success,
  rpcbind_start,
  SVC_SOCK_DEFAULTS,
  svc_create,
  svc_create_thread,
  svc_destroy,
  svc_exit_thread,
  svc_makesock,
  svc_process,
  type svc_program,
  svc_recv,
  type svc_rqst,
  type svc_serv,
  utsname_nodename,
} from '../src/index.js';
import { TESTPROG } from './helpers.js';

const testsvc: svc_program = {
  pg_prog: TESTPROG,
  pg_nvers: 2,
  pg_vers: [
    undefined,
    {
      vs_vers: 1,
      vs_nproc: 2,
      vs_xdrsize: 64,
      vs_proc: [
        undefined,
        {
          pc_name: 'echo',
          pc_decode: (_r, args, argp) => {
            (argp as { v?: unknown }).v = args;
            return true;
          },
          // biome-ignore lint/correctness/useYield: a procedure is a Kfn; echo never sleeps.
          *pc_func(_r, argp, resp) {
            (resp as { v?: unknown }).v = `echo ${(argp as { v: unknown }).v}`;
            return rpc_success;
          },
          pc_encode: (_r, resp) => (resp as { v: unknown }).v,
        },
      ],
    },
  ],
  pg_name: 'testsvc',
  pg_class: 'test',
  pg_stats: null,
};

function liveOf(type: string): number {
  return slab_live_objects().filter((o) => slab_meta(o)?.type === type).length;
}

describe('svc threads', () => {
  it('creates a thread that holds a serv reference, and frees the serv when it exits', () => {
    const m = new Machine();
    rpcbind_start(m);
    const seen: unknown[] = [];
    const started = new completion('started');
    m.spawn_user('creator', function* () {
      const serv = (yield* svc_create(testsvc, 4096, null))!;
      expect(yield* svc_makesock(serv, IPPROTO_UDP, 0, SVC_SOCK_DEFAULTS)).toBeGreaterThan(0);
      seen.push(serv.sv_nrthreads);
      const err = yield* svc_create_thread(function* worker(rqstp: svc_rqst): Kfn {
        complete(started);
        // svc_makesock queued the new socket (svc_udp_init sets SK_DATA): the first
        // svc_recv reads it, finds nothing and returns -EAGAIN at once; the second waits.
        for (let i = 0; i < 2; i++) {
          const t0 = jiffies;
          seen.push(`recv ${yield* svc_recv(rqstp, 5 * HZ)} after ${jiffies - t0}`);
        }
        yield* svc_exit_thread(rqstp);
      }, serv);
      seen.push(err, serv.sv_nrthreads, serv.sv_pools![0]!.sp_nrthreads);
      yield* wait_for_completion(started);
      // Drop the creator's reference: the thread keeps the serv alive.
      yield* svc_destroy(serv);
      seen.push(serv.sv_nrthreads, liveOf('svc_serv'));
      yield* msleep(10_000);
      seen.push(liveOf('svc_serv'), liveOf('svc_rqst'), liveOf('svc_sock'));
    });
    const r = m.run();
    expect(r.outcome, r.report?.text ?? r.error).toBe('clean');
    // The thread's first svc_recv does not sleep, so it is in before the creator goes on.
    expect(seen).toEqual([
      1,
      0,
      2,
      1,
      `recv ${-EAGAIN} after 0`,
      1,
      1,
      `recv ${-EAGAIN} after ${5 * HZ}`,
      0,
      0,
      0,
    ]);
  });

  it('wakes a thread in svc_recv with a signal it allows (-EINTR)', () => {
    const m = new Machine();
    let res = 0;
    m.spawn_user('creator', function* () {
      const serv = (yield* svc_create(testsvc, 4096, null))!;
      let pid = 0;
      const ready = new completion('ready');
      yield* svc_create_thread(function* worker(rqstp: svc_rqst): Kfn {
        allow_signal(SIGKILL);
        pid = current.pid;
        complete(ready);
        res = yield* svc_recv(rqstp, 3600 * HZ);
        yield* svc_exit_thread(rqstp);
      }, serv);
      yield* wait_for_completion(ready);
      yield* svc_destroy(serv);
      kill_proc(pid, SIGKILL, 1);
    });
    const r = m.run();
    expect(r.outcome, r.report?.text ?? r.error).toBe('clean');
    expect(res).toBe(-EINTR);
  });

  it('receives a call on its socket and svc_process sends the procedure result back', () => {
    const m = new Machine();
    rpcbind_start(m);
    const replies: rpc_reply_msg[] = [];
    m.spawn_user('creator', function* () {
      const serv = (yield* svc_create(testsvc, 4096, null))!;
      yield* svc_makesock(serv, IPPROTO_UDP, 0, SVC_SOCK_DEFAULTS);
      yield* svc_create_thread(function* worker(rqstp: svc_rqst): Kfn {
        // The first svc_recv finds the socket svc_makesock queued, empty (-EAGAIN).
        let len = -EAGAIN;
        for (let i = 0; i < 2 && len === -EAGAIN; i++) len = yield* svc_recv(rqstp, 60 * HZ);
        if (len > 0) yield* svc_process(rqstp);
        yield* svc_exit_thread(rqstp);
      }, serv);
      yield* svc_destroy(serv);
    });
    m.spawn_user('client', function* () {
      yield* msleep(1000);
      const port = pmap_getport(utsname_nodename(), TESTPROG, 1, IPPROTO_UDP);
      const me = net_bind('cli', 0, (msg) => {
        if (msg.dir === 'reply') replies.push(msg);
      });
      net_sendto(
        { host: utsname_nodename(), port },
        {
          dir: 'call',
          xid: 7,
          prog: TESTPROG,
          vers: 1,
          proc: 1,
          prot: IPPROTO_UDP,
          args: 'hi',
          src: { host: 'cli', port: me },
        },
      );
    });
    const r = m.run();
    expect(r.outcome, r.report?.text ?? r.error).toBe('clean');
    expect(replies.map((x) => [x.xid, x.accept_stat, x.res])).toEqual([[7, 0, 'echo hi']]);
    // The serv unregistered from the portmapper when it was destroyed.
    expect(pmap_getport('server', TESTPROG, 1, IPPROTO_UDP, m)).toBe(0);
  });

  it('returns -ENOMEM and keeps the serv when the thread itself cannot be forked', () => {
    const m = new Machine();
    const seen: unknown[] = [];
    m.spawn_user('creator', function* () {
      const serv: svc_serv = (yield* svc_create(testsvc, 4096, null))!;
      failslab_configure({ type: 'task_struct' });
      seen.push(yield* svc_create_thread(function* worker(): Kfn {}, serv));
      seen.push(serv.sv_nrthreads, serv.sv_pools![0]!.sp_nrthreads, liveOf('svc_rqst'));
      yield* svc_destroy(serv);
      seen.push(liveOf('svc_serv'));
    });
    const r = m.run();
    expect(r.outcome, r.report?.text ?? r.error).toBe('clean');
    expect(seen).toEqual([-12, 1, 0, 0, 0]);
  });

  it('exports the 2.6.24 symbols: no svc_sock_update_bufs, no svc_prepare_thread', () => {
    expect(Object.hasOwn(sunrpc, 'svc_sock_update_bufs')).toBe(false);
    expect(Object.hasOwn(sunrpc, 'svc_prepare_thread')).toBe(false);
    for (const s of [
      'svc_create',
      'svc_destroy',
      'svc_create_thread',
      'svc_exit_thread',
      'svc_recv',
      'svc_process',
      'svc_wake_up',
      'svc_makesock',
      'rpc_create',
      'rpc_call_async',
      'rpc_shutdown_client',
      'rpc_killall_tasks',
    ])
      expect(Object.hasOwn(sunrpc, s), s).toBe(true);
  });
});
