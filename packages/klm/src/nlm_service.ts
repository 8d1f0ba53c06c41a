/**
 * The NLM server's lock and unlock requests (usr/src/uts/common/klm/nlm_service.c at
 * illumos-gate 096e63b2^), reduced to what the host GC race needs: each request finds or
 * creates the client's host (a reference), does its work, and releases the host. A lock
 * also takes a vhold on the vnode, which keeps the host "with locks" for nlm_gc while the
 * lock is held. NLM4_LOCK (nlm4_lock_4_svc in nlm_rpc_svc.c) passes a reply callback and a
 * grant callback and no _res callback; NLM4_UNLOCK passes none.
 *
 * Deviations: no RPC (the request arrives as arguments, the reply is the return value;
 * `sr` carries the caller's netid and address); the zone's globals are an argument; no
 * blocking locks (nlm_block), no _msg callbacks, no 32-bit range checks.
 */

import { ddi_get_lbolt } from '@lockstep/illumos';
import type { Kfn } from '@lockstep/kernel';
import {
  F_RDLCK,
  F_SETLK,
  F_UNLCK,
  F_WRLCK,
  type flock64,
  VOP_FRLOCK,
  type vnode_t,
} from './flock.js';
import {
  type nlm_globals,
  type nlm_host,
  nlm_host_findcreate,
  nlm_host_get_state,
  nlm_host_monitor,
  nlm_host_notify_server,
  nlm_host_release,
  type nlm_vhold,
  nlm_vhold_get,
  nlm_vhold_release,
} from './nlm_impl.js';

/** nlm4_stats (usr/src/head/rpcsvc/nlm_prot.x). */
export const nlm4_granted = 0;
export const nlm4_denied = 1;
export const nlm4_denied_nolocks = 2;
export const nlm4_blocked = 3;
export const nlm4_denied_grace_period = 4;
export const nlm4_stale_fh = 7;
export const nlm4_failed = 9;

/** nlm4_lock: the model's file handle is the vnode itself. */
export interface nlm4_lock {
  caller_name: string;
  fh: vnode_t | null;
  svid: number;
}

/** nlm4_lockargs. */
export interface nlm4_lockargs {
  block: boolean;
  exclusive: boolean;
  alock: nlm4_lock;
  reclaim: boolean;
  /** The client's NSM state. */
  state: number;
}

/** nlm4_unlockargs. */
export interface nlm4_unlockargs {
  alock: nlm4_lock;
}

/** The request's transport: what svc_getnetid() and svc_getrpccaller() return. */
export interface svc_req {
  netid: string;
  caller: string;
}

/** NLM_IN_GRACE(), illumos 096e63b2^:usr/src/uts/common/klm/nlm_service.c: `ddi_get_lbolt() < g->grace_threshold`. */
export function NLM_IN_GRACE(g: nlm_globals): boolean {
  return ddi_get_lbolt() < g.grace_threshold;
}

/**
 * nlm_init_flock(), illumos 096e63b2^:usr/src/uts/common/klm/nlm_service.c: the lock in local
 * form, owned by the host's sysid and the client's svid. Deviation: whole file only.
 */
function nlm_init_flock(fl: flock64, nl: nlm4_lock, host: nlm_host, type: number): number {
  fl.l_type = type;
  fl.l_sysid = host.nh_sysid;
  fl.l_pid = nl.svid;
  return 0;
}

/** nlm_fh_to_vp(), illumos 096e63b2^:usr/src/uts/common/klm/nlm_service.c: the vnode of a file handle. Deviation: the handle is the vnode. */
function nlm_fh_to_vp(fh: vnode_t | null): vnode_t | null {
  return fh;
}

/** nlm_fh_to_vhold(), illumos 096e63b2^:usr/src/uts/common/klm/nlm_service.c: the host's vhold for the handle's vnode. */
function* nlm_fh_to_vhold(hostp: nlm_host, fh: vnode_t | null): Kfn<nlm_vhold | null> {
  const vp = nlm_fh_to_vp(fh);
  if (vp === null) return null;
  return yield* nlm_vhold_get(hostp, vp);
}

/**
 * nlm_do_lock(), illumos 096e63b2^:usr/src/uts/common/klm/nlm_service.c, for NLM4_LOCK
 * without blocking: find/create the host, notice a client restart, take a vhold, try the lock
 * (F_SETLK), monitor the host when granted, then release the vhold and the host. Returns the
 * status the reply carries. Deviation: see the file comment.
 */
export function* nlm_do_lock(g: nlm_globals, argp: nlm4_lockargs, sr: svc_req): Kfn<number> {
  const fl: flock64 = { l_type: 0, l_sysid: 0, l_pid: 0 };
  let nvp: nlm_vhold | null = null;
  let do_mon_req = false;

  const name = argp.alock.caller_name;
  const netid = sr.netid;
  const addr = sr.caller;

  const host = yield* nlm_host_findcreate(g, name, netid, addr);
  if (host === null) return nlm4_denied_nolocks;

  // The C code's `goto doreply` is `status !== null` here: each step runs only while no
  // reply status has been decided.
  let status: number | null = null;

  // During the "grace period", only allow reclaim.
  if (!argp.reclaim && NLM_IN_GRACE(g)) status = nlm4_denied_grace_period;

  if (status === null) {
    // Check whether we missed host shutdown event.
    if (nlm_host_get_state(host) !== argp.state) yield* nlm_host_notify_server(host, argp.state);

    nvp = yield* nlm_fh_to_vhold(host, argp.alock.fh);
    if (nvp === null) status = nlm4_stale_fh;
  }

  if (
    nvp !== null &&
    status === null &&
    nlm_init_flock(fl, argp.alock, host, argp.exclusive ? F_WRLCK : F_RDLCK) !== 0
  )
    status = nlm4_failed;

  if (nvp !== null && status === null) {
    // Try to lock non-blocking first.
    const error = VOP_FRLOCK(nvp.nv_vp!, F_SETLK, fl);
    if (error === 0) {
      status = nlm4_granted;
      do_mon_req = true;
    } else status = nlm4_denied; // EAGAIN without argp->block
  }

  // The reply is sent here (reply_cb); then, with a grant callback, start monitoring.
  if (do_mon_req) yield* nlm_host_monitor(g, host, argp.state);

  yield* nlm_vhold_release(host, nvp);
  yield* nlm_host_release(g, host);
  return status ?? nlm4_failed;
}

/**
 * nlm_do_unlock(), illumos 096e63b2^:usr/src/uts/common/klm/nlm_service.c, for NLM4_UNLOCK:
 * find/create the host, unlock (F_UNLCK through VOP_FRLOCK), release the host. Always
 * nlm4_granted, except in the grace period. Deviation: see the file comment.
 */
export function* nlm_do_unlock(g: nlm_globals, argp: nlm4_unlockargs, sr: svc_req): Kfn<number> {
  const fl: flock64 = { l_type: 0, l_sysid: 0, l_pid: 0 };
  let status = nlm4_granted;

  const host = yield* nlm_host_findcreate(g, argp.alock.caller_name, sr.netid, sr.caller);
  if (host === null) return status;

  if (NLM_IN_GRACE(g)) status = nlm4_denied_grace_period;
  else {
    const vp = nlm_fh_to_vp(argp.alock.fh);
    if (vp !== null && nlm_init_flock(fl, argp.alock, host, F_UNLCK) === 0)
      VOP_FRLOCK(vp, F_SETLK, fl);
  }

  yield* nlm_host_release(g, host);
  return status;
}
