import {
  complete,
  completion,
  current,
  type ERR_PTR,
  HZ,
  IS_ERR,
  jiffies,
  kernel_locked,
  Machine,
  msleep,
  PTR_ERR,
  slab_meta,
  to_dmesg,
  wait_for_completion,
} from '@lockstep/kernel';
import { describe, expect, it } from 'vitest';
import {
  IPPROTO_UDP,
  RPC_AUTH_UNIX,
  RPC_CLNT_CREATE_AUTOBIND,
  RPC_CLNT_CREATE_HARDRTRY,
  RPC_CLNT_CREATE_NOPING,
  rpc_call_async,
  rpc_call_sync,
  type rpc_clnt,
  rpc_create,
  type rpc_create_args,
  rpc_shutdown_client,
  type rpc_task,
} from '../src/index.js';
import { FakeServer, testProcs, testProgram } from './helpers.js';

function args(host: string, flags: number): rpc_create_args {
  return {
    protocol: IPPROTO_UDP,
    address: { host, port: 0 },
    timeout: {
      to_initval: 10 * HZ,
      to_increment: 10 * HZ,
      to_maxval: 60 * HZ,
      to_retries: 5,
      to_exponential: false,
    },
    servername: host,
    program: testProgram,
    version: 1,
    authflavor: RPC_AUTH_UNIX,
    flags,
  };
}

function dmesg(m: Machine): string {
  return m.log.map((l) => l.text).join('\n');
}

