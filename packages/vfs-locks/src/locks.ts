/**
 * fs/locks.c as of Linux 2.6.24: POSIX byte-range locks (fcntl F_GETLK/F_SETLK/F_SETLKW),
 * the blocked-waiter lists, deadlock detection and the entry points lockd uses.
 *
 * In 2.6.24 every lock list here (each inode's i_flock, file_lock_list, blocked_list and
 * each lock's fl_block) is protected by the big kernel lock, and lockd's own nlm_blocked list
 * leans on the same BKL, so the model takes lock_kernel() exactly where the kernel does.
 * FL_FLOCK locks, leases and mandatory locking are not modelled.
 */
import {
  BUG_ON,
  current,
  DEFINE_STATIC,
  EAGAIN,
  EBADF,
  EDEADLK,
  EINVAL,
  ENOENT,
  ENOLCK,
  EOVERFLOW,
  type Kfn,
  kfree,
  kmalloc,
  LockstepUsageError,
  lock_kernel,
  unlock_kernel,
  wait_event_interruptible,
  waitqueue_active,
  wake_up,
} from '@lockstep/kernel';
import {
  F_CANCELLK,
  F_GETLK,
  F_RDLCK,
  F_SETLK,
  F_SETLKW,
  F_UNLCK,
  F_WRLCK,
  FL_ACCESS,
  FL_CLOSE,
  FL_EXISTS,
  FL_POSIX,
  FL_SLEEP,
  FMODE_READ,
  FMODE_WRITE,
  type file,
  type file_lock,
  type file_lock_operations,
  file_lock_struct,
  type fl_owner_t,
  type flock,
  type inode,
  OFFSET_MAX,
  SEEK_CUR,
  SEEK_END,
  SEEK_SET,
  task_files,
} from './fs.js';

/** static LIST_HEAD(file_lock_list) and static LIST_HEAD(blocked_list), per machine. */
const locks_c = DEFINE_STATIC('fs/locks.c', () => ({
  /** Every lock held on any inode (fl_link), newest first: what /proc/locks shows. */
  file_lock_list: [] as file_lock[],
  /** Every POSIX request blocked on a lock (fl_link), newest first: deadlock detection walks it. */
  blocked_list: [] as file_lock[],
}));

/** MAX_DEADLK_ITERATIONS, v2.6.24:fs/locks.c: give up on deadlock detection (97855b49, 2.6.24-rc2). */
const MAX_DEADLK_ITERATIONS = 10;

/** IS_POSIX(), v2.6.24:include/linux/fs.h. */
function IS_POSIX(fl: file_lock): boolean {
  return (fl.fl_flags & FL_POSIX) !== 0;
}

/** Model helper: list_del_init(&fl->fl_link), off whichever global list fl is on. */
function linkDel(fl: file_lock): void {
  const s = locks_c();
  for (const list of [s.file_lock_list, s.blocked_list]) {
    const i = list.indexOf(fl);
    if (i >= 0) list.splice(i, 1);
  }
}

/** Model helper: !list_empty(&fl->fl_link). */
function linkQueued(fl: file_lock): boolean {
  const s = locks_c();
  return s.file_lock_list.includes(fl) || s.blocked_list.includes(fl);
}

/**
 * Model helper: list_empty(&fl->fl_block). The kernel's fl_block is both the head of fl's waiters and fl's
 * node on its blocker's list, so it is non-empty in either case.
 */
function fl_block_empty(fl: file_lock): boolean {
  if (fl.fl_block.length > 0) return false;
  return fl.fl_next === null || !fl.fl_next.fl_block.includes(fl);
}

/**
 * The kernel walks the inode list with `struct file_lock **before`: a pointer to either
 * inode->i_flock or some lock's fl_next. A link is that inode or lock.
 */
type flock_link = inode | file_lock;

