/**
 * @lockstep/lockd: fs/lockd of Linux 2.6.24 (the NLM server side) on @lockstep/kernel,
 * @lockstep/sunrpc and @lockstep/vfs-locks.
 *
 * First the 2.6.24 EXPORT_SYMBOLs of lockd that the model has (lockd_up, lockd_down,
 * nlmsvc_ops), then what the NFS server binding needs (the structs of lockd.h and bind.h),
 * then model helpers for setup code, tests and reproducers (state snapshots, the wire forms
 * of NLM messages).
 */

export { nlm_host_names } from './host.js';

// include/linux/lockd: structs and constants.
export {
  B_GOT_CALLBACK,
  B_QUEUED,
  B_TIMED_OUT,
  LOCKD_DFLT_TIMEO,
  NLM_NEVER,
  NLM_PROGRAM,
  NLMPROC_CANCEL,
  NLMPROC_GRANTED,
  NLMPROC_GRANTED_MSG,
  NLMPROC_GRANTED_RES,
  NLMPROC_LOCK,
  NLMPROC_NULL,
  NLMPROC_TEST,
  NLMPROC_UNLOCK,
  type nfs_fh,
  type nlm_args,
  type nlm_block,
  nlm_compare_locks,
  type nlm_cookie,
  nlm_deadlock,
  nlm_drop_reply,
  type nlm_file,
  nlm_granted,
  type nlm_host,
  nlm_lck_blocked,
  nlm_lck_denied,
  nlm_lck_denied_grace_period,
  nlm_lck_denied_nolocks,
  type nlm_lock,
  type nlm_res,
  type nlm_rqst,
  type nlmsvc_binding,
} from './lockd.js';
// EXPORT_SYMBOL (fs/lockd/svc.c).
// Model helpers.
export {
  LOCKD_BUFSIZE,
  lockd_down,
  lockd_globals,
  type lockd_globals_t,
  lockd_state,
  lockd_up,
  nlmsvc_ops,
} from './svc.js';
export { nlm_blocked_list } from './svclock.js';
export { nlm_file_handles } from './svcsubs.js';
export type {
  nlm_xdr_cancargs,
  nlm_xdr_holder,
  nlm_xdr_lock,
  nlm_xdr_lockargs,
  nlm_xdr_res,
  nlm_xdr_testargs,
  nlm_xdr_testres,
  nlm_xdr_unlockargs,
} from './xdr.js';
