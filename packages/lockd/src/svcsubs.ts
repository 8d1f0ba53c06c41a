/**
 * lockd's open files, fs/lockd/svcsubs.c as of Linux 2.6.24: nlm_file lookup by file handle
 * (opened through the NFS server's binding), reference counting, and the traversals that
 * drop a host's (or every client's) locks and blocks: nlmsvc_invalidate_all() is what lockd
 * runs on SIGKILL and on the way out. The hash table is one list; shares are left out.
 */
import {
  BUG,
  DEFINE_MUTEX,
  DEFINE_STATIC,
  KERN_WARNING,
  type Kfn,
  kfree,
  kzalloc,
  list_empty,
  list_head,
  mutex_lock,
  mutex_unlock,
  printk,
} from '@lockstep/kernel';
import type { svc_rqst } from '@lockstep/sunrpc';
import { F_SETLK, F_UNLCK, type file_lock, OFFSET_MAX, vfs_lock_file } from '@lockstep/vfs-locks';
import {
  type nfs_fh,
  type nlm_file,
  type nlm_host,
  type nlm_host_match_fn_t,
  nlm_lck_denied_nolocks,
} from './lockd.js';
import { nlmsvc_ops } from './svc.js';
import { nlmsvc_lock_operations, nlmsvc_traverse_blocks } from './svclock.js';

/** The statics of fs/lockd/svcsubs.c, per machine. */
const svcsubs_c = DEFINE_STATIC('fs/lockd/svcsubs.c', () => ({
  /** nlm_files[]: every open nlm_file (one hash chain). */
  nlm_files: [] as nlm_file[],
  nlm_file_mutex: DEFINE_MUTEX('nlm_file_mutex'),
}));

/**
 * nlm_lookup_file(), v2.6.24:fs/lockd/svcsubs.c: find or open the file a handle names and take a
 * reference; 0 or an nlm status.
 */
export function* nlm_lookup_file(
  rqstp: svc_rqst,
  result: { file: nlm_file | null },
  f: nfs_fh,
): Kfn<number> {
  const s = svcsubs_c();
  let nfserr: number;

  // Lock file table.
  yield* mutex_lock(s.nlm_file_mutex);
  // biome-ignore lint/suspicious/noConfusingLabels: the kernel's "goto out_unlock"
  out_unlock: {
    let file = s.nlm_files.find((x) => x.f_handle === f) ?? null;
    if (file === null) {
      nfserr = nlm_lck_denied_nolocks;
      file = yield* kzalloc(
        'nlm_file',
        (): nlm_file => ({
          f_handle: '',
          f_file: null,
          f_shares: null,
          f_blocks: new list_head(),
          f_locks: 0,
          f_count: 0,
          f_mutex: DEFINE_MUTEX('&file->f_mutex'),
        }),
      );
      if (!file) break out_unlock;
      file.f_handle = f;

      // Open the file. Note that this must not sleep for too long, else we would lock up lockd :-)
      if ((nfserr = yield* nlmsvc_ops()!.fopen(rqstp, f, file)) !== 0) {
        kfree(file);
        break out_unlock;
      }
      s.nlm_files.unshift(file);
    }
    result.file = file;
    file.f_count++;
    nfserr = 0;
  }
  yield* mutex_unlock(s.nlm_file_mutex);
  return nfserr;
}

/** nlm_delete_file(), v2.6.24:fs/lockd/svcsubs.c: unhash, close and free. */
function* nlm_delete_file(file: nlm_file): Kfn {
  const s = svcsubs_c();
  const i = s.nlm_files.indexOf(file);
  if (i >= 0) {
    s.nlm_files.splice(i, 1);
    const g = nlmsvc_ops()!.fclose(file.f_file!);
    if (g) yield* g;
    kfree(file);
  } else printk(`${KERN_WARNING}lockd: attempt to release unknown file!\n`);
}

/**
 * nlm_traverse_locks(), v2.6.24:fs/lockd/svcsubs.c: unlock every lock lockd holds on the file for
 * hosts that match, and count lockd's locks in f_locks. 1 on an unlock failure.
 */
function* nlm_traverse_locks(
  host: nlm_host | null,
  file: nlm_file,
  match: nlm_host_match_fn_t,
): Kfn<number> {
  const inode = file.f_file!.f_path.dentry.d_inode;
  again: for (;;) {
    file.f_locks = 0;
    for (let fl = inode.i_flock; fl !== null; fl = fl.fl_next) {
      if (fl.fl_lmops !== nlmsvc_lock_operations) continue;
      // Update current lock count.
      file.f_locks++;
      const lockhost = fl.fl_owner as nlm_host;
      if (match(lockhost, host)) {
        const lock: file_lock = { ...fl, fl_block: [], fl_next: null };
        lock.fl_type = F_UNLCK;
        lock.fl_start = 0;
        lock.fl_end = OFFSET_MAX;
        if ((yield* vfs_lock_file(file.f_file!, F_SETLK, lock, null)) < 0) {
          printk('lockd: unlock failure in fs/lockd/svcsubs.c\n');
          return 1;
        }
        continue again;
      }
    }
    return 0;
  }
}