/** Model helper: is this link the inode's i_flock? */
function isInode(b: flock_link): b is inode {
  return 'i_flock' in b;
}
/** Model helper: *before. */
function linkGet(b: flock_link): file_lock | null {
  return isInode(b) ? b.i_flock : b.fl_next;
}
/** Model helper: *before = fl. */
function linkSet(b: flock_link, fl: file_lock | null): void {
  if (isInode(b)) b.i_flock = fl;
  else b.fl_next = fl;
}

/** Model helper: filp->f_path.dentry->d_inode. */
function inodeOf(filp: file): inode {
  return filp.f_path.dentry.d_inode;
}

/**
 * locks_alloc_lock(), v2.6.24:fs/locks.c: a zeroed kmalloc instead of kmem_cache_alloc from
 * filelock_cache with its init_once constructor (so failslab and KASAN see it).
 */
function* locks_alloc_lock(): Kfn<file_lock | null> {
  return yield* kmalloc('file_lock', file_lock_struct);
}

/**
 * locks_release_private(), v2.6.24:fs/locks.c: let the filesystem and lock manager drop their
 * private data.
 */
function locks_release_private(fl: file_lock): void {
  if (fl.fl_ops) {
    fl.fl_ops.fl_release_private?.(fl);
    fl.fl_ops = null;
  }
  if (fl.fl_lmops) {
    fl.fl_lmops.fl_release_private?.(fl);
    fl.fl_lmops = null;
  }
}

/**
 * locks_free_lock(), v2.6.24:fs/locks.c: BUG if the lock is still waited on, if its fl_block
 * is not empty (it has waiters, or is itself queued on a blocker) or fl_link is listed.
 */
function locks_free_lock(fl: file_lock): void {
  BUG_ON(waitqueue_active(fl.fl_wait), 'locks_free_lock: fl_wait has waiters');
  BUG_ON(!fl_block_empty(fl), 'locks_free_lock: fl_block not empty');
  BUG_ON(linkQueued(fl), 'locks_free_lock: fl_link still on a list');
  locks_release_private(fl);
  kfree(fl);
}

/**
 * locks_init_lock(), v2.6.24:fs/locks.c: reset a lock's fields. Leaves out fl_fasync and
 * INIT_LIST_HEAD(&fl->fl_link): membership of the global lists stays as it was.
 */
export function locks_init_lock(fl: file_lock): void {
  fl.fl_block.length = 0;
  fl.fl_wait.task_list.length = 0;
  fl.fl_next = null;
  fl.fl_owner = null;
  fl.fl_pid = 0;
  fl.fl_file = null;
  fl.fl_flags = 0;
  fl.fl_type = 0;
  fl.fl_start = fl.fl_end = 0;
  fl.fl_ops = null;
  fl.fl_lmops = null;
}

/** locks_copy_private(), v2.6.24:fs/locks.c. */
function locks_copy_private(dst: file_lock, fl: file_lock): void {
  if (fl.fl_ops) {
    fl.fl_ops.fl_copy_lock?.(dst, fl);
    dst.fl_ops = fl.fl_ops;
  }
  if (fl.fl_lmops) {
    fl.fl_lmops.fl_copy_lock?.(dst, fl);
    dst.fl_lmops = fl.fl_lmops;
  }
}

/** __locks_copy_lock(), v2.6.24:fs/locks.c: owner, pid, flags, type and range; no file, no callbacks. */
function __locks_copy_lock(dst: file_lock, fl: file_lock): void {
  dst.fl_owner = fl.fl_owner;
  dst.fl_pid = fl.fl_pid;
  dst.fl_file = null;
  dst.fl_flags = fl.fl_flags;
  dst.fl_type = fl.fl_type;
  dst.fl_start = fl.fl_start;
  dst.fl_end = fl.fl_end;
  dst.fl_ops = null;
  dst.fl_lmops = null;
}

