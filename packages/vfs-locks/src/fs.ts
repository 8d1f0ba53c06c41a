/**
 * The parts of include/linux/fs.h (2.6.24) that POSIX byte-range locks need: struct inode
 * with its i_flock list, struct file with f_op and f_path, struct file_lock and the two
 * callback tables, and the lock flags and commands. Plus model helpers that stand in for
 * the VFS paths the model does not have (iget, dentry_open, the fd table).
 */
import {
  current,
  type Kfn,
  LockstepUsageError,
  type task_struct,
  wait_queue_head_t,
} from '@lockstep/kernel';

/** fl_flags (v2.6.24:include/linux/fs.h). FL_FLOCK and FL_LEASE locks are not modelled. */
export const FL_POSIX = 1;
export const FL_FLOCK = 2;
export const FL_ACCESS = 8; // not trying to lock, just looking
export const FL_EXISTS = 16; // when unlocking, test for existence
export const FL_LEASE = 32;
export const FL_CLOSE = 64; // unlock on close
export const FL_SLEEP = 128; // a blocking lock

/** fl_type and fcntl commands (v2.6.24:include/asm-generic/fcntl.h, the x86_64 values). */
export const F_RDLCK = 0;
export const F_WRLCK = 1;
export const F_UNLCK = 2;
export const F_GETLK = 5;
export const F_SETLK = 6;
export const F_SETLKW = 7;
/** v2.6.24:include/linux/fcntl.h. */
export const F_LINUX_SPECIFIC_BASE = 1024;
/** F_CANCELLK (v2.6.24:include/linux/fcntl.h): lockd cancels a blocked request on a filesystem with its own ->lock. */
export const F_CANCELLK = F_LINUX_SPECIFIC_BASE + 5;

/** f_mode bits. */
export const FMODE_READ = 1;
export const FMODE_WRITE = 2;

/** l_whence values. */
export const SEEK_SET = 0;
export const SEEK_CUR = 1;
export const SEEK_END = 2;

/**
 * OFFSET_MAX: the kernel's is INT_LIMIT(loff_t) = 2^63-1. Offsets here are JS numbers, so the
 * model's end of file space is 2^53-1, the largest offset a number holds exactly; `end + 1`
 * stays exact, which the merge code relies on the same way the kernel relies on "start - 1".
 */
export const OFFSET_MAX = Number.MAX_SAFE_INTEGER;

/**
 * fl_owner_t: who owns a POSIX lock. For a local process it is its files_struct
 * (current->files); lockd stuffs its own owner object (a host or lockowner) in here.
 */
export type fl_owner_t = object | null;

/** struct files_struct, reduced to its identity: the owner of a process's POSIX locks. */
export class files_struct {
  constructor(readonly pid: number) {}
  toString(): string {
    return `files_struct(${this.pid})`;
  }
}

/**
 * struct file_lock_operations (2.6.24): callbacks for filesystems that keep private data in
 * a lock (NFS client). All optional.
 */
export interface file_lock_operations {
  fl_insert?: ((fl: file_lock) => void) | null;
  fl_remove?: ((fl: file_lock) => void) | null;
  fl_copy_lock?: ((dst: file_lock, fl: file_lock) => void) | null;
  fl_release_private?: ((fl: file_lock) => void) | null;
}

/**
 * struct lock_manager_operations (2.6.24), the POSIX-lock part (the lease callbacks fl_break,
 * fl_mylease and fl_change are not modelled). Later kernels renamed these: fl_compare_owner
 * -> lm_compare_owner, fl_notify -> lm_notify, fl_grant -> lm_grant (2.6.38/3.1), and the
 * -EINPROGRESS return of a deferred ->lock() became FILE_LOCK_DEFERRED (2.6.28).
 */
export interface lock_manager_operations {
  /** int: non-zero (or true) when both locks have the same owner. */
  fl_compare_owner?: ((fl1: file_lock, fl2: file_lock) => number | boolean) | null;
  /**
   * Unblock callback: called instead of wake_up(&waiter->fl_wait) when the lock a waiter
   * was blocked on goes away, with the BKL held. May be a generator (it may take locks).
   */
  fl_notify?: ((fl: file_lock) => Kfn | void) | null;
  /**
   * A filesystem that returned -EINPROGRESS from ->lock() calls this when the request
   * completes (result 0 or -errno; conf is the conflicting lock, or null). It returns
   * non-zero when the lock manager no longer wants the lock (the filesystem must then drop it).
   */
  fl_grant?: ((fl: file_lock, conf: file_lock | null, result: number) => Kfn<number>) | null;
  fl_copy_lock?: ((dst: file_lock, fl: file_lock) => void) | null;
  fl_release_private?: ((fl: file_lock) => void) | null;
}

