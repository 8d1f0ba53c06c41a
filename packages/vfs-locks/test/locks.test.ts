import {
  complete,
  completion,
  cond_resched,
  EAGAIN,
  EDEADLK,
  EINPROGRESS,
  ENOENT,
  ENOLCK,
  ERESTARTSYS,
  failslab_configure,
  jiffies,
  type Kfn,
  kfree,
  kmalloc,
  LockstepUsageError,
  Machine,
  msleep,
  type RunResult,
  SIGINT,
  send_sig,
  slab_live_objects,
  type task_struct,
  wait_for_completion,
} from '@lockstep/kernel';
import { describe, expect, it } from 'vitest';
import * as vfs_locks from '../src/index.js';
import {
  F_CANCELLK,
  F_GETLK,
  F_RDLCK,
  F_SETLK,
  F_SETLKW,
  F_UNLCK,
  F_WRLCK,
  FL_POSIX,
  FL_SLEEP,
  fcntl_getlk,
  fcntl_setlk,
  type file,
  type file_lock,
  file_lock_struct,
  type file_operations,
  filp_close,
  type flock,
  type inode,
  type lock_manager_operations,
  locks_copy_lock,
  locks_init_lock,
  new_inode,
  OFFSET_MAX,
  open_file,
  posix_lock_file,
  posix_test_lock,
  posix_unblock_lock,
  proc_locks,
  SEEK_SET,
  task_files,
  vfs_cancel_lock,
  vfs_lock_file,
} from '../src/index.js';

/** fcntl(fd, cmd, &{type, SEEK_SET, start, len}). */
function* setlk(filp: file, cmd: number, type: number, start: number, len: number): Kfn<number> {
  return yield* fcntl_setlk(filp, cmd, {
    l_type: type,
    l_whence: SEEK_SET,
    l_start: start,
    l_len: len,
    l_pid: 0,
  });
}

/** The inode's lock list as "pid:R|W:start-end". */
function held(ino: inode): string[] {
  const out: string[] = [];
  for (let fl = ino.i_flock; fl !== null; fl = fl.fl_next) {
    const end = fl.fl_end === OFFSET_MAX ? 'EOF' : String(fl.fl_end);
    out.push(`${fl.fl_pid}:${fl.fl_type === F_WRLCK ? 'W' : 'R'}:${fl.fl_start}-${end}`);
  }
  return out;
}

function clean(r: RunResult): void {
  expect(r.error ?? r.report?.text ?? '').toBe('');
  expect(r.outcome).toBe('clean');
}

/** A lock manager's request, as lockd builds it: FL_POSIX | FL_SLEEP, its own owner and lmops. */
function lmRequest(
  filp: file,
  owner: object,
  lmops: lock_manager_operations,
  start: number,
  end: number,
): file_lock {
  const fl = file_lock_struct();
  locks_init_lock(fl);
  fl.fl_owner = owner;
  fl.fl_pid = 4242;
  fl.fl_file = filp;
  fl.fl_flags = FL_POSIX | FL_SLEEP;
  fl.fl_type = F_WRLCK;
  fl.fl_start = start;
  fl.fl_end = end;
  fl.fl_lmops = lmops;
  return fl;
}

