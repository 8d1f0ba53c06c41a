/**
 * GFS2's POSIX locks over lock_dlm as Linux 2.6.24 has them: gfs2_lock (fs/gfs2/ops_file.c)
 * passes each request through lm.c's gfs2_lm_plock/punlock/plock_get to lock_dlm's gdlm_plock,
 * gdlm_punlock and gdlm_plock_get (fs/gfs2/locking/dlm/plock.c). Those queue a plock_op on
 * send_list for the userspace daemon (gfs_controld, see gfs_controld.ts), which reads it from
 * the misc device (dev_read) and answers with dev_write.
 *
 * Who sleeps: gdlm_punlock and gdlm_plock_get always wait, in wait_event (TASK_UNINTERRUPTIBLE,
 * so SIGKILL does not end it), until the daemon answers; gdlm_plock waits too for a caller
 * without fl_lmops->fl_grant (a local fcntl). For lockd, whose nlmsvc_lock_operations set
 * fl_grant, gdlm_plock returns -EINPROGRESS at once and the daemon's dev_write later runs
 * gdlm_plock_callback, which records the lock locally and calls fl_grant.
 */
import {
  DEFINE_SPINLOCK,
  DEFINE_STATIC,
  EAGAIN,
  EINPROGRESS,
  ENOENT,
  ENOLCK,
  ENOMEM,
  KERN_ERR,
  KERN_INFO,
  type Kfn,
  kfree,
  kmalloc,
  printk,
  spin_lock,
  spin_unlock,
  wait_event,
  wait_queue_head_t,
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
  FL_POSIX,
  FL_SLEEP,
  type file,
  type file_lock,
  file_lock_struct,
  type file_operations,
  type fl_owner_t,
  locks_copy_lock,
  locks_init_lock,
  posix_lock_file,
  posix_lock_file_wait,
} from '@lockstep/vfs-locks';

/** enum GDLM_PLOCK_OP_* (v2.6.24:include/linux/lock_dlm_plock.h). */
export const GDLM_PLOCK_OP_LOCK = 1;
export const GDLM_PLOCK_OP_UNLOCK = 2;
export const GDLM_PLOCK_OP_GET = 3;

/**
 * struct gdlm_plock_info (v2.6.24:include/linux/lock_dlm_plock.h): the record the daemon reads
 * and writes back. Left out: version[] (set_version/check_version) and nodeid. owner is the
 * fl_owner pointer the kernel casts to __u64; here its identity (for lockd: the nlm_host).
 */
export interface gdlm_plock_info {
  optype: number;
  ex: number;
  wait: number;
  pid: number;
  rv: number;
  fsid: number;
  number: number;
  start: number;
  end: number;
  owner: fl_owner_t;
}

/** struct plock_op (v2.6.24 plock.c); `list` membership is kept in send_list/recv_list. */
interface plock_op {
  done: number;
  info: gdlm_plock_info;
}

/** struct plock_xop: a LOCK op with the lock manager's callback and a copy of its lock. */
interface plock_xop extends plock_op {
  callback: ((fl: file_lock, conf: file_lock | null, result: number) => Kfn<number>) | null;
  fl: file_lock | null;
  file: file | null;
  flc: file_lock;
}

/** struct gdlm_ls, reduced to the lockspace id (ls->id, the "id=" of the mount). */
export interface gdlm_ls {
  readonly id: number;
}

/** struct lm_lockname: the plock's resource, ln_number = the inode's disk address. */
export interface lm_lockname {
  readonly ln_number: number;
}

/** The statics of v2.6.24:fs/gfs2/locking/dlm/plock.c (gdlm_plock_init), per machine. */
const plock_c = DEFINE_STATIC('fs/gfs2/locking/dlm/plock.c', () => ({
  ops_lock: DEFINE_SPINLOCK('ops_lock'),
  send_list: [] as plock_op[],
  recv_list: [] as plock_op[],
  send_wq: new wait_queue_head_t('send_wq'),
  recv_wq: new wait_queue_head_t('recv_wq'),
}));

/** The daemon side's view of plock.c's statics (its poll waits on send_wq). */
export function plock_statics(): { send_wq: wait_queue_head_t; send_list: readonly unknown[] } {
  return plock_c();
}