/** locks_copy_lock(), v2.6.24:fs/locks.c: a full copy, including the file and both callback tables. */
export function locks_copy_lock(dst: file_lock, fl: file_lock): void {
  locks_release_private(dst);
  __locks_copy_lock(dst, fl);
  dst.fl_file = fl.fl_file;
  dst.fl_ops = fl.fl_ops;
  dst.fl_lmops = fl.fl_lmops;
  locks_copy_private(dst, fl);
}

/** assign_type(), v2.6.24:fs/locks.c. */
function assign_type(fl: file_lock, type: number): number {
  switch (type) {
    case F_RDLCK:
    case F_WRLCK:
    case F_UNLCK:
      fl.fl_type = type;
      return 0;
    default:
      return -EINVAL;
  }
}

/**
 * flock_to_posix_lock(), v2.6.24:fs/locks.c: struct flock -> POSIX file_lock owned by
 * current->files. fl_pid is current->pid (the model's processes have one thread: tgid == pid);
 * an end past OFFSET_MAX is -EOVERFLOW, where off_t arithmetic would wrap below fl_start.
 */
function flock_to_posix_lock(filp: file, fl: file_lock, l: flock): number {
  let start: number;
  switch (l.l_whence) {
    case SEEK_SET:
      start = 0;
      break;
    case SEEK_CUR:
      start = filp.f_pos;
      break;
    case SEEK_END:
      start = inodeOf(filp).i_size;
      break;
    default:
      return -EINVAL;
  }
  // POSIX-2001 defines a negative l_len: the range ends just before l_start.
  start += l.l_start;
  if (start < 0) return -EINVAL;
  fl.fl_end = OFFSET_MAX;
  if (l.l_len > 0) {
    fl.fl_end = start + l.l_len - 1;
  } else if (l.l_len < 0) {
    fl.fl_end = start - 1;
    start += l.l_len;
    if (start < 0) return -EINVAL;
  }
  fl.fl_start = start;
  if (fl.fl_end < fl.fl_start || fl.fl_end > OFFSET_MAX) return -EOVERFLOW;
  fl.fl_owner = task_files(current);
  fl.fl_pid = current.pid;
  fl.fl_file = filp;
  fl.fl_flags = FL_POSIX;
  fl.fl_ops = null;
  fl.fl_lmops = null;
  return assign_type(fl, l.l_type);
}

/** locks_overlap(), v2.6.24:fs/locks.c. */
function locks_overlap(fl1: file_lock, fl2: file_lock): boolean {
  return fl1.fl_end >= fl2.fl_start && fl2.fl_end >= fl1.fl_start;
}

/**
 * posix_same_owner(), v2.6.24:fs/locks.c: the lock manager decides when it set
 * fl_compare_owner.
 */
function posix_same_owner(fl1: file_lock, fl2: file_lock): boolean {
  const cmp = fl1.fl_lmops?.fl_compare_owner;
  if (cmp) return fl2.fl_lmops === fl1.fl_lmops && Boolean(cmp.call(fl1.fl_lmops, fl1, fl2));
  return fl1.fl_owner === fl2.fl_owner;
}

/**
 * __locks_delete_block(), v2.6.24:fs/locks.c: take a waiter off its blocker's fl_block and
 * blocked_list.
 */
function __locks_delete_block(waiter: file_lock): void {
  const blocker = waiter.fl_next;
  if (blocker !== null) {
    const i = blocker.fl_block.indexOf(waiter);
    if (i >= 0) blocker.fl_block.splice(i, 1);
  }
  linkDel(waiter);
  waiter.fl_next = null;
}

/** locks_delete_block(), v2.6.24:fs/locks.c: __locks_delete_block under the BKL. */
function* locks_delete_block(waiter: file_lock): Kfn {
  yield* lock_kernel();
  __locks_delete_block(waiter);
  yield* unlock_kernel();
}

/**
 * locks_insert_block(), v2.6.24:fs/locks.c: queue waiter on blocker (FIFO); POSIX waiters go on
 * blocked_list. BUG if the waiter's fl_block is not empty (queued already, or has waiters).
 */
