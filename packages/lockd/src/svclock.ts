/**
 * Server-side blocked locks, fs/lockd/svclock.c as of Linux 2.6.24. A blocking LOCK that
 * conflicts becomes an nlm_block on nlm_blocked; when the VFS lock it waits for goes away,
 * fl_notify moves it to the front and wakes lockd, which takes the lock and tells the client
 * with an asynchronous GRANTED_MSG. The RPC callback (run by rpciod) puts the block back on
 * the list and wakes lockd again through block->b_daemon.
 *
 * nlm_blocked has no lock of its own: in 2.6.24 the big kernel lock serialises it (lockd
 * runs under the BKL, fs/locks.c calls fl_notify under it, and rpciod takes it around the
 * callbacks).
 */
import {
  container_of,
  DEFINE_STATIC,
  EAGAIN,
  EDEADLK,
  EINPROGRESS,
  ENOENT,
  ENOLCK,
  HZ,
  INIT_LIST_HEAD,
  jiffies,
  KERN_WARNING,
  type Kfn,
  kfree,
  kref,
  kref_get,
  kref_init,
  kref_put,
  kzalloc,
  LIST_HEAD,
  list_add,
  list_add_tail,
  list_del_init,
  list_empty,
  list_entry,
  list_for_each_entry,
  list_for_each_entry_safe,
  list_head,
  lock_kernel,
  MAX_SCHEDULE_TIMEOUT,
  mutex_lock,
  mutex_unlock,
  printk,
  time_after,
  unlock_kernel,
} from '@lockstep/kernel';
import {
  RPC_TASK_ASYNC,
  type rpc_call_ops,
  type rpc_task,
  type svc_rqst,
  svc_wake_up,
  utsname_nodename,
} from '@lockstep/sunrpc';
import {
  F_SETLK,
  F_UNLCK,
  FL_SLEEP,
  type file_lock,
  file_lock_struct,
  type lock_manager_operations,
  locks_copy_lock,
  posix_unblock_lock,
  vfs_cancel_lock,
  vfs_lock_file,
  vfs_test_lock,
} from '@lockstep/vfs-locks';
import {
  nlm_alloc_call,
  nlm_async_call,
  nlm_release_call,
  nlmclnt_next_cookie,
} from './clntproc.js';
import { nlm_get_host, nlm_rebind_host, nlm_release_host, nlmsvc_lookup_host } from './host.js';
import {
  B_GOT_CALLBACK,
  B_QUEUED,
  B_TIMED_OUT,
  NLM_NEVER,
  NLM_TIMEOUT,
  NLMPROC_GRANTED_MSG,
  type nlm_block,
  nlm_compare_locks,
  type nlm_cookie,
  nlm_deadlock,
  nlm_drop_reply,
  type nlm_file,
  nlm_granted,
  type nlm_host,
  type nlm_host_match_fn_t,
  nlm_lck_blocked,
  nlm_lck_denied,
  nlm_lck_denied_grace_period,
  nlm_lck_denied_nolocks,
  type nlm_lock,
  type nlm_rqst,
} from './lockd.js';
import { nlm_release_file } from './svcsubs.js';

/** The statics of fs/lockd/svclock.c, per machine: the list of blocked locks to retry. */
const svclock_c = DEFINE_STATIC('fs/lockd/svclock.c', () => ({
  nlm_blocked: LIST_HEAD(),
}));

/**
 * nlmsvc_insert_block(), v2.6.24:fs/lockd/svclock.c: (re)queue a block to be retried `when` jiffies
 * from now (NLM_NEVER: only when notified), keeping the list sorted by time. A block that was not
 * listed gains the list's reference.
 */
function* nlmsvc_insert_block(block: nlm_block, when: number): Kfn {
  const nlm_blocked = svclock_c().nlm_blocked;

  if (list_empty(block.b_list)) yield* kref_get(block.b_count);
  else list_del_init(block.b_list);

  let pos: list_head = nlm_blocked;
  if (when !== NLM_NEVER) {
    when += jiffies;
    for (pos = nlm_blocked.next; pos !== nlm_blocked; pos = pos.next) {
      const b = list_entry<nlm_block>(pos, 'b_list');
      if (time_after(b.b_when, when) || b.b_when === NLM_NEVER) break;
    }
    // On normal exit from the loop, pos == &nlm_blocked, so we will be adding to the end of the list - good.
  }

  list_add_tail(block.b_list, pos);
  block.b_when = when;
}