describe('rpc client', () => {
  it('pings the server once in rpc_create, and not at all with NOPING', () => {
    const m = new Machine();
    const srv = new FakeServer(m, 'srv');
    const pings: number[] = [];
    m.spawn_user('t', function* () {
      const a = yield* rpc_create(args('srv', RPC_CLNT_CREATE_AUTOBIND));
      expect(IS_ERR(a)).toBe(false);
      pings.push(srv.calls.filter((c) => c.proc === 0).length);
      const b = yield* rpc_create(args('srv', RPC_CLNT_CREATE_AUTOBIND | RPC_CLNT_CREATE_NOPING));
      expect(IS_ERR(b)).toBe(false);
      pings.push(srv.calls.filter((c) => c.proc === 0).length);
      yield* rpc_shutdown_client(a as rpc_clnt);
      yield* rpc_shutdown_client(b as rpc_clnt);
    });
    const r = m.run();
    expect(r.outcome, r.report?.text ?? r.error).toBe('clean');
    expect(pings).toEqual([1, 1]);
  });

  it('fails a soft ping to a silent server at the first major timeout after it', () => {
    const m = new Machine();
    const srv = new FakeServer(m, 'srv');
    srv.answer = false;
    let took = 0;
    let res: unknown = null;
    m.spawn_user('t', function* () {
      const t0 = jiffies;
      res = yield* rpc_create(args('srv', RPC_CLNT_CREATE_AUTOBIND));
      took = jiffies - t0;
    });
    const r = m.run();
    expect(r.outcome, to_dmesg(m)).toBe('clean');
    expect(IS_ERR(res) && PTR_ERR(res as ReturnType<typeof ERR_PTR>)).toBe(-5);
    // xprt_set_retrans_timeout_rtt: the wait doubles from to_initval (10 s, 20 s, 40 s, capped at
    // to_maxval); the major timeout is 60 s after the first transmission, so the check after the
    // third wait (70 s) is the first to see it.
    expect(took).toBe((10 + 20 + 40) * HZ);
    // Transmitted, then retransmitted at the two minor timeouts.
    expect(srv.calls.length).toBe(3);
    expect(dmesg(m)).toContain('testprog: server srv not responding, timed out');
  });

  it('fails a ping at once with -EOPNOTSUPP when the program is not registered', () => {
    const m = new Machine();
    let took = -1;
    let res: unknown = null;
    m.spawn_user('t', function* () {
      const t0 = jiffies;
      // No server on 'nobody': its portmapper answers GETPORT with port 0 (-EACCES), and
      // call_bind_status ends a NULL call there instead of retrying after 3 s.
      res = yield* rpc_create(args('nobody', RPC_CLNT_CREATE_AUTOBIND));
      took = jiffies - t0;
    });
    expect(m.run().outcome, to_dmesg(m)).toBe('clean');
    expect(IS_ERR(res) && PTR_ERR(res as ReturnType<typeof ERR_PTR>)).toBe(-95);
    expect(took).toBe(0);
  });

  it('returns the decoded result of a synchronous call', () => {
    const m = new Machine();
    new FakeServer(m, 'srv');
    const resp: { got?: unknown } = {};
    let status = -1;
    m.spawn_user('t', function* () {
      const clnt = (yield* rpc_create(args('srv', RPC_CLNT_CREATE_AUTOBIND))) as rpc_clnt;
      status = yield* rpc_call_sync(
        clnt,
        { rpc_proc: testProcs[1]!, rpc_argp: 'hi', rpc_resp: resp },
        0,
      );
      yield* rpc_shutdown_client(clnt);
    });
    expect(m.run().outcome).toBe('clean');
    expect(status).toBe(0);
    expect(resp.got).toEqual({ echo: 'hi' });
  });

  it('runs rpc_call_done of an async call in rpciod under the BKL, then rpc_release', () => {
    const m = new Machine();
    new FakeServer(m, 'srv');
    const events: string[] = [];
    const done = new completion('released');
    m.spawn_user('t', function* () {
      const clnt = (yield* rpc_create(args('srv', RPC_CLNT_CREATE_AUTOBIND))) as rpc_clnt;
      const status = yield* rpc_call_async(
        clnt,
        { rpc_proc: testProcs[1]!, rpc_argp: 'x', rpc_resp: {} },
        0,
        {
          rpc_call_done(task: rpc_task, data: unknown) {
            events.push(
              `done ${current.comm} bkl=${kernel_locked()} status=${task.tk_status} ${data}`,
            );
          },
          rpc_release(data: unknown) {
            events.push(`release ${current.comm} bkl=${kernel_locked()} ${data}`);
            complete(done);
          },
        },
        'calldata',
      );
      events.push(`started ${status}`);
      yield* wait_for_completion(done);
      yield* rpc_shutdown_client(clnt);
    });
    const r = m.run();
    expect(r.outcome, r.report?.text ?? r.error).toBe('clean');
    expect(events).toEqual([
      'started 0',
      'done rpciod/0 bkl=true status=0 calldata',
      'release rpciod/0 bkl=true calldata',
    ]);
  });

  it('kills an in-flight call in rpc_shutdown_client and frees the client', () => {
    const m = new Machine();
    const srv = new FakeServer(m, 'srv');
    const events: string[] = [];
    let clnt: rpc_clnt | null = null;
    let took = 0;
    m.spawn_user('t', function* () {
      clnt = (yield* rpc_create(args('srv', RPC_CLNT_CREATE_AUTOBIND))) as rpc_clnt;
      srv.answer = false;
      yield* rpc_call_async(
        clnt,
        { rpc_proc: testProcs[1]!, rpc_argp: 'x', rpc_resp: {} },
        0,
        {
          rpc_call_done: (task: rpc_task) => {
            events.push(`done ${task.tk_status}`);
          },
          rpc_release: () => {
            events.push('release');
          },
        },
        null,
      );
      yield* msleep(2000);
      const t0 = jiffies;
      yield* rpc_shutdown_client(clnt);
      took = jiffies - t0;
      events.push('shut down');
    });
    const r = m.run();
    expect(r.outcome, r.report?.text ?? r.error).toBe('clean');
    expect(events).toEqual(['done -5', 'release', 'shut down']);
    expect(took).toBeLessThan(HZ);
    expect(slab_meta(clnt!)?.freed).toBe(true);
  });

  it('keeps retrying a hard call ("still trying") until the server answers', () => {
    const m = new Machine();
    const srv = new FakeServer(m, 'srv');
    let status = -1;
    let at = 0;
    m.spawn_user('t', function* () {
      const clnt = (yield* rpc_create(
        args('srv', RPC_CLNT_CREATE_AUTOBIND | RPC_CLNT_CREATE_HARDRTRY),
      )) as rpc_clnt;
      srv.answer = false;
      status = yield* rpc_call_sync(
        clnt,
        { rpc_proc: testProcs[1]!, rpc_argp: 1, rpc_resp: {} },
        0,
      );
      at = jiffies;
      yield* rpc_shutdown_client(clnt);
    });
    m.spawn_user('net', function* () {
      yield* msleep(100_000);
      srv.answer = true;
    });
    const r = m.run();
    expect(r.outcome).toBe('clean');
    expect(status).toBe(0);
    expect(at).toBeGreaterThan(100 * HZ);
    expect(dmesg(m)).toContain('testprog: server srv not responding, still trying');
    expect(dmesg(m)).toContain('testprog: server srv OK');
  });
});