/** log_error(), v2.6.24:fs/gfs2/locking/dlm/lock_dlm.h: printk(KERN_ERR "lock_dlm: " ...). */
function log_error(msg: string): void {
  printk(`${KERN_ERR}lock_dlm: ${msg}\n`);
}

function list_del(list: plock_op[], op: plock_op): boolean {
  const i = list.indexOf(op);
  if (i < 0) return false;
  list.splice(i, 1);
  return true;
}

function plock_info(): gdlm_plock_info {
  return {
    optype: 0,
    ex: 0,
    wait: 0,
    pid: 0,
    rv: 0,
    fsid: 0,
    number: 0,
    start: 0,
    end: 0,
    owner: null,
  };
}

/** send_op(), v2.6.24:fs/gfs2/locking/dlm/plock.c: queue for the daemon and wake its poll; leaves out set_version. */
function* send_op(op: plock_op): Kfn {
  const s = plock_c();
  yield* spin_lock(s.ops_lock);
  s.send_list.push(op);
  yield* spin_unlock(s.ops_lock);
  wake_up(s.send_wq);
}

/** Take op off whichever list it is still on, as the three callers do after waking. */
function* op_off_list(op: plock_op, what: string): Kfn {
  const s = plock_c();
  yield* spin_lock(s.ops_lock);
  if (list_del(s.send_list, op) || list_del(s.recv_list, op))
    printk(`${KERN_INFO}${what} op on list\n`);
  yield* spin_unlock(s.ops_lock);
}

/**
 * gdlm_plock(), v2.6.24:fs/gfs2/locking/dlm/plock.c: a LOCK for the daemon. With
 * fl_lmops->fl_grant (lockd) it keeps a copy of the lock and returns -EINPROGRESS; otherwise
 * it sleeps in wait_event until the answer, then records a granted lock locally.
 */
export function* gdlm_plock(
  ls: gdlm_ls,
  name: lm_lockname,
  filp: file,
  cmd: number,
  fl: file_lock,
): Kfn<number> {
  const xop = yield* kmalloc<plock_xop>('plock_xop', () => ({
    done: 0,
    info: plock_info(),
    callback: null,
    fl: null,
    file: null,
    flc: file_lock_struct(),
  }));
  if (xop === null) return -ENOMEM;
  const op: plock_op = xop;
  op.info.optype = GDLM_PLOCK_OP_LOCK;
  op.info.pid = fl.fl_pid;
  op.info.ex = fl.fl_type === F_WRLCK ? 1 : 0;
  op.info.wait = cmd === F_SETLKW ? 1 : 0; // IS_SETLKW(cmd)
  op.info.fsid = ls.id;
  op.info.number = name.ln_number;
  op.info.start = fl.fl_start;
  op.info.end = fl.fl_end;
  op.info.owner = fl.fl_owner; // 2.6.25 (2066b58b) sends fl_pid for lockd's locks instead
  const grant = fl.fl_lmops?.fl_grant;
  if (grant) {
    xop.callback = grant;
    locks_init_lock(xop.flc);
    locks_copy_lock(xop.flc, fl);
    xop.fl = fl;
    xop.file = filp;
  } else xop.callback = null;

  yield* send_op(op);

  if (xop.callback !== null) return -EINPROGRESS;
  yield* wait_event(plock_c().recv_wq, () => op.done !== 0);
  yield* op_off_list(op, 'plock');

  const rv = op.info.rv;
  if (!rv) {
    if ((yield* posix_lock_file_wait(filp, fl)) < 0)
      log_error(`gdlm_plock: vfs lock error 6,${name.ln_number.toString(16)}`);
  }
  kfree(xop);
  return rv;
}

/**
 * gdlm_plock_callback(), v2.6.24:fs/gfs2/locking/dlm/plock.c: the daemon answered a deferred
 * LOCK; record it locally (without FL_SLEEP) and call fl_grant with the copy. Non-zero when
 * the lock manager no longer wanted the lock (the dangling lock is left, as in 2.6.24).
 */
