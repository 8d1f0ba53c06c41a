/**
 * The parts of fs/lockd/clntproc.c (Linux 2.6.24) the server side uses: NLM call objects
 * (nlm_rqst), cookies, and nlm_async_call(), which lockd uses to send GRANTED_MSG.
 */
import {
  BUG_ON,
  DEFINE_STATIC,
  ENOLCK,
  HZ,
  type Kfn,
  kfree,
  kzalloc,
  printk,
  schedule_timeout_interruptible,
  signalled,
} from '@lockstep/kernel';
import {
  RPC_TASK_ASYNC,
  rpc_call_async,
  type rpc_call_ops,
  type rpc_message,
} from '@lockstep/sunrpc';
import { locks_init_lock } from '@lockstep/vfs-locks';
import { nlm_bind_host, nlm_release_host } from './host.js';
import type { nlm_cookie, nlm_host, nlm_rqst } from './lockd.js';
import { nlm_lock_struct } from './xdr.js';

/** The statics of fs/lockd/clntproc.c, per machine. */
const clntproc_c = DEFINE_STATIC('fs/lockd/clntproc.c', () => ({
  nlm_cookie: 0x1234,
}));

/**
 * nlmclnt_next_cookie(), v2.6.24:fs/lockd/clntproc.c: a new 4-byte cookie, the counter after
 * atomic_inc_return() (the first is 0x1235). Leaves out the scheduling point of the atomic
 * operation (only the value matters) and the byte order of the memcpy (hex of the value).
 */
export function nlmclnt_next_cookie(): nlm_cookie {
  const s = clntproc_c();
  const c = ++s.nlm_cookie;
  return (c >>> 0).toString(16).padStart(8, '0');
}

/**
 * nlm_alloc_call(), v2.6.24:fs/lockd/clntproc.c: a call object owning `host`'s reference. On
 * allocation failure it waits 5 s and retries until signalled; then it drops the host and
 * returns NULL. No a_count: the call's reference count came in 2.6.26 (5e7f37a7).
 */
export function* nlm_alloc_call(host: nlm_host): Kfn<nlm_rqst | null> {
  for (;;) {
    const call = yield* kzalloc(
      'nlm_rqst',
      (): nlm_rqst => ({
        a_flags: 0,
        a_host: null,
        a_args: { cookie: '', lock: nlm_lock_struct(), block: 0, reclaim: 0, state: 0, monitor: 0 },
        a_res: { cookie: '', status: 0, lock: nlm_lock_struct() },
        a_block: null,
        a_retries: 0,
        a_owner: '',
      }),
    );
    if (call !== null) {
      locks_init_lock(call.a_args.lock.fl);
      locks_init_lock(call.a_res.lock.fl);
      call.a_host = host;
      return call;
    }
    if (signalled()) break;
    printk('nlm_alloc_call: failed, waiting for memory\n');
    yield* schedule_timeout_interruptible(5 * HZ);
  }
  yield* nlm_release_host(host);
  return null;
}

/**
 * nlm_release_call(), v2.6.24:fs/lockd/clntproc.c: drop the host and free the call, at once
 * (no reference count before 5e7f37a7, 2.6.26). nlmclnt_release_lockargs() only checks that
 * the lock has no fl_ops.
 */
export function* nlm_release_call(call: nlm_rqst): Kfn {
  yield* nlm_release_host(call.a_host);
  nlmclnt_release_lockargs(call);
  kfree(call);
}

/** nlmclnt_release_lockargs(), v2.6.24:fs/lockd/clntproc.c: BUG if the lock kept fl_ops. */
function nlmclnt_release_lockargs(req: nlm_rqst): void {
  BUG_ON(req.a_args.lock.fl.fl_ops != null);
}

/**
 * __nlm_async_call(), v2.6.24:fs/lockd/clntproc.c: bind the host (creating its RPC client, which
 * pings it synchronously) and start an asynchronous call. On failure the ops' rpc_release runs.
 */
function* __nlm_async_call(
  req: nlm_rqst,
  proc: number,
  msg: rpc_message,
  tk_ops: rpc_call_ops,
): Kfn<number> {
  const host = req.a_host!;
  let status = -ENOLCK;
  // biome-ignore lint/suspicious/noConfusingLabels: the kernel's "goto out_err"
  out_err: {
    // If we have no RPC client yet, create one.
    const clnt = yield* nlm_bind_host(host);
    if (clnt === null) break out_err;
    msg.rpc_proc = clnt.cl_procinfo[proc]!;

    // Bootstrap and kick off the async RPC call (it releases the calldata itself on failure).
    status = yield* rpc_call_async(clnt, msg, RPC_TASK_ASYNC, tk_ops, req);
    return status;
  }
  const release = tk_ops.rpc_release;
  if (release) {
    const g = release(req);
    if (g) yield* g;
  }
  return status;
}

/**
 * nlm_async_call(), v2.6.24:fs/lockd/clntproc.c: an asynchronous NLM call with req's arguments and
 * result.
 */
export function* nlm_async_call(req: nlm_rqst, proc: number, tk_ops: rpc_call_ops): Kfn<number> {
  const msg: rpc_message = { rpc_proc: null, rpc_argp: req.a_args, rpc_resp: req.a_res };
  return yield* __nlm_async_call(req, proc, msg, tk_ops);
}
