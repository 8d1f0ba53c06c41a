/**
 * The NLM server procedures, fs/lockd/svcproc.c as of Linux 2.6.24 (and svc4proc.c, which
 * differs only in XDR): NULL, TEST, LOCK (blocking or not), CANCEL, UNLOCK and the client's
 * GRANTED_RES. Left out: the asynchronous *_MSG variants, SHARE/UNSHARE, FREE_ALL, the
 * statd callbacks (SM_NOTIFY), NSM monitoring, and cast_status() for v1/v3 clients.
 */
import type { Kfn } from '@lockstep/kernel';
import { rpc_drop_reply, rpc_success, type svc_procedure, type svc_rqst } from '@lockstep/sunrpc';
import { nlm_release_host, nlmsvc_lookup_host } from './host.js';
import {
  NLMPROC_CANCEL,
  NLMPROC_GRANTED_RES,
  NLMPROC_LOCK,
  NLMPROC_NULL,
  NLMPROC_TEST,
  NLMPROC_UNLOCK,
  type nlm_args,
  nlm_drop_reply,
  type nlm_file,
  type nlm_host,
  nlm_lck_denied_grace_period,
  nlm_lck_denied_nolocks,
  type nlm_res,
} from './lockd.js';
import { lockd_globals, nlmsvc_ops } from './svc.js';
import {
  nlmsvc_cancel_blocked,
  nlmsvc_grant_reply,
  nlmsvc_lock,
  nlmsvc_lock_operations,
  nlmsvc_testlock,
  nlmsvc_unlock,
} from './svclock.js';
import { nlm_lookup_file, nlm_release_file } from './svcsubs.js';
import {
  nlmsvc_decode_cancargs,
  nlmsvc_decode_lockargs,
  nlmsvc_decode_res,
  nlmsvc_decode_testargs,
  nlmsvc_decode_unlockargs,
  nlmsvc_decode_void,
  nlmsvc_encode_res,
  nlmsvc_encode_testres,
  nlmsvc_encode_void,
  resIn,
} from './xdr.js';

interface retrieved {
  host: nlm_host | null;
  file: nlm_file | null;
}

/**
 * nlmsvc_retrieve_args(), v2.6.24:fs/lockd/svcproc.c: the requesting host and the file (when
 * `want_file`), with references, and the missing parts of the request's file_lock (file,
 * owner = the host, our lock manager operations). 0 or an nlm status. Leaves out
 * nsm_monitor() (argp->monitor).
 */
function* nlmsvc_retrieve_args(
  rqstp: svc_rqst,
  argp: nlm_args,
  out: retrieved,
  want_file: boolean,
): Kfn<number> {
  const lock = argp.lock;
  let error = 0;

  // nfsd callbacks must have been installed for this procedure.
  if (!nlmsvc_ops()) return nlm_lck_denied_nolocks;

  // biome-ignore lint/suspicious/noConfusingLabels: the kernel's "goto no_locks"
  no_locks: {
    // Obtain host handle.
    const host = yield* nlmsvc_lookup_host(rqstp, lock.caller, lock.len);
    out.host = host;
    if (host === null) break no_locks;

    // Obtain file pointer. Not used by FREE_ALL call.
    if (want_file) {
      const r: { file: nlm_file | null } = { file: null };
      if ((error = yield* nlm_lookup_file(rqstp, r, lock.fh)) !== 0) break no_locks;
      const file = r.file!;
      out.file = file;

      // Set up the missing parts of the file_lock structure.
      lock.fl.fl_file = file.f_file;
      lock.fl.fl_owner = host;
      lock.fl.fl_lmops = nlmsvc_lock_operations;
    }
    return 0;
  }
  if (out.host) yield* nlm_release_host(out.host);
  out.host = null;
  if (error) return error;
  return nlm_lck_denied_nolocks;
}

/** nlmsvc_proc_null(), v2.6.24:fs/lockd/svcproc.c. */
// biome-ignore lint/correctness/useYield: every procedure is a Kfn; NULL has nothing to wait for.
function* nlmsvc_proc_null(_rqstp: svc_rqst, _argp: unknown, _resp: unknown): Kfn<number> {
  return rpc_success;
}

/**
 * nlmsvc_proc_test(), v2.6.24:fs/lockd/svcproc.c: TEST, denied during the grace period. A
 * dropped reply keeps the host and file references (the leak b7e6b869 fixed in 2.6.25).
 */
function* nlmsvc_proc_test(rqstp: svc_rqst, argp: nlm_args, resp_: unknown): Kfn<number> {
  const resp = resIn(resp_);
  const out: retrieved = { host: null, file: null };

  resp.cookie = argp.cookie;

  // Don't accept test requests during grace period.
  if (lockd_globals().nlmsvc_grace_period) {
    resp.status = nlm_lck_denied_grace_period;
    return rpc_success;
  }

  // Obtain client and file.
  if ((resp.status = yield* nlmsvc_retrieve_args(rqstp, argp, out, true)))
    return resp.status === nlm_drop_reply ? rpc_drop_reply : rpc_success;

  // Now check for conflicting locks. A dropped reply returns before the releases (b7e6b869).
  resp.status = yield* nlmsvc_testlock(rqstp, out.file!, argp.lock, resp.lock, resp.cookie);
  if (resp.status === nlm_drop_reply) return rpc_drop_reply;

  yield* nlm_release_host(out.host);
  yield* nlm_release_file(out.file!);
  return rpc_success;
}