function* gdlm_plock_callback(xop: plock_xop): Kfn<number> {
  yield* op_off_list(xop, 'plock');
  const filp = xop.file!;
  const flc = xop.flc;
  const notify = xop.callback!;
  let rv = 0;
  // biome-ignore lint/suspicious/noConfusingLabels: the kernel's "goto out"
  out: {
    if (xop.info.rv) {
      yield* notify(flc, null, xop.info.rv);
      break out;
    }
    // Got the cluster lock; bookkeep it locally as well.
    flc.fl_flags &= ~FL_SLEEP;
    if (yield* posix_lock_file(filp, flc, null)) log_error('gdlm_plock: vfs lock error file');
    rv = yield* notify(flc, null, 0);
    if (rv) printk('gfs2 lock granted after lock request failed; dangling lock!\n');
  }
  kfree(xop);
  return rv;
}

/**
 * gdlm_punlock(), v2.6.24:fs/gfs2/locking/dlm/plock.c: drop the lock locally, then tell the
 * daemon and sleep in wait_event (uninterruptible) until it answers; -ENOENT counts as 0.
 */
export function* gdlm_punlock(
  ls: gdlm_ls,
  name: lm_lockname,
  filp: file,
  fl: file_lock,
): Kfn<number> {
  const op = yield* kmalloc<plock_op>('plock_op', () => ({ done: 0, info: plock_info() }));
  if (op === null) return -ENOMEM;
  if ((yield* posix_lock_file_wait(filp, fl)) < 0)
    log_error(`gdlm_punlock: vfs unlock error 6,${name.ln_number.toString(16)}`);
  op.info.optype = GDLM_PLOCK_OP_UNLOCK;
  op.info.pid = fl.fl_pid;
  op.info.fsid = ls.id;
  op.info.number = name.ln_number;
  op.info.start = fl.fl_start;
  op.info.end = fl.fl_end;
  op.info.owner = fl.fl_owner;

  yield* send_op(op);
  yield* wait_event(plock_c().recv_wq, () => op.done !== 0);
  yield* op_off_list(op, 'punlock');

  let rv = op.info.rv;
  if (rv === -ENOENT) rv = 0;
  kfree(op);
  return rv;
}

/**
 * gdlm_plock_get(), v2.6.24:fs/gfs2/locking/dlm/plock.c: F_GETLK through the daemon, asleep
 * in wait_event until it answers (rv 1: conflict, described in info; 0 or -ENOENT: none).
 */
export function* gdlm_plock_get(
  ls: gdlm_ls,
  name: lm_lockname,
  _filp: file,
  fl: file_lock,
): Kfn<number> {
  const op = yield* kmalloc<plock_op>('plock_op', () => ({ done: 0, info: plock_info() }));
  if (op === null) return -ENOMEM;
  op.info.optype = GDLM_PLOCK_OP_GET;
  op.info.pid = fl.fl_pid;
  op.info.ex = fl.fl_type === F_WRLCK ? 1 : 0;
  op.info.fsid = ls.id;
  op.info.number = name.ln_number;
  op.info.start = fl.fl_start;
  op.info.end = fl.fl_end;
  op.info.owner = fl.fl_owner;

  yield* send_op(op);
  yield* wait_event(plock_c().recv_wq, () => op.done !== 0);
  yield* op_off_list(op, 'plock_get');

  let rv = op.info.rv;
  fl.fl_type = F_UNLCK;
  if (rv === -ENOENT) rv = 0;
  else if (rv > 0) {
    fl.fl_type = op.info.ex ? F_WRLCK : F_RDLCK;
    fl.fl_pid = op.info.pid;
    fl.fl_start = op.info.start;
    fl.fl_end = op.info.end;
    rv = 0;
  }
  kfree(op);
  return rv;
}

/**
 * dev_read(), v2.6.24:fs/gfs2/locking/dlm/plock.c: the daemon's read(); moves the oldest
 * request from send_list to recv_list and returns a copy of its info, or -EAGAIN.
 */
export function* dev_read(): Kfn<gdlm_plock_info | number> {
  const s = plock_c();
  let info: gdlm_plock_info | null = null;
  yield* spin_lock(s.ops_lock);
  const op = s.send_list.shift();
  if (op !== undefined) {
    s.recv_list.push(op);
    info = { ...op.info };
  }
  yield* spin_unlock(s.ops_lock);
  return info ?? -EAGAIN;
}