/**
 * nlmsvc_remove_block(), v2.6.24:fs/lockd/svclock.c: take a block off the list, dropping the list's
 * reference.
 */
function* nlmsvc_remove_block(block: nlm_block): Kfn {
  if (!list_empty(block.b_list)) {
    list_del_init(block.b_list);
    yield* nlmsvc_release_block(block);
  }
}

/**
 * nlmsvc_lookup_block(), v2.6.24:fs/lockd/svclock.c: the block for this file and lock, with a
 * reference.
 */
function* nlmsvc_lookup_block(file: nlm_file, lock: nlm_lock): Kfn<nlm_block | null> {
  for (const block of list_for_each_entry<nlm_block>(svclock_c().nlm_blocked, 'b_list')) {
    const fl = block.b_call!.a_args.lock.fl;
    if (block.b_file === file && nlm_compare_locks(fl, lock.fl)) {
      yield* kref_get(block.b_count);
      return block;
    }
  }
  return null;
}

/** nlm_cookie_match(), v2.6.24:fs/lockd/svclock.c (cookies are strings: equal bytes). */
function nlm_cookie_match(a: nlm_cookie, b: nlm_cookie): boolean {
  return a === b;
}

/**
 * nlmsvc_find_block(), v2.6.24:fs/lockd/svclock.c: the block with this cookie, with a reference.
 */
function* nlmsvc_find_block(cookie: nlm_cookie): Kfn<nlm_block | null> {
  for (const block of list_for_each_entry<nlm_block>(svclock_c().nlm_blocked, 'b_list')) {
    if (nlm_cookie_match(block.b_call!.a_args.cookie, cookie)) {
      yield* kref_get(block.b_count);
      return block;
    }
  }
  return null;
}

/**
 * nlmsvc_create_block(), v2.6.24:fs/lockd/svclock.c: a block for the request, owning the host
 * reference the caller passes (looked up before file->f_mutex, 255129d1), and the call that
 * will carry GRANTED_MSG (its own copy of the lock, FL_SLEEP, our lock manager operations and
 * a fresh cookie). b_daemon is the service of the thread that made it. Leaves out the
 * kmalloc'ed owner handle of nlmsvc_setgrantargs (the model's handle is a string).
 */
function* nlmsvc_create_block(
  rqstp: svc_rqst,
  host: nlm_host,
  file: nlm_file,
  lock: nlm_lock,
  _cookie: nlm_cookie,
): Kfn<nlm_block | null> {
  const call = yield* nlm_alloc_call(host);
  if (call === null) return null;

  // biome-ignore lint/suspicious/noConfusingLabels: the kernel's "goto failed"
  failed: {
    // Allocate memory for block, and initialize arguments.
    const block = yield* kzalloc(
      'nlm_block',
      (): nlm_block => ({
        b_count: new kref(),
        b_list: new list_head(),
        b_flist: new list_head(),
        b_call: null,
        b_daemon: null,
        b_host: null,
        b_when: 0,
        b_id: 0,
        b_granted: 0,
        b_file: null,
        b_fl: null,
        b_flags: 0,
      }),
    );
    if (block === null) break failed;
    kref_init(block.b_count);
    INIT_LIST_HEAD(block.b_list);
    INIT_LIST_HEAD(block.b_flist);

    nlmsvc_setgrantargs(call, lock);

    // Set notifier function for VFS, and init args.
    call.a_args.lock.fl.fl_flags |= FL_SLEEP;
    call.a_args.lock.fl.fl_lmops = nlmsvc_lock_operations;
    call.a_args.cookie = nlmclnt_next_cookie();

    // Create and initialize the block.
    block.b_daemon = rqstp.rq_server;
    block.b_host = host;
    block.b_file = file;
    file.f_count++;

    // Add to file's list of blocks.
    list_add(block.b_flist, file.f_blocks);

    // Set up RPC arguments for callback.
    block.b_call = call;
    call.a_flags = RPC_TASK_ASYNC;
    call.a_block = block;

    return block;
  }
  yield* nlm_release_call(call);
  return null;
}