describe('fcntl locks (fs/locks.c 2.6.24)', () => {
  it('grants a lock and records it on the inode', () => {
    const m = new Machine();
    const ino = new_inode(12);
    let ret = -1;
    let a: task_struct | null = null;
    m.spawn_user('a', function* () {
      ret = yield* setlk(open_file(ino), F_SETLK, F_WRLCK, 0, 100);
    });
    a = m.tasks[0]!;
    clean(m.run());
    expect(ret).toBe(0);
    expect(held(ino)).toEqual([`${a.pid}:W:0-99`]);
    expect(ino.i_flock!.fl_owner).toBe(task_files(a));
  });

  it('denies a conflicting F_SETLK with -EAGAIN, and F_GETLK reports the holder', () => {
    const m = new Machine();
    const ino = new_inode(12);
    let denied = 0;
    const probe: flock = { l_type: F_RDLCK, l_whence: SEEK_SET, l_start: 50, l_len: 0, l_pid: 0 };
    const aLocked = new completion('a_locked');
    const a = m.spawn_user('a', function* () {
      yield* setlk(open_file(ino), F_SETLK, F_WRLCK, 0, 100);
      complete(aLocked);
    });
    m.spawn_user('b', function* () {
      yield* wait_for_completion(aLocked);
      const filp = open_file(ino);
      denied = yield* setlk(filp, F_SETLK, F_RDLCK, 50, 10);
      yield* fcntl_getlk(filp, probe);
    });
    clean(m.run());
    expect(denied).toBe(-EAGAIN);
    expect(held(ino)).toEqual([`${a.pid}:W:0-99`]);
    expect(probe).toEqual({ l_type: F_WRLCK, l_whence: 0, l_start: 0, l_len: 100, l_pid: a.pid });
  });

  it('F_SETLKW sleeps on fl_wait until the holder unlocks', () => {
    const m = new Machine();
    const ino = new_inode(12);
    let got = -1;
    let gotAt = -1;
    let whileBlocked = '';
    const a = m.spawn_user('a', function* () {
      const filp = open_file(ino);
      yield* setlk(filp, F_SETLK, F_WRLCK, 0, 100);
      yield* msleep(50);
      whileBlocked = yield* proc_locks();
      yield* setlk(filp, F_SETLK, F_UNLCK, 0, 100);
    });
    const b = m.spawn_user('b', function* () {
      got = yield* setlk(open_file(ino), F_SETLKW, F_WRLCK, 10, 11);
      gotAt = jiffies;
    });
    clean(m.run());
    expect(got).toBe(0);
    expect(gotAt).toBeGreaterThanOrEqual(50);
    // /proc/locks showed b's request queued under a's lock.
    expect(whileBlocked).toBe(
      `1: POSIX  ADVISORY  WRITE ${a.pid} 00:00:12 0 99\n` +
        `1: -> POSIX  ADVISORY  WRITE ${b.pid} 00:00:12 10 20\n`,
    );
    expect(held(ino)).toEqual([`${b.pid}:W:10-20`]);
  });

  it('a signal interrupts F_SETLKW with -ERESTARTSYS and dequeues the request', () => {
    const m = new Machine();
    const ino = new_inode(12);
    let got = 0;
    let after = '';
    let live = -1;
    m.spawn_user('a', function* () {
      yield* setlk(open_file(ino), F_SETLK, F_WRLCK, 0, 100);
      yield* msleep(10);
      send_sig(SIGINT, m.tasks[1]!, 0);
      yield* msleep(10);
      after = yield* proc_locks();
      live = slab_live_objects().length;
    });
    m.spawn_user('b', function* () {
      got = yield* setlk(open_file(ino), F_SETLKW, F_WRLCK, 0, 1);
    });
    clean(m.run());
    expect(got).toBe(-ERESTARTSYS);
    expect(after).not.toContain('->');
    // Only a's lock is still allocated: b's request was freed.
    expect(live).toBe(1);
  });

  it('read locks share; a write lock conflicts with any of them', () => {
    const m = new Machine();
    const ino = new_inode(7);
    const rets: number[] = [];
    for (const [comm, type, start, len] of [
      ['a', F_RDLCK, 0, 100],
      ['b', F_RDLCK, 50, 100],
      ['c', F_WRLCK, 120, 10],
      ['d', F_WRLCK, 150, 10],
    ] as const) {
      m.spawn_user(comm, function* () {
        rets.push(yield* setlk(open_file(ino), F_SETLK, type, start, len));
      });
    }
    clean(m.run());
    expect(rets).toEqual([0, 0, -EAGAIN, 0]);
    const [a, b, , d] = m.tasks;
    expect(held(ino)).toEqual([`${a!.pid}:R:0-99`, `${b!.pid}:R:50-149`, `${d!.pid}:W:150-159`]);
  });

  it('unlocking the middle of a range splits it in two', () => {
    const m = new Machine();
    const ino = new_inode(7);
    let ret = -1;
    const a = m.spawn_user('a', function* () {
      const filp = open_file(ino);
      yield* setlk(filp, F_SETLK, F_WRLCK, 0, 100);
      ret = yield* setlk(filp, F_SETLK, F_UNLCK, 40, 20);
    });
    clean(m.run());
    expect(ret).toBe(0);
    expect(held(ino)).toEqual([`${a.pid}:W:0-39`, `${a.pid}:W:60-99`]);
  });

  it('a split with no second lock fails -ENOLCK and leaves the lock alone (failslab)', () => {
    const m = new Machine();
    const ino = new_inode(7);
    let ret = 0;
    const a = m.spawn_user('a', function* () {
      const filp = open_file(ino);
      yield* setlk(filp, F_SETLK, F_WRLCK, 0, 100);
      // Allocations of the unlock: the request (1), new_fl (2), new_fl2 (3).
      failslab_configure({ type: 'file_lock', nth: 3 });
      ret = yield* setlk(filp, F_SETLK, F_UNLCK, 40, 20);
      failslab_configure(null);
    });
    clean(m.run());
    expect(ret).toBe(-ENOLCK);
    expect(held(ino)).toEqual([`${a.pid}:W:0-99`]);
  });

  it('fcntl_setlk returns -ENOLCK when its request cannot be allocated', () => {
    const m = new Machine();
    const ino = new_inode(7);
    let ret = 0;
    m.spawn_user('a', function* () {
      failslab_configure({ site: 'fcntl_setlk' });
      ret = yield* setlk(open_file(ino), F_SETLK, F_WRLCK, 0, 1);
    });
    clean(m.run());
    expect(ret).toBe(-ENOLCK);
    expect(ino.i_flock).toBeNull();
  });

  it('merges adjacent and overlapping locks of the same owner and type', () => {
    const m = new Machine();
    const ino = new_inode(7);
    let before: string[] = [];
    const a = m.spawn_user('a', function* () {
      const filp = open_file(ino);
      yield* setlk(filp, F_SETLK, F_WRLCK, 0, 10);
      yield* setlk(filp, F_SETLK, F_WRLCK, 20, 10);
      yield* setlk(filp, F_SETLK, F_RDLCK, 40, 10);
      yield* setlk(filp, F_SETLK, F_WRLCK, 10, 10); // fills the gap: 0-29 becomes one lock
      yield* setlk(filp, F_SETLK, F_RDLCK, 30, 5); // touches the write lock: other type, no merge
      before = held(ino);
      yield* setlk(filp, F_SETLK, F_RDLCK, 35, 5); // bridges the two read locks
    });
    clean(m.run());
    expect(before).toEqual([`${a.pid}:W:0-29`, `${a.pid}:R:30-34`, `${a.pid}:R:40-49`]);
    expect(held(ino)).toEqual([`${a.pid}:W:0-29`, `${a.pid}:R:30-49`]);
  });

  it('upgrades and downgrades a lock in place; a downgrade wakes blocked readers', () => {
    const m = new Machine();
    const ino = new_inode(7);
    const same: boolean[] = [];
    let readerGot = -1;
    let readerAt = -1;
    let pieces: string[] = [];
    const a = m.spawn_user('a', function* () {
      const filp = open_file(ino);
      yield* setlk(filp, F_SETLK, F_RDLCK, 0, 100);
      const first = ino.i_flock;
      yield* setlk(filp, F_SETLK, F_WRLCK, 0, 100); // upgrade
      same.push(ino.i_flock === first && ino.i_flock!.fl_type === F_WRLCK);
      yield* msleep(10); // the reader blocks meanwhile
      yield* setlk(filp, F_SETLK, F_RDLCK, 0, 100); // downgrade
      same.push(ino.i_flock === first && ino.i_flock!.fl_type === F_RDLCK);
      yield* msleep(1); // the woken reader takes its lock
      yield* setlk(filp, F_SETLK, F_WRLCK, 40, 20); // partial upgrade: three pieces
      pieces = held(ino);
      yield* setlk(filp, F_SETLK, F_UNLCK, 0, 0);
    });
    m.spawn_user('reader', function* () {
      readerGot = yield* setlk(open_file(ino), F_SETLKW, F_RDLCK, 0, 10);
      readerAt = jiffies;
    });
    clean(m.run());
    expect(same).toEqual([true, true]);
    expect(readerGot).toBe(0);
    expect(readerAt).toBeGreaterThanOrEqual(10);
    const r = m.tasks[1]!.pid;
    expect(pieces).toEqual([
      `${a.pid}:R:0-39`,
      `${a.pid}:W:40-59`,
      `${a.pid}:R:60-99`,
      `${r}:R:0-9`,
    ]);
  });

  it('detects a two-owner deadlock with -EDEADLK', () => {
    const m = new Machine();
    const ino = new_inode(7);
    const aLocked = new completion('a_locked');
    const bLocked = new completion('b_locked');
    let aRet = -1;
    let bRet = 0;
    const a = m.spawn_user('a', function* () {
      const filp = open_file(ino);
      yield* setlk(filp, F_SETLK, F_WRLCK, 0, 10);
      complete(aLocked);
      yield* wait_for_completion(bLocked);
      aRet = yield* setlk(filp, F_SETLKW, F_WRLCK, 10, 10); // blocks on b
    });
    const b = m.spawn_user('b', function* () {
      const filp = open_file(ino);
      yield* wait_for_completion(aLocked);
      yield* setlk(filp, F_SETLK, F_WRLCK, 10, 10);
      complete(bLocked);
      yield* msleep(1); // let a block
      bRet = yield* setlk(filp, F_SETLKW, F_WRLCK, 0, 10); // would close the cycle
      yield* setlk(filp, F_SETLK, F_UNLCK, 10, 10); // lets a go on
    });
    clean(m.run());
    expect(bRet).toBe(-EDEADLK);
    expect(aRet).toBe(0);
    expect(held(ino)).toEqual([`${a.pid}:W:0-19`]);
    expect(b.pid).not.toBe(a.pid);
  });

  it('calls fl_notify for a lock manager waiter instead of waking fl_wait', () => {
    const m = new Machine();
    const ino = new_inode(7);
    const notified: file_lock[] = [];
    const lmops: lock_manager_operations = {
      fl_compare_owner: (f1, f2) => (f1.fl_owner === f2.fl_owner ? 1 : 0),
      *fl_notify(fl) {
        yield* cond_resched();
        notified.push(fl);
      },
    };
    const host = { name: 'client-host' };
    const conf = file_lock_struct();
    let fl: file_lock | null = null;
    let first = 0;
    let retry = -1;
    let waitersAtNotify = -1;
    const aLocked = new completion('a_locked');
    const queued = new completion('queued');
    const a = m.spawn_user('a', function* () {
      const filp = open_file(ino);
      yield* setlk(filp, F_SETLK, F_WRLCK, 0, 100);
      complete(aLocked);
      yield* wait_for_completion(queued);
      yield* setlk(filp, F_SETLK, F_UNLCK, 0, 100);
    });
    m.spawn_user('lockd', function* () {
      yield* wait_for_completion(aLocked);
      const filp = open_file(ino);
      fl = lmRequest(filp, host, lmops, 0, 9);
      first = yield* vfs_lock_file(filp, F_SETLK, fl, conf);
      complete(queued);
      while (notified.length === 0) yield* msleep(1);
      waitersAtNotify = fl.fl_wait.task_list.length;
      retry = yield* vfs_lock_file(filp, F_SETLK, fl, conf);
    });
    clean(m.run());
    expect(first).toBe(-EAGAIN);
    expect([conf.fl_pid, conf.fl_start, conf.fl_end, conf.fl_type]).toEqual([
      a.pid,
      0,
      99,
      F_WRLCK,
    ]);
    expect(notified).toEqual([fl]);
    expect(fl!.fl_next).toBeNull();
    expect(waitersAtNotify).toBe(0);
    expect(retry).toBe(0);
    expect(held(ino)).toEqual(['4242:W:0-9']);
    expect(ino.i_flock!.fl_owner).toBe(host);
    expect(ino.i_flock!.fl_lmops).toBe(lmops);
  });

  it('posix_unblock_lock takes a waiter off its blocker; a second call gets -ENOENT', () => {
    const m = new Machine();
    const ino = new_inode(7);
    let notified = 0;
    const lmops: lock_manager_operations = {
      fl_compare_owner: (f1, f2) => f1.fl_owner === f2.fl_owner,
      fl_notify: () => {
        notified++;
      },
    };
    const rets: number[] = [];
    let listing = '';
    m.spawn_user('a', function* () {
      const filp = open_file(ino);
      yield* setlk(filp, F_SETLK, F_WRLCK, 0, 100);
      const fl = lmRequest(filp, { host: 1 }, lmops, 5, 5);
      rets.push(yield* vfs_lock_file(filp, F_SETLK, fl, null));
      rets.push(yield* posix_unblock_lock(filp, fl));
      rets.push(yield* posix_unblock_lock(filp, fl));
      yield* setlk(filp, F_SETLK, F_UNLCK, 0, 100);
      listing = yield* proc_locks();
    });
    clean(m.run());
    expect(rets).toEqual([-EAGAIN, 0, -ENOENT]);
    expect(notified).toBe(0);
    expect(listing).toBe('');
  });

  it('KASAN catches a lock manager that frees a request still queued on a blocker', () => {
    const m = new Machine();
    const ino = new_inode(7);
    const lmops: lock_manager_operations = {
      fl_compare_owner: (f1, f2) => f1.fl_owner === f2.fl_owner,
      fl_notify: () => {},
    };
    const queued = new completion('queued');
    m.spawn_user('a', function* () {
      const filp = open_file(ino);
      yield* setlk(filp, F_SETLK, F_WRLCK, 0, 100);
      yield* wait_for_completion(queued);
      yield* setlk(filp, F_SETLK, F_UNLCK, 0, 100);
    });
    m.spawn_user('lockd', function* () {
      const filp = open_file(ino);
      // Like an nlm_block: a kzalloc'd object with the request embedded in it, filled in
      // after allocation (the initialiser must not point at other objects: kfree would
      // poison them as embedded).
      const block = yield* kmalloc('nlm_block', () => ({ b_fl: file_lock_struct() }));
      locks_copy_lock(block!.b_fl, lmRequest(filp, { host: 3 }, lmops, 0, 0));
      yield* vfs_lock_file(filp, F_SETLK, block!.b_fl, null);
      kfree(block); // without posix_unblock_lock first
      complete(queued);
    });
    const r = m.run();
    expect(r.outcome).toBe('crash');
    expect(r.report?.kind).toBe('kasan-use-after-free');
    expect(r.report?.title).toBe('KASAN: use-after-free Read in __locks_delete_block');
    expect(r.report?.backtrace).toEqual(
      expect.arrayContaining(['__locks_delete_block', 'locks_wake_up_blocks', '__posix_lock_file']),
    );
  });

  it("calls the filesystem's f_op->lock when it has one", () => {
    const m = new Machine();
    const cmds: number[] = [];
    const fops: file_operations = {
      *lock(filp, cmd, fl) {
        cmds.push(cmd);
        if (cmd === F_GETLK) {
          yield* posix_test_lock(filp, fl);
          return 0;
        }
        if (cmd === F_CANCELLK) return 0;
        return yield* posix_lock_file(filp, fl, null);
      },
    };
    const ino = new_inode(9, fops);
    const probe: flock = { l_type: F_WRLCK, l_whence: SEEK_SET, l_start: 0, l_len: 1, l_pid: 0 };
    let ret = -1;
    m.spawn_user('a', function* () {
      const filp = open_file(ino);
      ret = yield* setlk(filp, F_SETLK, F_WRLCK, 0, 10);
      yield* fcntl_getlk(filp, probe);
      yield* vfs_cancel_lock(filp, file_lock_struct());
    });
    clean(m.run());
    expect(ret).toBe(0);
    expect(cmds).toEqual([F_SETLK, F_GETLK, F_CANCELLK]);
    expect(probe.l_type).toBe(F_UNLCK); // its own lock does not conflict
    expect(held(ino)).toHaveLength(1);
  });

  it('passes -EINPROGRESS back from a deferring filesystem, which later calls fl_grant', () => {
    const m = new Machine();
    const pending: Array<{ filp: file; fl: file_lock }> = [];
    const granted: Array<[file_lock, number]> = [];
    // A filesystem that answers lock managers asynchronously (like GFS2's dlm plocks).
    const fops: file_operations = {
      *lock(filp, cmd, fl) {
        if (cmd === F_SETLK && fl.fl_lmops?.fl_grant) {
          const copy = file_lock_struct();
          locks_copy_lock(copy, fl);
          copy.fl_flags &= ~FL_SLEEP;
          pending.push({ filp, fl: copy });
          return -EINPROGRESS;
        }
        return yield* posix_lock_file(filp, fl, null);
      },
    };
    const ino = new_inode(3, fops);
    const lmops: lock_manager_operations = {
      fl_compare_owner: (f1, f2) => f1.fl_owner === f2.fl_owner,
      *fl_grant(fl, _conf, result) {
        yield* cond_resched();
        granted.push([fl, result]);
        return 0;
      },
    };
    let first = 0;
    let request: file_lock | null = null;
    m.spawn_user('lockd', function* () {
      const filp = open_file(ino);
      request = lmRequest(filp, { host: 2 }, lmops, 0, 0);
      first = yield* vfs_lock_file(filp, F_SETLK, request, null);
    });
    m.spawn_user('fs_worker', function* () {
      while (pending.length === 0) yield* msleep(1);
      const { filp, fl } = pending.shift()!;
      const result = yield* posix_lock_file(filp, fl, null);
      yield* fl.fl_lmops!.fl_grant!(fl, null, result);
    });
    clean(m.run());
    expect(first).toBe(-EINPROGRESS);
    expect(granted).toHaveLength(1);
    expect(granted[0]![1]).toBe(0);
    expect(granted[0]![0].fl_owner).toBe(request!.fl_owner);
    expect(held(ino)).toEqual(['4242:W:0-0']);
  });

  it('close removes the owner’s locks and wakes their waiters', () => {
    const m = new Machine();
    const ino = new_inode(7);
    let got = -1;
    let keptByOther: string[] = [];
    const a = m.spawn_user('a', function* () {
      const filp = open_file(ino);
      yield* setlk(filp, F_SETLK, F_WRLCK, 0, 100);
      yield* setlk(filp, F_SETLK, F_RDLCK, 200, 100);
      yield* msleep(10);
      // Closing with someone else's files_struct removes nothing.
      yield* filp_close(filp, {});
      keptByOther = held(ino);
      yield* filp_close(filp, task_files());
    });
    const b = m.spawn_user('b', function* () {
      got = yield* setlk(open_file(ino), F_SETLKW, F_WRLCK, 0, 10);
    });
    clean(m.run());
    expect(keptByOther).toEqual([`${a.pid}:W:0-99`, `${a.pid}:R:200-299`]);
    expect(got).toBe(0);
    expect(held(ino)).toEqual([`${b.pid}:W:0-9`]);
  });

  it('frees every request it allocates (KASAN/kmemleak view of the slab)', () => {
    const m = new Machine();
    const ino = new_inode(7);
    let live = -1;
    let liveAfterUnlock = -1;
    m.spawn_user('a', function* () {
      const filp = open_file(ino);
      yield* setlk(filp, F_SETLK, F_WRLCK, 0, 10);
      yield* setlk(filp, F_SETLK, F_WRLCK, 20, 10);
      yield* setlk(filp, F_SETLK, F_WRLCK, 10, 10); // merge: one lock left
      live = slab_live_objects().length;
      yield* setlk(filp, F_SETLK, F_UNLCK, 0, 0);
      liveAfterUnlock = slab_live_objects().length;
    });
    clean(m.run());
    expect(live).toBe(1);
    expect(liveAfterUnlock).toBe(0);
  });

  it('rejects bad model input with LockstepUsageError', () => {
    expect(() => new_inode(-1)).toThrow(LockstepUsageError);
    expect(() => open_file({} as inode)).toThrow(LockstepUsageError);
    const m = new Machine();
    const ino = new_inode(1);
    m.spawn_user('a', function* () {
      yield* setlk(open_file(ino), F_GETLK, F_WRLCK, 0, 1);
    });
    expect(() => m.run()).toThrow(LockstepUsageError);
    expect(ino.i_flock).toBeNull();
  });

  it('exports the fs/locks.c EXPORT_SYMBOLs it models, not its internal helpers', () => {
    const fns = Object.entries(vfs_locks)
      .filter(([, v]) => typeof v === 'function')
      .map(([k]) => k)
      .sort();
    expect(fns).toEqual(
      [
        // EXPORT_SYMBOL(_GPL) in fs/locks.c, 2.6.24
        'locks_copy_lock',
        'locks_init_lock',
        'locks_remove_posix',
        'posix_lock_file',
        'posix_lock_file_wait',
        'posix_test_lock',
        'posix_unblock_lock',
        'vfs_cancel_lock',
        'vfs_lock_file',
        'vfs_test_lock',
        // syscall entry points
        'fcntl_getlk',
        'fcntl_setlk',
        'filp_close',
        // model helpers and types with a runtime value
        'file_lock_struct',
        'files_struct',
        'new_inode',
        'open_file',
        'proc_locks',
        'task_files',
      ].sort(),
    );
  });
});
