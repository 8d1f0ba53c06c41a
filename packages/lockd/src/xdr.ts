/**
 * NLM XDR, fs/lockd/xdr.c and xdr4.c as of Linux 2.6.24: the wire forms of the NLM
 * arguments and results, decoding a call into lockd's nlm_args, encoding results, and the
 * client-side program lockd uses for its GRANTED callbacks (nlm_program). The wire forms are
 * the decoded XDR values; byte-level encoding is left out.
 */
import type { rpc_procinfo, rpc_program, rpc_version, svc_rqst } from '@lockstep/sunrpc';
import {
  F_RDLCK,
  F_UNLCK,
  F_WRLCK,
  FL_POSIX,
  file_lock_struct,
  locks_init_lock,
  OFFSET_MAX,
} from '@lockstep/vfs-locks';
import {
  NLM_PROGRAM,
  NLMPROC_GRANTED,
  NLMPROC_GRANTED_MSG,
  type nlm_args,
  type nlm_lock,
  type nlm_res,
} from './lockd.js';

/** struct nlm_lock on the wire (nlm4_lock). */
export interface nlm_xdr_lock {
  readonly caller: string;
  readonly fh: string;
  readonly oh: string;
  readonly svid: number;
  readonly l_offset: number;
  readonly l_len: number;
}

/** nlm4_testargs (TEST, and GRANTED / GRANTED_MSG from the server). */
export interface nlm_xdr_testargs {
  readonly cookie: string;
  readonly exclusive: boolean;
  readonly lock: nlm_xdr_lock;
}

/** nlm4_lockargs. */
export interface nlm_xdr_lockargs {
  readonly cookie: string;
  readonly block: boolean;
  readonly exclusive: boolean;
  readonly lock: nlm_xdr_lock;
  readonly reclaim: boolean;
  readonly state: number;
}

/** nlm4_cancargs. */
export interface nlm_xdr_cancargs {
  readonly cookie: string;
  readonly block: boolean;
  readonly exclusive: boolean;
  readonly lock: nlm_xdr_lock;
}

/** nlm4_unlockargs. */
export interface nlm_xdr_unlockargs {
  readonly cookie: string;
  readonly lock: nlm_xdr_lock;
}

/** nlm4_res (also the argument of the *_RES callbacks). */
export interface nlm_xdr_res {
  readonly cookie: string;
  readonly status: number;
}

/** nlm4_holder. */
export interface nlm_xdr_holder {
  readonly exclusive: boolean;
  readonly svid: number;
  readonly oh: string;
  readonly l_offset: number;
  readonly l_len: number;
}

/** nlm4_testres. */
export interface nlm_xdr_testres extends nlm_xdr_res {
  readonly holder: nlm_xdr_holder | null;
}

/** Model helper: a decoded XDR struct. */
function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object';
}