/**
 * nlmsvc_unlink_block(), v2.6.24:fs/lockd/svclock.c: stop the block waiting in the VFS and take it
 * off nlm_blocked. The caller checks whether the file can be closed.
 */
function* nlmsvc_unlink_block(block: nlm_block): Kfn<number> {
  // Remove block from list.
  const status = yield* posix_unblock_lock(block.b_file!.f_file!, block.b_call!.a_args.lock.fl);
  yield* nlmsvc_remove_block(block);
  return status;
}

/**
 * nlmsvc_free_block(), v2.6.24:fs/lockd/svclock.c: the last reference; leaves the file's list,
 * frees the call.
 */
function* nlmsvc_free_block(k: kref): Kfn {
  const block = container_of<nlm_block>(k, 'nlm_block', 'b_count');
  const file = block.b_file!;

  // Remove block from file's list of blocks.
  yield* mutex_lock(file.f_mutex);
  list_del_init(block.b_flist);
  yield* mutex_unlock(file.f_mutex);

  yield* nlm_release_call(block.b_call!);
  yield* nlm_release_file(block.b_file!);
  kfree(block.b_fl);
  kfree(block);
}

/** nlmsvc_release_block(), v2.6.24:fs/lockd/svclock.c. */
function* nlmsvc_release_block(block: nlm_block | null): Kfn {
  if (block !== null) yield* kref_put(block.b_count, nlmsvc_free_block);
}

/**
 * nlmsvc_traverse_blocks(), v2.6.24:fs/lockd/svclock.c: unlink the listed blocks of hosts that
 * match. Blocks not on nlm_blocked are left alone.
 */
export function* nlmsvc_traverse_blocks(
  host: nlm_host | null,
  file: nlm_file,
  match: nlm_host_match_fn_t,
): Kfn {
  restart: for (;;) {
    yield* mutex_lock(file.f_mutex);
    for (const block of list_for_each_entry_safe<nlm_block>(file.f_blocks, 'b_flist')) {
      if (!match(block.b_host!, host)) continue;
      // Do not destroy blocks that are not on the global retry list - why?
      if (list_empty(block.b_list)) continue;
      yield* kref_get(block.b_count);
      yield* mutex_unlock(file.f_mutex);
      yield* nlmsvc_unlink_block(block);
      yield* nlmsvc_release_block(block);
      continue restart;
    }
    yield* mutex_unlock(file.f_mutex);
    return;
  }
}

/**
 * nlmsvc_setgrantargs(), v2.6.24:fs/lockd/svclock.c: the GRANTED call's copy of the lock (owner
 * handle left inline).
 */
function nlmsvc_setgrantargs(call: nlm_rqst, lock: nlm_lock): void {
  locks_copy_lock(call.a_args.lock.fl, lock.fl);
  call.a_args.lock.fh = lock.fh;
  call.a_args.lock.caller = utsname_nodename();
  call.a_args.lock.len = call.a_args.lock.caller.length;
  call.a_args.lock.oh = lock.oh;
  call.a_args.lock.svid = lock.fl.fl_pid;
}

/**
 * nlmsvc_lock(), v2.6.24:fs/lockd/svclock.c: try to take the lock; on conflict a blocking
 * request is queued on nlm_blocked (NLM_NEVER: until notified) and answered LCK_BLOCKED.
 * Every request gets a block (looked up, for a client that is busy-waiting, or created). The
 * host is looked up (nlm_host_mutex) before file->f_mutex is taken (255129d1, 2.6.23-rc9).
 */