function locks_insert_block(blocker: file_lock, waiter: file_lock): void {
  BUG_ON(!fl_block_empty(waiter), 'locks_insert_block: waiter already blocked');
  blocker.fl_block.push(waiter);
  waiter.fl_next = blocker;
  if (IS_POSIX(blocker)) locks_c().blocked_list.unshift(waiter);
}

/**
 * locks_wake_up_blocks(), v2.6.24:fs/locks.c: unblock every waiter; a lock manager's waiter gets
 * fl_lmops->fl_notify (lm_notify in later kernels), anyone else a wake_up on fl_wait.
 */
function* locks_wake_up_blocks(blocker: file_lock): Kfn {
  while (blocker.fl_block.length > 0) {
    const waiter = blocker.fl_block[0]!;
    __locks_delete_block(waiter);
    const notify = waiter.fl_lmops?.fl_notify;
    if (notify) {
      const g = notify.call(waiter.fl_lmops, waiter) as Kfn | undefined;
      if (g !== undefined) yield* g;
    } else wake_up(waiter.fl_wait);
  }
}

/**
 * locks_insert_lock(), v2.6.24:fs/locks.c: link fl at *pos and on file_lock_list; calls
 * fl_ops->fl_insert.
 */
function locks_insert_lock(pos: flock_link, fl: file_lock): void {
  locks_c().file_lock_list.unshift(fl);
  fl.fl_next = linkGet(pos);
  linkSet(pos, fl);
  fl.fl_ops?.fl_insert?.(fl);
}

/**
 * locks_delete_lock(), v2.6.24:fs/locks.c: unlink, wake its waiters and free; leaves out
 * fasync_helper.
 */
function* locks_delete_lock(thisfl_p: flock_link): Kfn {
  const fl = linkGet(thisfl_p)!;
  linkSet(thisfl_p, fl.fl_next);
  fl.fl_next = null;
  linkDel(fl);
  fl.fl_ops?.fl_remove?.(fl);
  yield* locks_wake_up_blocks(fl);
  locks_free_lock(fl);
}

/** locks_conflict(), v2.6.24:fs/locks.c: a write lock on either side conflicts. */
function locks_conflict(caller_fl: file_lock, sys_fl: file_lock): boolean {
  return sys_fl.fl_type === F_WRLCK || caller_fl.fl_type === F_WRLCK;
}

/**
 * posix_locks_conflict(), v2.6.24:fs/locks.c: another owner's overlapping POSIX lock, one of
 * them a write.
 */
function posix_locks_conflict(caller_fl: file_lock, sys_fl: file_lock): boolean {
  if (!IS_POSIX(sys_fl) || posix_same_owner(caller_fl, sys_fl)) return false;
  if (!locks_overlap(caller_fl, sys_fl)) return false;
  return locks_conflict(caller_fl, sys_fl);
}

/**
 * posix_test_lock(), v2.6.24:fs/locks.c: fl becomes a copy of the first conflicting lock, or
 * F_UNLCK.
 */
export function* posix_test_lock(filp: file, fl: file_lock): Kfn {
  yield* lock_kernel();
  let cfl = inodeOf(filp).i_flock;
  for (; cfl !== null; cfl = cfl.fl_next) {
    if (!IS_POSIX(cfl)) continue;
    if (posix_locks_conflict(fl, cfl)) break;
  }
  if (cfl !== null) __locks_copy_lock(fl, cfl);
  else fl.fl_type = F_UNLCK;
  yield* unlock_kernel();
}

/**
 * posix_locks_deadlock(), v2.6.24:fs/locks.c: follow "owner of block_fl is itself waiting on ..." through
 * blocked_list until it comes back to caller_fl's owner; gives up after MAX_DEADLK_ITERATIONS.
 */