/** nlm_inspect_file(), v2.6.24:fs/lockd/svcsubs.c: blocks, (shares,) then locks. */
function* nlm_inspect_file(
  host: nlm_host | null,
  file: nlm_file,
  match: nlm_host_match_fn_t,
): Kfn<number> {
  yield* nlmsvc_traverse_blocks(host, file, match);
  return yield* nlm_traverse_locks(host, file, match);
}

/** nlm_file_inuse(), v2.6.24:fs/lockd/svcsubs.c. */
function nlm_file_inuse(file: nlm_file): boolean {
  if (file.f_count || !list_empty(file.f_blocks) || file.f_shares) return true;
  const inode = file.f_file!.f_path.dentry.d_inode;
  for (let fl = inode.i_flock; fl !== null; fl = fl.fl_next)
    if (fl.fl_lmops === nlmsvc_lock_operations) return true;
  file.f_locks = 0;
  return false;
}

/**
 * nlm_traverse_files(), v2.6.24:fs/lockd/svcsubs.c: inspect every file for `host` (with `match`),
 * closing files that are left unused. 1 when some lock could not be released.
 */
function* nlm_traverse_files(host: nlm_host | null, match: nlm_host_match_fn_t): Kfn<number> {
  const s = svcsubs_c();
  let ret = 0;

  yield* mutex_lock(s.nlm_file_mutex);
  for (const file of s.nlm_files.slice()) {
    file.f_count++;
    yield* mutex_unlock(s.nlm_file_mutex);

    // Traverse locks, blocks and shares of this file and update file->f_locks count.
    if (yield* nlm_inspect_file(host, file, match)) ret = 1;

    yield* mutex_lock(s.nlm_file_mutex);
    file.f_count--;
    // No more references to this file. Let go of it.
    if (list_empty(file.f_blocks) && !file.f_locks && !file.f_shares && !file.f_count) {
      s.nlm_files.splice(s.nlm_files.indexOf(file), 1);
      const g = nlmsvc_ops()!.fclose(file.f_file!);
      if (g) yield* g;
      kfree(file);
    }
  }
  yield* mutex_unlock(s.nlm_file_mutex);
  return ret;
}

/**
 * nlm_release_file(), v2.6.24:fs/lockd/svcsubs.c: drop a reference; close the file when nothing
 * uses it.
 */
export function* nlm_release_file(file: nlm_file): Kfn {
  const s = svcsubs_c();
  // Lock file table.
  yield* mutex_lock(s.nlm_file_mutex);
  // If there are no more locks etc, delete the file.
  if (--file.f_count === 0 && !nlm_file_inuse(file)) yield* nlm_delete_file(file);
  yield* mutex_unlock(s.nlm_file_mutex);
}

/**
 * nlmsvc_mark_host(), v2.6.24:fs/lockd/svcsubs.c: match function that marks every host it sees as
 * in use.
 */
function nlmsvc_mark_host(host: nlm_host, _dummy: nlm_host | null): number {
  host.h_inuse = 1;
  return 0;
}

/** nlmsvc_same_host(), v2.6.24:fs/lockd/svcsubs.c. */
function nlmsvc_same_host(host: nlm_host, other: nlm_host | null): number {
  return host === other ? 1 : 0;
}

/** nlmsvc_is_client(), v2.6.24:fs/lockd/svcsubs.c: a client of ours (sm_sticky left out). */
function nlmsvc_is_client(host: nlm_host, _dummy: nlm_host | null): number {
  return host.h_server ? 1 : 0;
}

/**
 * nlmsvc_mark_resources(), v2.6.24:fs/lockd/svcsubs.c: mark the hosts that hold locks or blocks
 * (for host GC).
 */
export function* nlmsvc_mark_resources(): Kfn {
  yield* nlm_traverse_files(null, nlmsvc_mark_host);
}

/** nlmsvc_free_host_resources(), v2.6.24:fs/lockd/svcsubs.c: drop everything one host holds. */
export function* nlmsvc_free_host_resources(host: nlm_host): Kfn {
  if (yield* nlm_traverse_files(host, nlmsvc_same_host)) {
    printk(`${KERN_WARNING}lockd: couldn't remove all locks held by ${host.h_name}\n`);
    BUG();
  }
}

/**
 * nlmsvc_invalidate_all(), v2.6.24:fs/lockd/svcsubs.c: drop every lock and block of every client.
 */
export function* nlmsvc_invalidate_all(): Kfn {
  yield* nlm_traverse_files(null, nlmsvc_is_client);
}

/** Model helper: the handles of the files lockd has open. */
export function nlm_file_handles(): string[] {
  return svcsubs_c().nlm_files.map((f) => f.f_handle);
}