export function* nlmsvc_lock(
  rqstp: svc_rqst,
  file: nlm_file,
  lock: nlm_lock,
  wait: number,
  cookie: nlm_cookie,
): Kfn<number> {
  let block: nlm_block | null = null;
  let error: number;
  let ret: number;

  // Create host handle for callback.
  const host = yield* nlmsvc_lookup_host(rqstp, lock.caller, lock.len);
  if (host === null) return nlm_lck_denied_nolocks;

  // Lock file against concurrent access.
  yield* mutex_lock(file.f_mutex);
  // biome-ignore lint/suspicious/noConfusingLabels: the kernel's "goto out"
  out: {
    // Get existing block (in case client is busy-waiting) or create new block.
    block = yield* nlmsvc_lookup_block(file, lock);
    if (block === null) {
      block = yield* nlmsvc_create_block(rqstp, (yield* nlm_get_host(host))!, file, lock, cookie);
      ret = nlm_lck_denied_nolocks;
      if (block === null) break out;
      lock = block.b_call!.a_args.lock;
    } else lock.fl.fl_flags &= ~FL_SLEEP;

    if (block.b_flags & B_QUEUED) {
      if (block.b_granted) {
        yield* nlmsvc_unlink_block(block);
        ret = nlm_granted;
        break out;
      }
      if (block.b_flags & B_TIMED_OUT) {
        yield* nlmsvc_unlink_block(block);
        ret = nlm_lck_denied;
        break out;
      }
      ret = nlm_drop_reply;
      break out;
    }

    if (!wait) lock.fl.fl_flags &= ~FL_SLEEP;
    error = yield* vfs_lock_file(file.f_file!, F_SETLK, lock.fl, null);
    lock.fl.fl_flags &= ~FL_SLEEP;

    switch (error) {
      case 0:
        ret = nlm_granted;
        break out;
      case -EAGAIN:
        ret = nlm_lck_denied;
        break;
      case -EINPROGRESS:
        if (wait) break;
        // Filesystem lock operation is in progress: add it to the queue waiting for callback.
        ret = yield* nlmsvc_defer_lock_rqst(rqstp, block);
        break out;
      case -EDEADLK:
        ret = nlm_deadlock;
        break out;
      default: // includes ENOLCK
        ret = nlm_lck_denied_nolocks;
        break out;
    }

    ret = nlm_lck_denied;
    if (!wait) break out;

    ret = nlm_lck_blocked;

    // Append to list of blocked.
    yield* nlmsvc_insert_block(block, NLM_NEVER);
  }
  yield* mutex_unlock(file.f_mutex);
  yield* nlmsvc_release_block(block);
  yield* nlm_release_host(host);
  return ret;
}

/**
 * nlmsvc_testlock(), v2.6.24:fs/lockd/svclock.c: look for a conflicting lock (through a block,
 * like LOCK, so a filesystem may answer later); the conflicting lock is returned in conflock.
 * As in 2.6.24, not under file->f_mutex, and the deferred paths (B_QUEUED, -EINPROGRESS)
 * return without dropping the block reference: the leaks 29dbf546 and 54ca95eb (2.6.25) fixed.
 */
export function* nlmsvc_testlock(
  rqstp: svc_rqst,
  file: nlm_file,
  lock: nlm_lock,
  conflock: nlm_lock,
  cookie: nlm_cookie,
): Kfn<number> {
  let ret: number;

  // Get existing block (in case client is busy-waiting).
  let block = yield* nlmsvc_lookup_block(file, lock);

  if (block === null) {
    const conf = yield* kzalloc('file_lock', file_lock_struct);
    if (conf === null) return nlm_granted;
    // Create host handle for callback.
    const host = yield* nlmsvc_lookup_host(rqstp, lock.caller, lock.len);
    if (host === null) {
      kfree(conf);
      return nlm_lck_denied_nolocks;
    }
    block = yield* nlmsvc_create_block(rqstp, host, file, lock, cookie);
    if (block === null) {
      kfree(conf);
      return nlm_granted;
    }
    block.b_fl = conf;
  }
  // biome-ignore lint/suspicious/noConfusingLabels: the kernel's "goto out"
  out: {
    // biome-ignore lint/suspicious/noConfusingLabels: the kernel's "goto conf_lock"
    conf_lock: {
      if (block.b_flags & B_QUEUED) {
        if (block.b_flags & B_TIMED_OUT) {
          yield* nlmsvc_unlink_block(block);
          return nlm_lck_denied;
        }
        if (block.b_flags & B_GOT_CALLBACK) {
          if (block.b_fl !== null && block.b_fl.fl_type !== F_UNLCK) {
            Object.assign(lock.fl, block.b_fl, { fl_block: [], fl_next: null });
            break conf_lock;
          }
          yield* nlmsvc_unlink_block(block);
          return nlm_granted;
        }
        return nlm_drop_reply;
      }

      const error = yield* vfs_test_lock(file.f_file!, lock.fl);
      if (error === -EINPROGRESS) return yield* nlmsvc_defer_lock_rqst(rqstp, block);
      if (error) {
        ret = nlm_lck_denied_nolocks;
        break out;
      }
      if (lock.fl.fl_type === F_UNLCK) {
        ret = nlm_granted;
        break out;
      }
    }
    conflock.caller = 'somehost'; // FIXME
    conflock.len = conflock.caller.length;
    conflock.oh = ''; // don't return OH info
    conflock.svid = lock.fl.fl_pid;
    conflock.fl.fl_type = lock.fl.fl_type;
    conflock.fl.fl_start = lock.fl.fl_start;
    conflock.fl.fl_end = lock.fl.fl_end;
    ret = nlm_lck_denied;
  }
  yield* nlmsvc_release_block(block);
  return ret;
}