/**
 * dev_write(), v2.6.24:fs/gfs2/locking/dlm/plock.c: the daemon's answer. The first op on
 * recv_list with the same fsid, number and owner is marked done and takes the answer; a
 * deferred LOCK goes to gdlm_plock_callback (whose result becomes the write's return value,
 * 0: the bug 817d10ba fixed in 2.6.26), any other op's sleeper is woken.
 */
export function* dev_write(info: gdlm_plock_info): Kfn<number> {
  const s = plock_c();
  let count = 1; // stands for sizeof(info)
  let found: plock_op | null = null;
  yield* spin_lock(s.ops_lock);
  for (const op of s.recv_list) {
    if (
      op.info.fsid === info.fsid &&
      op.info.number === info.number &&
      op.info.owner === info.owner
    ) {
      list_del(s.recv_list, op);
      found = op;
      op.done = 1;
      op.info = { ...info };
      break;
    }
  }
  yield* spin_unlock(s.ops_lock);
  if (found !== null) {
    // The kernel reads xop->callback even for a plain plock_op (beyond its allocation).
    const xop = found as Partial<plock_xop>;
    if (xop.callback) count = yield* gdlm_plock_callback(found as plock_xop);
    else wake_up(s.recv_wq);
  } else
    printk(
      `${KERN_INFO}gdlm dev_write no op ${info.fsid.toString(16)} ${info.number.toString(16)}\n`,
    );
  return count;
}

/** gfs2_lm_plock_get(), v2.6.24:fs/gfs2/lm.c: ls_ops->lm_plock_get; leaves out the SDF_SHUTDOWN (-EIO) test. */
function* gfs2_lm_plock_get(
  ls: gdlm_ls,
  name: lm_lockname,
  filp: file,
  fl: file_lock,
): Kfn<number> {
  return yield* gdlm_plock_get(ls, name, filp, fl);
}

/** gfs2_lm_plock(), v2.6.24:fs/gfs2/lm.c: ls_ops->lm_plock; leaves out the SDF_SHUTDOWN test. */
function* gfs2_lm_plock(
  ls: gdlm_ls,
  name: lm_lockname,
  filp: file,
  cmd: number,
  fl: file_lock,
): Kfn<number> {
  return yield* gdlm_plock(ls, name, filp, cmd, fl);
}

/** gfs2_lm_punlock(), v2.6.24:fs/gfs2/lm.c: ls_ops->lm_punlock; leaves out the SDF_SHUTDOWN test. */
function* gfs2_lm_punlock(ls: gdlm_ls, name: lm_lockname, filp: file, fl: file_lock): Kfn<number> {
  return yield* gdlm_punlock(ls, name, filp, fl);
}

/**
 * gfs2_lock(), v2.6.24:fs/gfs2/ops_file.c: POSIX locks only; F_CANCELLK becomes an unlock
 * ("Hack"); GETLK, unlock and lock go to lock_dlm. Leaves out mandatory locks and the
 * localflocks mount option (which uses fs/locks.c alone).
 */
function* gfs2_lock(ls: gdlm_ls, filp: file, cmd: number, fl: file_lock): Kfn<number> {
  const name: lm_lockname = { ln_number: filp.f_path.dentry.d_inode.i_ino };
  if (!(fl.fl_flags & FL_POSIX)) return -ENOLCK;
  if (cmd === F_CANCELLK) {
    cmd = F_SETLK;
    fl.fl_type = F_UNLCK;
  }
  if (cmd === F_GETLK) return yield* gfs2_lm_plock_get(ls, name, filp, fl);
  if (fl.fl_type === F_UNLCK) return yield* gfs2_lm_punlock(ls, name, filp, fl);
  return yield* gfs2_lm_plock(ls, name, filp, cmd, fl);
}

/**
 * gfs2_file_fops (v2.6.24:fs/gfs2/ops_file.c), its ->lock, for a GFS2 filesystem mounted with
 * lock_dlm whose lockspace id is `fsid`.
 */
export function gfs2_file_operations(fsid: number): file_operations {
  const ls: gdlm_ls = Object.freeze({ id: fsid });
  return Object.freeze({
    *lock(filp: file, cmd: number, fl: file_lock): Kfn<number> {
      return yield* gfs2_lock(ls, filp, cmd, fl);
    },
  });
}