function posix_locks_deadlock(caller_fl: file_lock, block_fl: file_lock): boolean {
  let i = 0;
  next_task: for (;;) {
    if (posix_same_owner(caller_fl, block_fl)) return true;
    for (const fl of locks_c().blocked_list) {
      if (posix_same_owner(fl, block_fl)) {
        if (i++ > MAX_DEADLK_ITERATIONS) return false;
        block_fl = fl.fl_next!;
        continue next_task;
      }
    }
    return false;
  }
}

/**
 * __posix_lock_file(), v2.6.24:fs/locks.c: apply a POSIX lock or unlock to inode. On conflict returns
 * -EAGAIN, after queueing the request on the blocker when FL_SLEEP is set (or -EDEADLK).
 * Otherwise merges with the owner's adjacent same-type locks, replaces or trims its
 * overlapping ones, and splits one in two when the request lands in its middle.
 */
function* __posix_lock_file(
  inode: inode,
  request: file_lock,
  conflock: file_lock | null,
): Kfn<number> {
  let new_fl: file_lock | null = null;
  let new_fl2: file_lock | null = null;
  let left: file_lock | null = null;
  let right: file_lock | null = null;
  let added = false;
  let error = 0;

  // Up to two new locks may be needed; allocate them before taking the BKL.
  if (
    !(request.fl_flags & FL_ACCESS) &&
    (request.fl_type !== F_UNLCK || request.fl_start !== 0 || request.fl_end !== OFFSET_MAX)
  ) {
    new_fl = yield* locks_alloc_lock();
    new_fl2 = yield* locks_alloc_lock();
  }

  yield* lock_kernel();
  // biome-ignore lint/suspicious/noConfusingLabels: the kernel's "goto out"
  out: {
    if (request.fl_type !== F_UNLCK) {
      for (let fl = inode.i_flock; fl !== null; fl = fl.fl_next) {
        if (!IS_POSIX(fl)) continue;
        if (!posix_locks_conflict(request, fl)) continue;
        if (conflock) locks_copy_lock(conflock, fl);
        error = -EAGAIN;
        if (!(request.fl_flags & FL_SLEEP)) break out;
        error = -EDEADLK;
        if (posix_locks_deadlock(request, fl)) break out;
        error = -EAGAIN;
        locks_insert_block(fl, request);
        break out;
      }
    }

    // Only looking for a conflict: done.
    error = 0;
    if (request.fl_flags & FL_ACCESS) break out;

    // Skip the locks of other owners, to the first lock of this owner.
    let before: flock_link = inode;
    let fl: file_lock | null;
    while ((fl = linkGet(before)) !== null && (!IS_POSIX(fl) || !posix_same_owner(request, fl)))
      before = fl;

    // Process this owner's locks (sorted by start).
    while ((fl = linkGet(before)) !== null && posix_same_owner(request, fl)) {
      if (request.fl_type === fl.fl_type) {
        // Same type: merge when adjacent or overlapping ("start - 1", never "end + 1").
        if (fl.fl_end < request.fl_start - 1) {
          before = fl;
          continue;
        }
        if (fl.fl_start - 1 > request.fl_end) break;
        if (fl.fl_start > request.fl_start) fl.fl_start = request.fl_start;
        else request.fl_start = fl.fl_start;
        if (fl.fl_end < request.fl_end) fl.fl_end = request.fl_end;
        else request.fl_end = fl.fl_end;
        if (added) {
          yield* locks_delete_lock(before);
          continue;
        }
        request = fl;
        added = true;
      } else {
        // Different type (or an unlock): trim, replace or split.
        if (fl.fl_end < request.fl_start) {
          before = fl;
          continue;
        }
        if (fl.fl_start > request.fl_end) break;
        if (request.fl_type === F_UNLCK) added = true;
        if (fl.fl_start < request.fl_start) left = fl;
        if (fl.fl_end > request.fl_end) {
          right = fl;
          break;
        }
        if (fl.fl_start >= request.fl_start) {
          // The request covers this lock entirely.
          if (added) {
            yield* locks_delete_lock(before);
            continue;
          }
          // Replace it in place; its waiters may be happy with the new type.
          yield* locks_wake_up_blocks(fl);
          fl.fl_start = request.fl_start;
          fl.fl_end = request.fl_end;
          fl.fl_type = request.fl_type;
          locks_release_private(fl);
          locks_copy_private(fl, request);
          request = fl;
          added = true;
        }
      }
      before = fl;
    }

    // Nothing above inserted a lock; bail out now if a split has no lock to use.
    error = -ENOLCK; // "no luck"
    if (right !== null && left === right && new_fl2 === null) break out;

    error = 0;
    if (!added) {
      if (request.fl_type === F_UNLCK) {
        if (request.fl_flags & FL_EXISTS) error = -ENOENT;
        break out;
      }
      if (new_fl === null) {
        error = -ENOLCK;
        break out;
      }
      locks_copy_lock(new_fl, request);
      locks_insert_lock(before, new_fl);
      new_fl = null;
    }
    if (right !== null) {
      if (left === right) {
        // The request splits one lock in two: the second new lock is the left half.
        left = new_fl2!;
        new_fl2 = null;
        locks_copy_lock(left, right);
        locks_insert_lock(before, left);
      }
      right.fl_start = request.fl_end + 1;
      yield* locks_wake_up_blocks(right);
    }
    if (left !== null) {
      left.fl_end = request.fl_start - 1;
      yield* locks_wake_up_blocks(left);
    }
  }
  yield* unlock_kernel();
  if (new_fl !== null) locks_free_lock(new_fl);
  if (new_fl2 !== null) locks_free_lock(new_fl2);
  return error;
}