/**
 * nlmsvc_unlock(), v2.6.24:fs/lockd/svclock.c: cancel a blocked request for the lock (a lost
 * GRANTED_RES), then unlock.
 */
export function* nlmsvc_unlock(file: nlm_file, lock: nlm_lock): Kfn<number> {
  // First, cancel any lock that might be there.
  yield* nlmsvc_cancel_blocked(file, lock);

  lock.fl.fl_type = F_UNLCK;
  const error = yield* vfs_lock_file(file.f_file!, F_SETLK, lock.fl, null);

  return error < 0 ? nlm_lck_denied_nolocks : nlm_granted;
}

/** nlmsvc_cancel_blocked(), v2.6.24:fs/lockd/svclock.c: drop the block of a blocked request. */
export function* nlmsvc_cancel_blocked(file: nlm_file, lock: nlm_lock): Kfn<number> {
  let status = 0;

  yield* mutex_lock(file.f_mutex);
  const block = yield* nlmsvc_lookup_block(file, lock);
  yield* mutex_unlock(file.f_mutex);
  if (block !== null) {
    yield* vfs_cancel_lock(block.b_file!.f_file!, block.b_call!.a_args.lock.fl);
    status = yield* nlmsvc_unlink_block(block);
    yield* nlmsvc_release_block(block);
  }
  return status ? nlm_lck_denied : nlm_granted;
}

/**
 * nlmsvc_defer_lock_rqst(), v2.6.24:fs/lockd/svclock.c: the filesystem will answer later
 * (fl_grant); queue the block with a timeout and defer the request. Request deferral is not
 * modelled (svc_defer returns NULL), so the client is told to try again (LCK_DENIED_NOLOCKS).
 */
function* nlmsvc_defer_lock_rqst(rqstp: svc_rqst, block: nlm_block): Kfn<number> {
  let status = nlm_lck_denied_nolocks;
  block.b_flags |= B_QUEUED;
  yield* nlmsvc_insert_block(block, NLM_TIMEOUT);
  const defer = rqstp.rq_chandler.defer;
  if (defer !== null && defer(rqstp.rq_chandler) !== null) status = nlm_drop_reply;
  return status;
}

/** nlmsvc_update_deferred_block(), v2.6.24:fs/lockd/svclock.c. */
function nlmsvc_update_deferred_block(
  block: nlm_block,
  conf: file_lock | null,
  result: number,
): void {
  block.b_flags |= B_GOT_CALLBACK;
  if (result === 0) block.b_granted = 1;
  else block.b_flags |= B_TIMED_OUT;
  if (conf && block.b_fl) locks_copy_lock(block.b_fl, conf);
}

/**
 * nlmsvc_grant_deferred(), v2.6.24:fs/lockd/svclock.c (fl_grant): a filesystem answers a deferred
 * request; requeue the block at once and wake lockd. Takes the BKL for nlm_blocked.
 */
