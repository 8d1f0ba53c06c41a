/**
 * The NFS server side lockd needs, fs/nfsd/lockd.c as of Linux 2.6.24: the nlmsvc_binding
 * that opens the file an NLM request names. The exported files live in a per-machine table
 * (a file handle is the export's path). An export can sit on a cluster filesystem whose
 * ->lock waits uninterruptibly for its lock manager, as GFS2/OCFS2-style plocks did.
 */
import {
  current,
  type Kfn,
  LockstepUsageError,
  type Machine,
  schedule_timeout_uninterruptible,
  this_machine,
} from '@lockstep/kernel';
import { type nfs_fh, nlm_lck_denied, type nlmsvc_binding } from '@lockstep/lockd';
import type { svc_rqst } from '@lockstep/sunrpc';
import {
  F_CANCELLK,
  F_GETLK,
  type file,
  type file_lock,
  type file_operations,
  type inode,
  new_inode,
  open_file,
  posix_lock_file,
  posix_test_lock,
} from '@lockstep/vfs-locks';

/** nlm4_stale_fh: what nlm_fopen answers for a handle nfsd does not know (LOCKD_V4). */
export const nlm4_stale_fh = 7;

/** An exported file. */
export interface ExportSpec {
  /** The path, which is also the NFS file handle clients use. */
  readonly path: string;
  /** 'local' (ext3-like: fs/locks.c only) or 'cluster' (a ->lock that waits). Default 'local'. */
  readonly fs?: 'local' | 'cluster';
  /** For 'cluster': how long each ->lock call waits for the cluster, in jiffies. */
  readonly lockDelay?: number;
}

interface Exports {
  readonly byPath: Map<string, inode>;
  nextIno: number;
}

const EXPORTS = Symbol('nfsd exports');

function exportsOf(m: Machine = this_machine()): Exports {
  return m.slot(EXPORTS, () => ({ byPath: new Map(), nextIno: 12 }));
}

/**
 * A cluster filesystem's ->lock (model of a GFS2/OCFS2 plock through a userspace daemon):
 * every request waits, uninterruptibly, `delay` jiffies for the cluster's answer, then the
 * lock is applied locally. It never defers with -EINPROGRESS.
 */
function clusterfs_file_operations(delay: number): file_operations {
  return Object.freeze({
    *lock(filp: file, cmd: number, fl: file_lock): Kfn<number> {
      return yield* clusterfs_lock(filp, cmd, fl, delay);
    },
  });
}

/** The cluster filesystem's lock operation; see clusterfs_file_operations. */
function* clusterfs_lock(filp: file, cmd: number, fl: file_lock, delay: number): Kfn<number> {
  current.wchan = 'clusterfs_lock';
  yield* schedule_timeout_uninterruptible(delay);
  if (cmd === F_GETLK) {
    yield* posix_test_lock(filp, fl);
    return 0;
  }
  if (cmd === F_CANCELLK) return 0;
  return yield* posix_lock_file(filp, fl, null);
}

/** Export a file (setup code). Exporting the same path twice is a usage error. */
export function nfsd_export(m: Machine, spec: ExportSpec | string): inode {
  const s: ExportSpec = typeof spec === 'string' ? { path: spec } : spec;
  if (typeof s.path !== 'string' || !s.path.startsWith('/'))
    throw new LockstepUsageError(`export path must be an absolute path, got ${String(s.path)}`);
  const fs = s.fs ?? 'local';
  if (fs !== 'local' && fs !== 'cluster')
    throw new LockstepUsageError(
      `export ${s.path}: fs must be 'local' or 'cluster', got ${String(fs)}`,
    );
  const delay = s.lockDelay ?? 0;
  if (!Number.isSafeInteger(delay) || delay < 0)
    throw new LockstepUsageError(
      `export ${s.path}: lockDelay must be jiffies >= 0, got ${String(delay)}`,
    );
  if (fs === 'local' && s.lockDelay !== undefined)
    throw new LockstepUsageError(`export ${s.path}: lockDelay needs fs: 'cluster'`);
  const ex = exportsOf(m);
  if (ex.byPath.has(s.path)) throw new LockstepUsageError(`${s.path} is already exported`);
  const inode = new_inode(ex.nextIno++, fs === 'cluster' ? clusterfs_file_operations(delay) : null);
  ex.byPath.set(s.path, inode);
  return inode;
}

/** The inode of an exported path, or null. */
export function export_inode(path: string, m?: Machine): inode | null {
  return exportsOf(m).byPath.get(path) ?? null;
}

/** nlm_fopen(), fs/nfsd/lockd.c 2.6.24: open the exported file; nfsd_open's permission checks left out. */
// biome-ignore lint/correctness/useYield: fopen is a Kfn (nfsd_open may sleep); the model's does not.
function* nlm_fopen(_rqstp: svc_rqst, f: nfs_fh, filp: { f_file: file | null }): Kfn<number> {
  const inode = export_inode(f);
  if (inode === null) return nlm4_stale_fh;
  filp.f_file = open_file(inode);
  if (filp.f_file === null) return nlm_lck_denied;
  return 0;
}

/** nlm_fclose(), fs/nfsd/lockd.c 2.6.24: fput() (the file has no other users here). */
function nlm_fclose(_filp: file): void {}

/** nfsd_nlm_ops, 2.6.24: what nfsd_lockd_init() installs as nlmsvc_ops. */
export const nfsd_nlm_ops: nlmsvc_binding = Object.freeze({ fopen: nlm_fopen, fclose: nlm_fclose });