/**
 * nlmsvc_proc_lock(), v2.6.24:fs/lockd/svcproc.c: LOCK, denied during the grace period unless
 * a reclaim. A dropped reply keeps the host and file references (fixed by b7e6b869, 2.6.25).
 */
function* nlmsvc_proc_lock(rqstp: svc_rqst, argp: nlm_args, resp_: unknown): Kfn<number> {
  const resp = resIn(resp_);
  const out: retrieved = { host: null, file: null };

  resp.cookie = argp.cookie;

  // Don't accept new lock requests during grace period.
  if (lockd_globals().nlmsvc_grace_period && !argp.reclaim) {
    resp.status = nlm_lck_denied_grace_period;
    return rpc_success;
  }

  // Obtain client and file.
  if ((resp.status = yield* nlmsvc_retrieve_args(rqstp, argp, out, true)))
    return resp.status === nlm_drop_reply ? rpc_drop_reply : rpc_success;

  // Now try to lock the file. A dropped reply returns before the releases (b7e6b869).
  resp.status = yield* nlmsvc_lock(rqstp, out.file!, argp.lock, argp.block, argp.cookie);
  if (resp.status === nlm_drop_reply) return rpc_drop_reply;

  yield* nlm_release_host(out.host);
  yield* nlm_release_file(out.file!);
  return rpc_success;
}

/** nlmsvc_proc_cancel(), v2.6.24:fs/lockd/svcproc.c: CANCEL a blocked LOCK. */
function* nlmsvc_proc_cancel(rqstp: svc_rqst, argp: nlm_args, resp_: unknown): Kfn<number> {
  const resp = resIn(resp_);
  const out: retrieved = { host: null, file: null };

  resp.cookie = argp.cookie;

  // Don't accept requests during grace period.
  if (lockd_globals().nlmsvc_grace_period) {
    resp.status = nlm_lck_denied_grace_period;
    return rpc_success;
  }

  // Obtain client and file.
  if ((resp.status = yield* nlmsvc_retrieve_args(rqstp, argp, out, true)))
    return resp.status === nlm_drop_reply ? rpc_drop_reply : rpc_success;

  // Try to cancel request.
  resp.status = yield* nlmsvc_cancel_blocked(out.file!, argp.lock);

  yield* nlm_release_host(out.host);
  yield* nlm_release_file(out.file!);
  return rpc_success;
}

/** nlmsvc_proc_unlock(), v2.6.24:fs/lockd/svcproc.c: UNLOCK. */
function* nlmsvc_proc_unlock(rqstp: svc_rqst, argp: nlm_args, resp_: unknown): Kfn<number> {
  const resp = resIn(resp_);
  const out: retrieved = { host: null, file: null };

  resp.cookie = argp.cookie;

  // Don't accept new lock requests during grace period.
  if (lockd_globals().nlmsvc_grace_period) {
    resp.status = nlm_lck_denied_grace_period;
    return rpc_success;
  }

  // Obtain client and file.
  if ((resp.status = yield* nlmsvc_retrieve_args(rqstp, argp, out, true)))
    return resp.status === nlm_drop_reply ? rpc_drop_reply : rpc_success;

  // Now try to remove the lock.
  resp.status = yield* nlmsvc_unlock(out.file!, argp.lock);

  yield* nlm_release_host(out.host);
  yield* nlm_release_file(out.file!);
  return rpc_success;
}

/**
 * nlmsvc_proc_granted_res(), v2.6.24:fs/lockd/svcproc.c: the client's answer to our GRANTED_MSG.
 */
function* nlmsvc_proc_granted_res(_rqstp: svc_rqst, argp: nlm_res, _resp: unknown): Kfn<number> {
  if (!nlmsvc_ops()) return rpc_success;
  yield* nlmsvc_grant_reply(argp.cookie, argp.status);
  return rpc_success;
}

/** Model helper: one svc_procedure entry of the table below. */
function proc(
  pc_name: string,
  pc_func: svc_procedure['pc_func'],
  pc_decode: svc_procedure['pc_decode'],
  pc_encode: svc_procedure['pc_encode'],
): svc_procedure {
  return Object.freeze({ pc_name, pc_func, pc_decode, pc_encode });
}

/**
 * nlmsvc_procedures, v2.6.24:fs/lockd/svcproc.c (and nlmsvc_procedures4 of svc4proc.c, the
 * same table in the model): the procedures above; the _MSG, SHARE and SM_NOTIFY ones left out.
 */
export const nlmsvc_procedures: readonly (svc_procedure | undefined)[] = (() => {
  const t: (svc_procedure | undefined)[] = new Array(24).fill(undefined);
  t[NLMPROC_NULL] = proc('null', nlmsvc_proc_null, nlmsvc_decode_void, nlmsvc_encode_void);
  t[NLMPROC_TEST] = proc('test', nlmsvc_proc_test, nlmsvc_decode_testargs, nlmsvc_encode_testres);
  t[NLMPROC_LOCK] = proc('lock', nlmsvc_proc_lock, nlmsvc_decode_lockargs, nlmsvc_encode_res);
  t[NLMPROC_CANCEL] = proc('cancel', nlmsvc_proc_cancel, nlmsvc_decode_cancargs, nlmsvc_encode_res);
  t[NLMPROC_UNLOCK] = proc(
    'unlock',
    nlmsvc_proc_unlock,
    nlmsvc_decode_unlockargs,
    nlmsvc_encode_res,
  );
  t[NLMPROC_GRANTED_RES] = proc(
    'granted_res',
    nlmsvc_proc_granted_res,
    nlmsvc_decode_res,
    nlmsvc_encode_void,
  );
  return Object.freeze(t);
})();