function* nlmsvc_grant_deferred(
  fl: file_lock,
  conf: file_lock | null,
  result: number,
): Kfn<number> {
  let rc = -ENOENT;

  yield* lock_kernel();
  for (const block of list_for_each_entry<nlm_block>(svclock_c().nlm_blocked, 'b_list')) {
    if (nlm_compare_locks(block.b_call!.a_args.lock.fl, fl)) {
      if (block.b_flags & B_QUEUED) {
        if (block.b_flags & B_TIMED_OUT) {
          rc = -ENOLCK;
          break;
        }
        nlmsvc_update_deferred_block(block, conf, result);
      } else if (result === 0) block.b_granted = 1;

      yield* nlmsvc_insert_block(block, 0);
      yield* svc_wake_up(block.b_daemon!);
      rc = 0;
      break;
    }
  }
  yield* unlock_kernel();
  if (rc === -ENOENT) printk(`${KERN_WARNING}lockd: grant for unknown block\n`);
  return rc;
}

/**
 * nlmsvc_notify_blocked(), v2.6.24:fs/lockd/svclock.c (fl_notify): the VFS lock a block waited for
 * went away. Called by fs/locks.c with the BKL held; moves the block to the head of nlm_blocked and
 * wakes lockd (block->b_daemon) to grant it.
 */
function* nlmsvc_notify_blocked(fl: file_lock): Kfn {
  for (const block of list_for_each_entry<nlm_block>(svclock_c().nlm_blocked, 'b_list')) {
    if (nlm_compare_locks(block.b_call!.a_args.lock.fl, fl)) {
      yield* nlmsvc_insert_block(block, 0);
      yield* svc_wake_up(block.b_daemon!);
      return;
    }
  }
  printk(`${KERN_WARNING}lockd: notification for unknown block!\n`);
}

/** nlmsvc_same_owner(), v2.6.24:fs/lockd/svclock.c (fl_compare_owner). */
function nlmsvc_same_owner(fl1: file_lock, fl2: file_lock): number {
  return fl1.fl_owner === fl2.fl_owner && fl1.fl_pid === fl2.fl_pid ? 1 : 0;
}

/** nlmsvc_lock_operations, v2.6.24:fs/lockd/svclock.c. */
export const nlmsvc_lock_operations: lock_manager_operations = Object.freeze({
  fl_compare_owner: nlmsvc_same_owner,
  fl_notify: nlmsvc_notify_blocked,
  fl_grant: nlmsvc_grant_deferred,
});

/**
 * nlmsvc_grant_blocked(), v2.6.24:fs/lockd/svclock.c: try the lock again; once the VFS grants it,
 * requeue the block for 30 s and call the client with GRANTED_MSG (the call holds a block
 * reference, dropped by nlmsvc_grant_release).
 */
function* nlmsvc_grant_blocked(block: nlm_block): Kfn {
  const file = block.b_file!;
  const lock = block.b_call!.a_args.lock;
  let error: number;

  yield* kref_get(block.b_count);

  // Unlink block request from list.
  yield* nlmsvc_unlink_block(block);

  // biome-ignore lint/suspicious/noConfusingLabels: the kernel's "goto callback"
  callback: {
    // If b_granted is true this means we've been here before. Just retry the grant callback,
    // possibly refreshing the RPC binding.
    if (block.b_granted) {
      nlm_rebind_host(block.b_host!);
      break callback;
    }

    // Try the lock operation again.
    lock.fl.fl_flags |= FL_SLEEP;
    error = yield* vfs_lock_file(file.f_file!, F_SETLK, lock.fl, null);
    lock.fl.fl_flags &= ~FL_SLEEP;

    switch (error) {
      case 0:
        break;
      case -EAGAIN:
      case -EINPROGRESS:
        yield* nlmsvc_insert_block(block, NLM_NEVER);
        yield* nlmsvc_release_block(block);
        return;
      default:
        printk(`${KERN_WARNING}lockd: unexpected error ${-error} in nlmsvc_grant_blocked!\n`);
        yield* nlmsvc_insert_block(block, 10 * HZ);
        yield* nlmsvc_release_block(block);
        return;
    }
  }

  // Lock was granted by VFS.
  block.b_granted = 1;

  // Schedule next grant callback in 30 seconds.
  yield* nlmsvc_insert_block(block, 30 * HZ);

  // Call the client.
  yield* nlm_async_call(block.b_call!, NLMPROC_GRANTED_MSG, nlmsvc_grant_ops);
}