/**
 * struct file_lock (2.6.24). fl_next is the inode's singly linked list for a held lock, and
 * the blocker for a waiting request. fl_block lists the requests blocked on this lock (the
 * kernel's circular list head); fl_link membership (file_lock_list for held locks,
 * blocked_list for POSIX waiters) is kept in fs/locks.c's per-machine statics. Left out:
 * fl_fasync, fl_break_time (leases) and the fl_u union.
 */
export interface file_lock {
  fl_next: file_lock | null;
  fl_block: file_lock[];
  fl_owner: fl_owner_t;
  fl_pid: number;
  fl_wait: wait_queue_head_t;
  fl_file: file | null;
  fl_flags: number;
  fl_type: number;
  fl_start: number;
  fl_end: number;
  fl_ops: file_lock_operations | null;
  fl_lmops: lock_manager_operations | null;
}

/**
 * Model helper for a zeroed struct file_lock (v2.6.24:include/linux/fs.h). Only the embedded members (fl_wait, fl_block) are objects, so
 * kfree() of a kmalloc'd lock poisons exactly what the lock contains and nothing it points to.
 */
export function file_lock_struct(): file_lock {
  return {
    fl_next: null,
    fl_block: [],
    fl_owner: null,
    fl_pid: 0,
    fl_wait: new wait_queue_head_t('fl_wait'),
    fl_file: null,
    fl_flags: 0,
    fl_type: 0,
    fl_start: 0,
    fl_end: 0,
    fl_ops: null,
    fl_lmops: null,
  };
}

/** struct flock, the fcntl() argument (fields as userspace passes them). */
export interface flock {
  l_type: number;
  l_whence: number;
  l_start: number;
  l_len: number;
  l_pid: number;
}

/** struct file_operations (2.6.24), just ->lock. */
export interface file_operations {
  /**
   * F_GETLK / F_SETLK / F_SETLKW / F_CANCELLK for a filesystem with its own locking.
   * May sleep (v9fs and fuse do, which is what seed 003 is about).
   */
  lock?: ((filp: file, cmd: number, fl: file_lock) => Kfn<number>) | null;
}

/** struct inode: the lock list, the size (for SEEK_END) and the file operations it opens with. */
export interface inode {
  readonly i_ino: number;
  i_flock: file_lock | null;
  i_size: number;
  i_fop: file_operations | null;
}

/** struct dentry, reduced to the inode it names. */
export interface dentry {
  readonly d_inode: inode;
}

/** struct fown_struct: who gets SIGIO (F_SETOWN). Unused by POSIX locks; kept for shape. */
export interface fown_struct {
  pid: number;
  signum: number;
}

/** struct file (2.6.24): the fields locks use. f_count and the rest belong to fs/file_table.c. */
export interface file {
  readonly f_path: { readonly dentry: dentry };
  f_op: file_operations | null;
  f_flags: number;
  f_mode: number;
  f_pos: number;
  f_owner: fown_struct;
  private_data: unknown;
}

/** Model helper: offsets and inode numbers must be exact integers. */
function checkOffset(what: string, v: number): void {
  if (!Number.isSafeInteger(v) || v < 0)
    throw new LockstepUsageError(`${what} must be a non-negative safe integer, got ${String(v)}`);
}

/**
 * Model helper for v2.6.24:fs/inode.c new_inode (plus the filesystem filling it in): an inode with
 * number `ino`, no locks, and `i_fop` as the file operations its files get.
 */
export function new_inode(ino: number, i_fop: file_operations | null = null, i_size = 0): inode {
  checkOffset('inode number', ino);
  checkOffset('i_size', i_size);
  return { i_ino: ino, i_flock: null, i_size, i_fop };
}

/**
 * Model helper for v2.6.24:fs/open.c dentry_open: a struct file on `inode`, with f_op taken from
 * inode->i_fop as __dentry_open does. Not kmalloc'd: the file's lifetime is fs/file_table.c's.
 */
export function open_file(inode: inode, f_mode: number = FMODE_READ | FMODE_WRITE): file {
  if (inode === null || typeof inode !== 'object' || !('i_flock' in inode))
    throw new LockstepUsageError('open_file: expected an inode made by new_inode()');
  if (!Number.isInteger(f_mode) || (f_mode & ~(FMODE_READ | FMODE_WRITE)) !== 0)
    throw new LockstepUsageError(`open_file: bad f_mode ${String(f_mode)}`);
  return {
    f_path: { dentry: { d_inode: inode } },
    f_op: inode.i_fop,
    f_flags: 0,
    f_mode,
    f_pos: 0,
    f_owner: { pid: 0, signum: 0 },
    private_data: null,
  };
}

const FILES = 'files_struct';

/**
 * Model helper for current->files (v2.6.24:include/linux/sched.h): each task has its own files_struct (no CLONE_FILES), made
 * on first use. Its identity is the owner of the task's POSIX locks.
 */
export function task_files(t: task_struct = current): files_struct {
  let f = t.ext[FILES] as files_struct | undefined;
  if (f === undefined) {
    f = new files_struct(t.pid);
    t.ext[FILES] = f;
  }
  return f;
}
