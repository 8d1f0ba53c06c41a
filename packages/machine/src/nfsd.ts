/**
 * The NFS server side lockd needs, fs/nfsd/lockd.c as of Linux 2.6.24: the nlmsvc_binding
 * that opens the file an NLM request names. The exported files live in a per-machine table
 * (a file handle is the export's path). An export can sit on GFS2 mounted with lock_dlm,
 * whose ->lock goes through gfs_controld (gfs2_plock.ts, gfs_controld.ts).
 */
import { type Kfn, LockstepUsageError, type Machine, this_machine } from '@lockstep/kernel';
import { type nfs_fh, nlm_lck_denied, type nlmsvc_binding } from '@lockstep/lockd';
import type { svc_rqst } from '@lockstep/sunrpc';
import { type file, type inode, new_inode, open_file } from '@lockstep/vfs-locks';
import { gfs_controld_start } from './gfs_controld.js';
import { gfs2_file_operations } from './gfs2_plock.js';

/** nlm4_stale_fh: what nlm_fopen answers for a handle nfsd does not know (LOCKD_V4). */
export const nlm4_stale_fh = 7;

/** An exported file. */
export interface ExportSpec {
  /** The path, which is also the NFS file handle clients use. */
  readonly path: string;
  /**
   * 'local' (ext3-like: fs/locks.c only) or 'gfs2' (GFS2 with lock_dlm: plocks go through
   * the machine's gfs_controld). Default 'local'.
   */
  readonly fs?: 'local' | 'gfs2';
  /** For 'gfs2': how long gfs_controld takes to answer each plock request, in jiffies. */
  readonly plockDelay?: number;
}

interface Exports {
  readonly byPath: Map<string, inode>;
  nextIno: number;
}

const EXPORTS = Symbol('nfsd exports');

function exportsOf(m: Machine = this_machine()): Exports {
  return m.slot(EXPORTS, () => ({ byPath: new Map(), nextIno: 12 }));
}

/** Export a file (setup code). Exporting the same path twice is a usage error. */
export function nfsd_export(m: Machine, spec: ExportSpec | string): inode {
  const s: ExportSpec = typeof spec === 'string' ? { path: spec } : spec;
  if (typeof s.path !== 'string' || !s.path.startsWith('/'))
    throw new LockstepUsageError(`export path must be an absolute path, got ${String(s.path)}`);
  const fs = s.fs ?? 'local';
  if (fs !== 'local' && fs !== 'gfs2')
    throw new LockstepUsageError(
      `export ${s.path}: fs must be 'local' or 'gfs2', got ${String(fs)}`,
    );
  const delay = s.plockDelay ?? 0;
  if (!Number.isSafeInteger(delay) || delay < 0)
    throw new LockstepUsageError(
      `export ${s.path}: plockDelay must be jiffies >= 0, got ${String(delay)}`,
    );
  if (fs === 'local' && s.plockDelay !== undefined)
    throw new LockstepUsageError(`export ${s.path}: plockDelay needs fs: 'gfs2'`);
  const ex = exportsOf(m);
  if (ex.byPath.has(s.path)) throw new LockstepUsageError(`${s.path} is already exported`);
  const ino = ex.nextIno++;
  // Each gfs2 export is its own filesystem; its lockspace id is the inode number here.
  if (fs === 'gfs2') gfs_controld_start(m, delay);
  const inode = new_inode(ino, fs === 'gfs2' ? gfs2_file_operations(ino) : null);
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