/**
 * nlmsvc_grant_callback(), v2.6.24:fs/lockd/svclock.c: GRANTED_MSG finished (or failed). Run by
 * rpciod under the BKL: requeue the block for retransmission (10 s) or to wait for GRANTED_RES (60
 * s) and wake lockd. 2.6.24 does this even when the block was unlinked meanwhile, and wakes
 * block->b_daemon whether or not that service still exists.
 */
function* nlmsvc_grant_callback(task: rpc_task, data: unknown): Kfn {
  const call = data as nlm_rqst;
  const block = call.a_block!;
  let timeout: number;

  // Technically, we should down the file semaphore here. Since we move the block towards
  // the head of the queue only, no harm can be done, though.
  if (task.tk_status < 0) {
    // RPC error: Re-insert for retransmission.
    timeout = 10 * HZ;
  } else {
    // Call was successful, now wait for client callback.
    timeout = 60 * HZ;
  }
  yield* nlmsvc_insert_block(block, timeout);
  yield* svc_wake_up(block.b_daemon!);
}

/** nlmsvc_grant_release(), v2.6.24:fs/lockd/svclock.c: the GRANTED_MSG call's block reference. */
function* nlmsvc_grant_release(data: unknown): Kfn {
  const call = data as nlm_rqst;
  yield* nlmsvc_release_block(call.a_block);
}

/** nlmsvc_grant_ops, v2.6.24:fs/lockd/svclock.c. */
const nlmsvc_grant_ops: rpc_call_ops = Object.freeze({
  rpc_call_done: nlmsvc_grant_callback,
  rpc_release: nlmsvc_grant_release,
});

/**
 * nlmsvc_grant_reply(), v2.6.24:fs/lockd/svclock.c: the client's GRANTED_RES. The block is done
 * with (the client holds the lock or refused it), unless it asks us to try again after its grace
 * period.
 */
export function* nlmsvc_grant_reply(cookie: nlm_cookie, status: number): Kfn {
  const block = yield* nlmsvc_find_block(cookie);
  if (block === null) return;

  if (status === nlm_lck_denied_grace_period) {
    // Try again in a couple of seconds.
    yield* nlmsvc_insert_block(block, 10 * HZ);
  } else {
    // Lock is now held by client, or has been rejected. In both cases, the block should be removed.
    yield* nlmsvc_unlink_block(block);
  }
  yield* nlmsvc_release_block(block);
}

/**
 * retry_deferred_block(), v2.6.24:fs/lockd/svclock.c: a deferred request timed out or was answered.
 */
function* retry_deferred_block(block: nlm_block): Kfn {
  if (!(block.b_flags & B_GOT_CALLBACK)) block.b_flags |= B_TIMED_OUT;
  yield* nlmsvc_insert_block(block, NLM_TIMEOUT);
}

/**
 * nlmsvc_retry_blocked(), v2.6.24:fs/lockd/svclock.c: handle every block whose time has come (grant
 * it, or resend GRANTED_MSG); the jiffies until the next one is due (lockd's svc_recv timeout).
 */
export function* nlmsvc_retry_blocked(): Kfn<number> {
  const nlm_blocked = svclock_c().nlm_blocked;
  let timeout = MAX_SCHEDULE_TIMEOUT;

  while (!list_empty(nlm_blocked)) {
    const block = list_entry<nlm_block>(nlm_blocked.next, 'b_list');

    if (block.b_when === NLM_NEVER) break;
    if (time_after(block.b_when, jiffies)) {
      timeout = block.b_when - jiffies;
      break;
    }

    if (block.b_flags & B_QUEUED) yield* retry_deferred_block(block);
    else yield* nlmsvc_grant_blocked(block);
  }

  return timeout;
}

/** Model helper: the blocks on nlm_blocked (cookie, host, granted), for tests and reproducers. */
export function nlm_blocked_list(): { cookie: string; host: string; granted: boolean }[] {
  const out: { cookie: string; host: string; granted: boolean }[] = [];
  for (const block of list_for_each_entry<nlm_block>(svclock_c().nlm_blocked, 'b_list'))
    out.push({
      cookie: block.b_call!.a_args.cookie,
      host: block.b_host!.h_name,
      granted: block.b_granted !== 0,
    });
  return out;
}