/** posix_lock_file(), v2.6.24:fs/locks.c: __posix_lock_file on the file's inode. */
export function* posix_lock_file(
  filp: file,
  fl: file_lock,
  conflock: file_lock | null,
): Kfn<number> {
  return yield* __posix_lock_file(inodeOf(filp), fl, conflock);
}

/**
 * posix_lock_file_wait(), v2.6.24:fs/locks.c: posix_lock_file, sleeping interruptibly while
 * FL_SLEEP blocks it.
 */
export function* posix_lock_file_wait(filp: file, fl: file_lock): Kfn<number> {
  let error: number;
  for (;;) {
    error = yield* posix_lock_file(filp, fl, null);
    if (error !== -EAGAIN || !(fl.fl_flags & FL_SLEEP)) break;
    error = yield* wait_event_interruptible(fl.fl_wait, () => fl.fl_next === null);
    if (!error) continue;
    yield* locks_delete_block(fl);
    break;
  }
  return error;
}

/**
 * vfs_test_lock(), v2.6.24:fs/locks.c (EXPORT_SYMBOL_GPL): ->lock(F_GETLK) if the filesystem
 * has one.
 */
export function* vfs_test_lock(filp: file, fl: file_lock): Kfn<number> {
  const lock = filp.f_op?.lock;
  if (lock) return yield* lock.call(filp.f_op, filp, F_GETLK, fl);
  yield* posix_test_lock(filp, fl);
  return 0;
}

/** posix_lock_to_flock(), v2.6.24:fs/locks.c; 64-bit, so without the OFFT_OFFSET_MAX checks. */
function posix_lock_to_flock(l: flock, fl: file_lock): number {
  l.l_pid = fl.fl_pid;
  l.l_start = fl.fl_start;
  l.l_len = fl.fl_end === OFFSET_MAX ? 0 : fl.fl_end - fl.fl_start + 1;
  l.l_whence = 0;
  l.l_type = fl.fl_type;
  return 0;
}

