/**
 * svc_register() as 2.6.24 has it: each (un)registration is a synchronous RPC to the local
 * rpcbind over loopback, so svc_create and svc_destroy sleep there (dropping the BKL), and
 * with no rpcbind they wait for the soft call's major timeout.
 */
import {
  allow_signal,
  current,
  HZ,
  type Kfn,
  kill_proc,
  lock_kernel,
  Machine,
  msleep,
  SIGKILL,
  signalled,
  slab_live_objects,
  slab_meta,
  unlock_kernel,
} from '@lockstep/kernel';
import { describe, expect, it } from 'vitest';
import {
  IPPROTO_UDP,
  pmap_getport,
  RPCBIND_PORT,
  rpcbind_start,
  SVC_SOCK_DEFAULTS,
  svc_create,
  svc_destroy,
  svc_makesock,
  type svc_program,
  svc_register,
  utsname_nodename,
} from '../src/index.js';
import { TESTPROG } from './helpers.js';

const v = { vs_nproc: 1, vs_xdrsize: 8, vs_proc: [] };
/** Versions 1 and 3 visible, 2 hidden from rpcbind. */
const prog: svc_program = {
  pg_prog: TESTPROG,
  pg_nvers: 4,
  pg_vers: [
    undefined,
    { vs_vers: 1, ...v },
    { vs_vers: 2, vs_hidden: true, ...v },
    { vs_vers: 3, ...v },
  ],
  pg_name: 'testsvc',
  pg_class: 'test',
  pg_stats: null,
};

function live(type: string): number {
  return slab_live_objects().filter((o) => slab_meta(o)?.type === type).length;
}

function dmesg(m: Machine): string {
  return m.log.map((l) => l.text).join('');
}

describe('svc_register through rpcbind', () => {
  it('registers each visible version and unregisters them in svc_destroy, sleeping without the BKL', () => {
    const m = new Machine();
    const rpcb = rpcbind_start(m)!;
    const got: Array<string | number> = [];
    m.spawn_user('lockd_up', function* () {
      yield* lock_kernel();
      const serv = (yield* svc_create(prog, 4096, null))!;
      const port = yield* svc_makesock(serv, IPPROTO_UDP, 0, SVC_SOCK_DEFAULTS);
      const host = utsname_nodename();
      got.push(
        [1, 2, 3].map((vers) => pmap_getport(host, TESTPROG, vers, IPPROTO_UDP) === port).join(),
      );
      yield* svc_destroy(serv);
      got.push(`after ${[1, 3].map((vers) => pmap_getport(host, TESTPROG, vers, IPPROTO_UDP))}`);
      got.push(live('svc_serv'), live('rpc_clnt'), live('rpc_xprt'));
      yield* unlock_kernel();
    });
    const first = m.tasks.length;
    m.spawn_user('other', function* () {
      // Runs while lockd_up sleeps in an rpcbind call holding (and dropping) the BKL.
      yield* lock_kernel();
      got.push(`other took the BKL while lockd_up sleeps in ${m.tasks[first - 1]!.wchan}`);
      yield* unlock_kernel();
    });
    const r = m.run();
    expect(r.outcome, r.report?.text ?? r.error).toBe('clean');
    expect(got).toEqual([
      'other took the BKL while lockd_up sleeps in rpc_wait_bit_interruptible',
      'true,false,true',
      'after 0,0',
      0,
      0,
      0,
    ]);
    // create: UNSET 1, 3; makesock: SET 1, 3; destroy: UNSET 1, 3.
    expect(rpcb.answered.map((a) => a.proc)).toEqual([2, 2, 1, 1, 2, 2]);
  });

  it('with no rpcbind, each call times out: svc_destroy frees the serv after 35 s', () => {
    const m = new Machine();
    const got: Array<string | number> = [];
    m.spawn_user('creator', function* () {
      const serv = (yield* svc_create(prog, 4096, null))!;
      const t0 = m.jiffies;
      got.push(yield* svc_makesock(serv, IPPROTO_UDP, 0, SVC_SOCK_DEFAULTS));
      got.push(`makesock ${m.jiffies - t0}`, live('svc_sock'));
      const t1 = m.jiffies;
      yield* svc_destroy(serv);
      got.push(`destroy ${m.jiffies - t1}`, live('svc_serv'));
    });
    const r = m.run();
    expect(r.outcome, r.report?.text ?? r.error).toBe('clean');
    // The first version's call fails and svc_register stops there. UDP's default timeout
    // (xprt_set_timeout(5, 5 * HZ): 5 s doubling, major timeout 30 s after the first send):
    // the retransmit timer fires at 5, 15 and 35 s, and the check at 35 s ends the soft task.
    const fail = (5 + 10 + 20) * HZ;
    expect(got).toEqual([-5, `makesock ${fail}`, 0, `destroy ${fail}`, 0]);
    const log = dmesg(m);
    expect(log).toContain('rpcbind: server localhost not responding, timed out');
    expect(log).toContain('RPC: failed to contact local rpcbind server (errno 5).');
  });

  it('unregistering clears TIF_SIGPENDING and recalculates it afterwards', () => {
    const m = new Machine();
    rpcbind_start(m);
    const got: Array<string | number | boolean> = [];
    const SIGUSR1 = 10;
    const t = m.spawn_user('daemon', function* (): Kfn {
      const serv = (yield* svc_create(prog, 4096, null))!;
      allow_signal(SIGUSR1);
      allow_signal(SIGKILL);
      yield* msleep(10); // SIGUSR1 arrives: not among the signals an RPC lets through
      got.push(signalled());
      got.push(yield* svc_register(serv, 0, 0), signalled());
      yield* msleep(10); // SIGKILL arrives: rpc_save_sigmask lets it through
      got.push(yield* svc_register(serv, 0, 0), signalled());
      yield* svc_destroy(serv);
    });
    m.spawn_user('killer', function* () {
      yield* msleep(5);
      kill_proc(t.pid, SIGUSR1, 1);
      yield* msleep(10);
      kill_proc(t.pid, SIGKILL, 1);
    });
    const r = m.run();
    expect(r.outcome, r.report?.text ?? r.error).toBe('clean');
    // SIGUSR1: the calls complete, and the flag is back afterwards. SIGKILL: sigprocmask's
    // recalc sets the flag again inside rpc_call_sync, and the call ends with -ERESTARTSYS.
    expect(got).toEqual([true, 0, true, -512, true]);
    expect(current).toBeDefined();
  });

  it('rpcbind listens on port 111 and is not scheduled until called', () => {
    const m = new Machine();
    const rpcb = rpcbind_start(m)!;
    expect(rpcbind_start(m)).toBeNull(); // the port is taken
    m.spawn_user('idle', function* () {
      yield* msleep(1);
    });
    expect(m.run().outcome).toBe('clean');
    expect(rpcb.answered).toEqual([]);
    expect(RPCBIND_PORT).toBe(111);
  });
});
