/**
 * The little of the local lock manager (usr/src/uts/common/os/flock.c, reached through
 * VOP_FRLOCK) that the NLM server's lock and unlock paths need: whole-file write locks on a
 * vnode, owned by a (sysid, pid) pair, and the queries nlm_impl.c asks of them. The model's
 * vnodes are the exported files a client locks; the file handle is the vnode itself.
 * flock.c was not modelled function by function: these are model helpers.
 */
import { EAGAIN } from '@lockstep/kernel';

/** F_RDLCK, F_WRLCK, F_UNLCK (usr/src/uts/common/sys/fcntl.h). */
export const F_RDLCK = 1;
export const F_WRLCK = 2;
export const F_UNLCK = 3;
/** F_SETLK (usr/src/uts/common/sys/fcntl.h). */
export const F_SETLK = 6;

/** flock64 as nlm_init_flock() fills it: the model keeps the type, sysid and pid (whole file). */
export interface flock64 {
  l_type: number;
  l_sysid: number;
  l_pid: number;
}

/** A vnode of the exported file system, with the remote locks granted on it. */
export class vnode_t {
  /** Locks held on the whole file, as "sysid:pid" (the model's lock graph). */
  readonly v_locks = new Set<string>();
  constructor(readonly v_path: string) {}
}

/**
 * Model helper: VOP_FRLOCK(vp, F_SETLK, fl, ...) as reclock() in illumos
 * 096e63b2^:usr/src/uts/common/os/flock.c answers it for a whole-file lock: a write lock
 * held by another owner gives EAGAIN; F_UNLCK drops the caller's lock. No blocking (F_SETLK).
 * Deviation: ranges, read locks sharing and the lock graph's own mutex are not modelled.
 */
export function VOP_FRLOCK(vp: vnode_t, cmd: number, fl: flock64): number {
  if (cmd !== F_SETLK) return 22; // EINVAL: the model has F_SETLK only
  const owner = `${fl.l_sysid}:${fl.l_pid}`;
  if (fl.l_type === F_UNLCK) {
    vp.v_locks.delete(owner);
    return 0;
  }
  for (const o of vp.v_locks) if (o !== owner) return EAGAIN;
  vp.v_locks.add(owner);
  return 0;
}

/**
 * Model helper: flk_has_remote_locks_for_sysid(), illumos
 * 096e63b2^:usr/src/uts/common/os/flock.c: does any lock on vp belong to `sysid`?
 */
export function flk_has_remote_locks_for_sysid(vp: vnode_t, sysid: number): boolean {
  for (const o of vp.v_locks) if (o.startsWith(`${sysid}:`)) return true;
  return false;
}

/**
 * Model helper: cleanlocks(vp, IGN_PID, sysid), illumos
 * 096e63b2^:usr/src/uts/common/os/flock.c: drop every lock `sysid` holds on vp.
 */
export function cleanlocks(vp: vnode_t, sysid: number): void {
  for (const o of [...vp.v_locks]) if (o.startsWith(`${sysid}:`)) vp.v_locks.delete(o);
}