/** Model helper: the checks copy_from_user's fixed layout makes unnecessary. */
function checkFlock(fn: string, l: flock): void {
  if (l === null || typeof l !== 'object')
    throw new LockstepUsageError(`${fn}: expected a struct flock object`);
  for (const k of ['l_type', 'l_whence', 'l_start', 'l_len'] as const) {
    if (!Number.isSafeInteger(l[k]))
      throw new LockstepUsageError(`${fn}: flock.${k} must be a safe integer, got ${String(l[k])}`);
  }
}

/**
 * fcntl_getlk(), v2.6.24:fs/locks.c: F_GETLK. The flock object stands for the user buffer; it is
 * updated in place (copy_to_user). Leaves out the 32-bit fcntl_getlk64 variant.
 */
export function* fcntl_getlk(filp: file, l: flock): Kfn<number> {
  checkFlock('fcntl_getlk', l);
  if (l.l_type !== F_RDLCK && l.l_type !== F_WRLCK) return -EINVAL;
  const file_lock = file_lock_struct();
  let error = flock_to_posix_lock(filp, file_lock, l);
  if (error) return error;
  error = yield* vfs_test_lock(filp, file_lock);
  if (error) return error;
  l.l_type = file_lock.fl_type;
  if (file_lock.fl_type !== F_UNLCK) {
    error = posix_lock_to_flock(l, file_lock);
    if (error) return error;
  }
  return 0;
}

/**
 * vfs_lock_file(), v2.6.24:fs/locks.c (EXPORT_SYMBOL_GPL): the filesystem's ->lock if it has one, else
 * posix_lock_file. A lock manager (lockd) calls it with F_SETLK, FL_SLEEP for a blocking
 * request and fl_lmops->fl_grant set; a filesystem that cannot answer at once may then
 * return -EINPROGRESS (FILE_LOCK_DEFERRED from 2.6.28) and call fl_grant when it knows.
 */
export function* vfs_lock_file(
  filp: file,
  cmd: number,
  fl: file_lock,
  conf: file_lock | null,
): Kfn<number> {
  const lock = filp.f_op?.lock;
  if (lock) return yield* lock.call(filp.f_op, filp, cmd, fl);
  return yield* posix_lock_file(filp, fl, conf);
}

/**
 * fcntl_setlk(), v2.6.24:fs/locks.c: F_SETLK / F_SETLKW. F_SETLKW sleeps interruptibly on fl_wait until
 * its blocker goes away, then retries. Leaves out the fd argument (and with it the
 * close/fcntl race check), mandatory locks, security_file_lock and fcntl_setlk64.
 */
export function* fcntl_setlk(filp: file, cmd: number, l: flock): Kfn<number> {
  if (cmd !== F_SETLK && cmd !== F_SETLKW)
    throw new LockstepUsageError(`fcntl_setlk: cmd must be F_SETLK or F_SETLKW, got ${cmd}`);
  checkFlock('fcntl_setlk', l);
  const file_lock = yield* locks_alloc_lock();
  if (file_lock === null) return -ENOLCK;
  let error: number;
  // biome-ignore lint/suspicious/noConfusingLabels: the kernel's "goto out"
  out: {
    error = flock_to_posix_lock(filp, file_lock, l);
    if (error) break out;
    if (cmd === F_SETLKW) file_lock.fl_flags |= FL_SLEEP;

    error = -EBADF;
    switch (l.l_type) {
      case F_RDLCK:
        if (!(filp.f_mode & FMODE_READ)) break out;
        break;
      case F_WRLCK:
        if (!(filp.f_mode & FMODE_WRITE)) break out;
        break;
      case F_UNLCK:
        break;
      default:
        error = -EINVAL;
        break out;
    }

    for (;;) {
      error = yield* vfs_lock_file(filp, cmd, file_lock, null);
      if (error !== -EAGAIN || cmd === F_SETLK) break;
      error = yield* wait_event_interruptible(file_lock.fl_wait, () => file_lock.fl_next === null);
      if (!error) continue;
      yield* locks_delete_block(file_lock);
      break;
    }
  }
  locks_free_lock(file_lock);
  return error;
}