/** Model helper: a decoded XDR unsigned integer. */
function isUint(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

/** Model helper: an empty struct nlm_lock (with a zeroed file_lock). */
export function nlm_lock_struct(): nlm_lock {
  return { caller: '', len: 0, fh: '', oh: '', svid: 0, fl: file_lock_struct() };
}

/**
 * nlm_decode_lock(), v2.6.24:fs/lockd/xdr.c: a wire lock into `lock`, with its file_lock: POSIX,
 * pid = svid, a read lock until the caller says exclusive, a zero length meaning "to the end".
 */
function nlm_decode_lock(p: unknown, lock: nlm_lock): boolean {
  if (!isObject(p)) return false;
  const { caller, fh, oh, svid, l_offset, l_len } = p;
  if (typeof caller !== 'string' || typeof fh !== 'string' || typeof oh !== 'string') return false;
  if (!isUint(svid) || !isUint(l_offset) || !isUint(l_len)) return false;
  lock.caller = caller;
  lock.len = caller.length;
  lock.fh = fh;
  lock.oh = oh;
  lock.svid = svid;
  const fl = lock.fl;
  locks_init_lock(fl);
  fl.fl_pid = svid;
  fl.fl_flags = FL_POSIX;
  fl.fl_type = F_RDLCK; // as good as anything else
  const end = l_offset + l_len - 1;
  fl.fl_start = l_offset;
  fl.fl_end = l_len === 0 || end < 0 ? OFFSET_MAX : end;
  return true;
}

/** Model helper: a fresh nlm_args in the rqstp's argument buffer. */
function argsIn(argp: unknown): nlm_args {
  const a = argp as nlm_args;
  a.cookie = '';
  a.lock = nlm_lock_struct();
  a.block = 0;
  a.reclaim = 0;
  a.state = 0;
  a.monitor = 0;
  return a;
}

/** nlmsvc_decode_testargs(), v2.6.24:fs/lockd/xdr.c. */
export function nlmsvc_decode_testargs(_rqstp: svc_rqst, p: unknown, argp: unknown): boolean {
  if (!isObject(p) || typeof p.cookie !== 'string') return false;
  const a = argsIn(argp);
  a.cookie = p.cookie;
  if (!nlm_decode_lock(p.lock, a.lock)) return false;
  if (p.exclusive === true) a.lock.fl.fl_type = F_WRLCK;
  return true;
}

/** nlmsvc_decode_lockargs(), v2.6.24:fs/lockd/xdr.c. */
export function nlmsvc_decode_lockargs(_rqstp: svc_rqst, p: unknown, argp: unknown): boolean {
  if (!isObject(p) || typeof p.cookie !== 'string') return false;
  const a = argsIn(argp);
  a.cookie = p.cookie;
  a.block = p.block === true ? 1 : 0;
  if (!nlm_decode_lock(p.lock, a.lock)) return false;
  if (p.exclusive === true) a.lock.fl.fl_type = F_WRLCK;
  a.reclaim = p.reclaim === true ? 1 : 0;
  a.state = isUint(p.state) ? p.state : 0;
  a.monitor = 1; // monitor client by default
  return true;
}

/** nlmsvc_decode_cancargs(), v2.6.24:fs/lockd/xdr.c. */
export function nlmsvc_decode_cancargs(_rqstp: svc_rqst, p: unknown, argp: unknown): boolean {
  if (!isObject(p) || typeof p.cookie !== 'string') return false;
  const a = argsIn(argp);
  a.cookie = p.cookie;
  a.block = p.block === true ? 1 : 0;
  if (!nlm_decode_lock(p.lock, a.lock)) return false;
  if (p.exclusive === true) a.lock.fl.fl_type = F_WRLCK;
  return true;
}

/** nlmsvc_decode_unlockargs(), v2.6.24:fs/lockd/xdr.c. */
export function nlmsvc_decode_unlockargs(_rqstp: svc_rqst, p: unknown, argp: unknown): boolean {
  if (!isObject(p) || typeof p.cookie !== 'string') return false;
  const a = argsIn(argp);
  a.cookie = p.cookie;
  if (!nlm_decode_lock(p.lock, a.lock)) return false;
  a.lock.fl.fl_type = F_UNLCK;
  return true;
}

/** nlmsvc_decode_res(), v2.6.24:fs/lockd/xdr.c: the argument of the *_RES callbacks. */
export function nlmsvc_decode_res(_rqstp: svc_rqst, p: unknown, resp: unknown): boolean {
  if (!isObject(p) || typeof p.cookie !== 'string' || !isUint(p.status)) return false;
  const r = resp as nlm_res;
  r.cookie = p.cookie;
  r.status = p.status;
  return true;
}

/** nlmsvc_decode_void(), v2.6.24:fs/lockd/xdr.c. */
export function nlmsvc_decode_void(_rqstp: svc_rqst, _p: unknown, _argp: unknown): boolean {
  return true;
}

/** Model helper: a fresh nlm_res in the rqstp's result buffer. */
export function resIn(resp: unknown): nlm_res {
  const r = resp as nlm_res;
  r.cookie = '';
  r.status = 0;
  r.lock = nlm_lock_struct();
  return r;
}

/** nlmsvc_encode_res(), v2.6.24:fs/lockd/xdr.c. */
export function nlmsvc_encode_res(_rqstp: svc_rqst, resp: unknown): nlm_xdr_res {
  const r = resp as nlm_res;
  return { cookie: r.cookie, status: r.status };
}

/**
 * nlmsvc_encode_testres(), v2.6.24:fs/lockd/xdr.c: the holder of a conflicting lock when denied.
 */
export function nlmsvc_encode_testres(_rqstp: svc_rqst, resp: unknown): nlm_xdr_testres {
  const r = resp as nlm_res;
  let holder: nlm_xdr_holder | null = null;
  if (r.status === 1) {
    const fl = r.lock.fl;
    holder = {
      exclusive: fl.fl_type !== F_RDLCK,
      svid: r.lock.svid,
      oh: r.lock.oh,
      l_offset: fl.fl_start,
      l_len: fl.fl_end === OFFSET_MAX ? 0 : fl.fl_end - fl.fl_start + 1,
    };
  }
  return { cookie: r.cookie, status: r.status, holder };
}

/** nlmsvc_encode_void(), v2.6.24:fs/lockd/xdr.c. */
export function nlmsvc_encode_void(_rqstp: svc_rqst, _resp: unknown): null {
  return null;
}

/** nlm_encode_lock(), v2.6.24:fs/lockd/xdr.c (client side). */
function nlm_encode_lock(lock: nlm_lock): nlm_xdr_lock {
  const fl = lock.fl;
  return {
    caller: lock.caller,
    fh: lock.fh,
    oh: lock.oh,
    svid: lock.svid,
    l_offset: fl.fl_start,
    l_len: fl.fl_end === OFFSET_MAX ? 0 : fl.fl_end - fl.fl_start + 1,
  };
}

/** nlmclt_encode_testargs(), v2.6.24:fs/lockd/xdr.c: what GRANTED / GRANTED_MSG carry. */
export function nlmclt_encode_testargs(argp: unknown): nlm_xdr_testargs {
  const a = argp as nlm_args;
  return {
    cookie: a.cookie,
    exclusive: a.lock.fl.fl_type === F_WRLCK,
    lock: nlm_encode_lock(a.lock),
  };
}

const NLM_PROC_NAMES = [
  'NULL',
  'TEST',
  'LOCK',
  'CANCEL',
  'UNLOCK',
  'GRANTED',
  'TEST_MSG',
  'LOCK_MSG',
  'CANCEL_MSG',
  'UNLOCK_MSG',
  'GRANTED_MSG',
  'TEST_RES',
  'LOCK_RES',
  'CANCEL_RES',
  'UNLOCK_RES',
  'GRANTED_RES',
  'NSM_NOTIFY',
];

/** nlm_procedures, v2.6.24:fs/lockd/xdr.c (client side): only GRANTED(_MSG) have encoders. */
const nlm_procedures: readonly rpc_procinfo[] = Object.freeze(
  NLM_PROC_NAMES.map((p_name, p_proc) =>
    Object.freeze({
      p_proc,
      p_name,
      p_encode:
        p_proc === NLMPROC_GRANTED || p_proc === NLMPROC_GRANTED_MSG
          ? nlmclt_encode_testargs
          : null,
      p_decode: null,
    }),
  ),
);

/**
 * nlm_version (nlm_version1/3/4), v2.6.24:fs/lockd/xdr.c and xdr4.c: one client-side NLM version.
 */
function nlm_version(number: number): rpc_version {
  return Object.freeze({ number, nrprocs: nlm_procedures.length, procs: nlm_procedures });
}

/** nlm_program, v2.6.24:fs/lockd/xdr.c (nlm_version4 from xdr4.c): for lockd's callbacks. */
export const nlm_program: rpc_program = Object.freeze({
  name: 'lockd',
  number: NLM_PROGRAM,
  nrvers: 5,
  version: Object.freeze([undefined, nlm_version(1), undefined, nlm_version(3), nlm_version(4)]),
});
