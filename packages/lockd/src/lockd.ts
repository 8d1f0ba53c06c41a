/**
 * The structs and constants of include/linux/lockd/lockd.h, nlm.h, xdr.h and bind.h as of
 * Linux 2.6.24. File handles and cookies are strings; the NSM (statd) fields and DOS shares
 * are left out.
 */
import {
  type atomic_t,
  HZ,
  type Kfn,
  type kref,
  type list_head,
  type mutex,
} from '@lockstep/kernel';
import type { rpc_clnt, sockaddr_in, svc_rqst, svc_serv } from '@lockstep/sunrpc';
import { F_UNLCK, type file, type file_lock } from '@lockstep/vfs-locks';

/** NLM program and procedure numbers (include/linux/lockd/nlm.h). */
export const NLM_PROGRAM = 100021;
export const NLMPROC_NULL = 0;
export const NLMPROC_TEST = 1;
export const NLMPROC_LOCK = 2;
export const NLMPROC_CANCEL = 3;
export const NLMPROC_UNLOCK = 4;
export const NLMPROC_GRANTED = 5;
export const NLMPROC_TEST_MSG = 6;
export const NLMPROC_LOCK_MSG = 7;
export const NLMPROC_CANCEL_MSG = 8;
export const NLMPROC_UNLOCK_MSG = 9;
export const NLMPROC_GRANTED_MSG = 10;
export const NLMPROC_TEST_RES = 11;
export const NLMPROC_LOCK_RES = 12;
export const NLMPROC_CANCEL_RES = 13;
export const NLMPROC_UNLOCK_RES = 14;
export const NLMPROC_GRANTED_RES = 15;
export const NLMPROC_NSM_NOTIFY = 16;

/** NLM status codes (nlm4 numbering; v1/v3 differ only for the v4-only ones). */
export const nlm_granted = 0;
export const nlm_lck_denied = 1;
export const nlm_lck_denied_nolocks = 2;
export const nlm_lck_blocked = 3;
export const nlm_lck_denied_grace_period = 4;
export const nlm_deadlock = 5;
/** Internal: don't send a reply (include/linux/lockd/xdr.h). */
export const nlm_drop_reply = 30000;

/** LOCKD_DFLT_TIMEO: the default nlm_timeout, in seconds. */
export const LOCKD_DFLT_TIMEO = 10;
/** sizeof(struct nlm_args), roughly: the XDR buffer size of the NLM service. */
export const NLMSVC_XDRSIZE = 256;
export const NLMCLNT_OHSIZE = 64;

/** Hosts. */
export const NLM_HOST_MAX = 64;
export const NLM_HOST_REBIND = 60 * HZ;

/** NLM_NEVER (~0UL): a block with no retry time. */
export const NLM_NEVER = -1;
/** NLM_TIMEOUT: how long a deferred lock waits for the filesystem. */
export const NLM_TIMEOUT = 7 * HZ;

/** nlm_block.b_flags. */
export const B_QUEUED = 1;
export const B_GOT_CALLBACK = 2;
export const B_TIMED_OUT = 4;

/** struct nlm_cookie, as its bytes in hex. */
export type nlm_cookie = string;
/** struct nfs_fh: the file handle, a path of an export in the model. */
export type nfs_fh = string;

/** struct nlm_lock. */
export interface nlm_lock {
  caller: string;
  len: number;
  fh: nfs_fh;
  oh: string;
  svid: number;
  fl: file_lock;
}

/** struct nlm_args. */
export interface nlm_args {
  cookie: nlm_cookie;
  lock: nlm_lock;
  block: number;
  reclaim: number;
  state: number;
  monitor: number;
}

/** struct nlm_res. */
export interface nlm_res {
  cookie: nlm_cookie;
  status: number;
  lock: nlm_lock;
}

/** struct nlm_host: a peer, as client (h_server = 1: it locks on us) or as server. */
export interface nlm_host {
  h_addr: sockaddr_in;
  h_name: string;
  h_proto: number;
  h_version: number;
  h_server: number;
  h_rpcclnt: rpc_clnt | null;
  h_count: atomic_t;
  h_mutex: mutex;
  h_nextrebind: number;
  h_expires: number;
  h_inuse: number;
  h_state: number;
  h_nsmstate: number;
  h_lockowners: list_head;
  h_granted: list_head;
  h_reclaim: list_head;
}

/** struct nlm_rqst: an NLM call, with its arguments and result. */
export interface nlm_rqst {
  a_flags: number;
  a_host: nlm_host | null;
  a_args: nlm_args;
  a_res: nlm_res;
  a_block: nlm_block | null;
  a_retries: number;
  a_owner: string;
}

/** struct nlm_file: an open file lockd holds locks on. */
export interface nlm_file {
  f_handle: nfs_fh;
  f_file: file | null;
  f_shares: null;
  f_blocks: list_head;
  f_locks: number;
  f_count: number;
  f_mutex: mutex;
}

/** struct nlm_block: a blocked lock request, on nlm_blocked while lockd must retry it. */
export interface nlm_block {
  b_count: kref;
  b_list: list_head;
  b_flist: list_head;
  b_call: nlm_rqst | null;
  b_daemon: svc_serv | null;
  b_host: nlm_host | null;
  b_when: number;
  b_id: number;
  b_granted: number;
  b_file: nlm_file | null;
  b_fl: file_lock | null;
  b_flags: number;
}

/** struct nlmsvc_binding (include/linux/lockd/bind.h): what the NFS server gives lockd. */
export interface nlmsvc_binding {
  /** Open the file a handle names; 0 or an nlm status. Sets filp.f_file. */
  fopen(rqstp: svc_rqst, f: nfs_fh, filp: { f_file: file | null }): Kfn<number>;
  fclose(filp: file): Kfn | undefined | void;
}

/** nlm_host_match_fn_t. */
export type nlm_host_match_fn_t = (host: nlm_host, other: nlm_host | null) => number;

/**
 * nlm_compare_locks(), v2.6.24:include/linux/lockd/lockd.h: same owner, pid and range; the
 * type matches or the second is F_UNLCK.
 */
export function nlm_compare_locks(fl1: file_lock, fl2: file_lock): boolean {
  return (
    fl1.fl_pid === fl2.fl_pid &&
    fl1.fl_owner === fl2.fl_owner &&
    fl1.fl_start === fl2.fl_start &&
    fl1.fl_end === fl2.fl_end &&
    (fl1.fl_type === fl2.fl_type || fl2.fl_type === F_UNLCK)
  );
}