/**
 * locks_remove_posix(), v2.6.24:fs/locks.c: on close, unlock everything `owner` holds on the file
 * (waking whoever waited on those locks). The unlock request lives on the stack.
 */
export function* locks_remove_posix(filp: file, owner: fl_owner_t): Kfn {
  // No locks at all: nothing to do (a lock set concurrently by someone else is not ours).
  if (inodeOf(filp).i_flock === null) return;
  const lock = file_lock_struct();
  lock.fl_type = F_UNLCK;
  lock.fl_flags = FL_POSIX | FL_CLOSE;
  lock.fl_start = 0;
  lock.fl_end = OFFSET_MAX;
  lock.fl_owner = owner;
  lock.fl_pid = current.pid;
  lock.fl_file = filp;
  lock.fl_ops = null;
  lock.fl_lmops = null;
  yield* vfs_lock_file(filp, F_SETLK, lock, null);
  // A filesystem's ->lock may have attached private data to the request.
  const ops = lock.fl_ops as file_lock_operations | null;
  ops?.fl_release_private?.(lock);
}

/**
 * posix_unblock_lock(), v2.6.24:fs/locks.c: lockd cancels a blocked request; -ENOENT if it
 * was not blocked.
 */
export function* posix_unblock_lock(_filp: file, waiter: file_lock): Kfn<number> {
  let status = 0;
  yield* lock_kernel();
  if (waiter.fl_next !== null) __locks_delete_block(waiter);
  else status = -ENOENT;
  yield* unlock_kernel();
  return status;
}

/**
 * vfs_cancel_lock(), v2.6.24:fs/locks.c (EXPORT_SYMBOL_GPL): ->lock(F_CANCELLK) for a
 * filesystem with its own.
 */
export function* vfs_cancel_lock(filp: file, fl: file_lock): Kfn<number> {
  const lock = filp.f_op?.lock;
  if (lock) return yield* lock.call(filp.f_op, filp, F_CANCELLK, fl);
  return 0;
}

/**
 * lock_get_status(), v2.6.24:fs/locks.c: one /proc/locks line. Leaves out FLOCK, LEASE and
 * MANDATORY (not modelled); the device is shown as 00:00.
 */
function lock_get_status(fl: file_lock, id: number, pfx: string): string {
  const inode = fl.fl_file !== null ? inodeOf(fl.fl_file) : null;
  const kind = IS_POSIX(fl)
    ? `${fl.fl_flags & FL_ACCESS ? 'ACCESS' : 'POSIX '} ${inode === null ? '*NOINODE*' : 'ADVISORY '} `
    : 'UNKNOWN UNKNOWN  ';
  const type = fl.fl_type & F_WRLCK ? 'WRITE' : 'READ ';
  const where = inode !== null ? `${fl.fl_pid} 00:00:${inode.i_ino} ` : `${fl.fl_pid} <none>:0 `;
  let range = '0 EOF';
  if (IS_POSIX(fl))
    range = fl.fl_end === OFFSET_MAX ? `${fl.fl_start} EOF` : `${fl.fl_start} ${fl.fl_end}`;
  return `${id}:${pfx} ${kind}${type} ${where}${range}`;
}

/**
 * Model helper: the text of /proc/locks (locks_start/locks_show, v2.6.24:fs/locks.c, under the BKL):
 * every held lock, each followed by the requests blocked on it (" ->").
 */
export function* proc_locks(): Kfn<string> {
  yield* lock_kernel();
  const lines: string[] = [];
  let id = 1;
  for (const fl of locks_c().file_lock_list) {
    lines.push(lock_get_status(fl, id, ''));
    for (const bfl of fl.fl_block) lines.push(lock_get_status(bfl, id, ' ->'));
    id++;
  }
  yield* unlock_kernel();
  return lines.map((s) => `${s}\n`).join('');
}
