/**
 * The central lockd service, fs/lockd/svc.c as of Linux 2.6.24: the lockd thread and its
 * main loop, and lockd_up()/lockd_down(), which NFS mounts and nfsd call to start lockd and
 * to stop it with the last user.
 *
 * In 2.6.24 lockd is a kernel_thread() forked by svc_create_thread() that daemonizes itself.
 * lockd_down() stops it with SIGKILL and waits for it at most one second; if it has not
 * exited by then, the pid is cleared anyway and the next lockd_up() starts a second lockd
 * while the first one still runs. The loop condition and the exit path compare pids to cope
 * with that. lockd_start_done is never re-initialised; its counter balances on every start.
 */
import {
  __module_get,
  allow_signal,
  clear_sigpending,
  complete,
  current,
  DECLARE_COMPLETION,
  DEFINE_MUTEX,
  DEFINE_STATIC,
  daemonize,
  EAGAIN,
  EINTR,
  ENOMEM,
  flush_signals,
  HZ,
  interruptible_sleep_on_timeout,
  jiffies,
  KERN_DEBUG,
  KERN_WARNING,
  type Kfn,
  kill_proc,
  list_for_each_entry,
  lock_kernel,
  MAX_SCHEDULE_TIMEOUT,
  type Machine,
  module,
  module_put_and_exit,
  mutex_lock,
  mutex_unlock,
  printk,
  recalc_sigpending,
  SIGKILL,
  set_freezable,
  signalled,
  this_machine,
  time_after,
  unlock_kernel,
  wait_for_completion,
  wait_queue_head_t,
  wake_up,
} from '@lockstep/kernel';
import {
  IPPROTO_TCP,
  IPPROTO_UDP,
  SVC_SOCK_DEFAULTS,
  svc_create,
  svc_create_thread,
  svc_destroy,
  svc_exit_thread,
  svc_makesock,
  svc_process,
  type svc_program,
  svc_recv,
  type svc_rqst,
  type svc_serv,
  type svc_sock,
  type svc_version,
} from '@lockstep/sunrpc';
import { nlm_shutdown_hosts } from './host.js';
import { LOCKD_DFLT_TIMEO, NLM_PROGRAM, NLMSVC_XDRSIZE, type nlmsvc_binding } from './lockd.js';
import { nlmsvc_retry_blocked } from './svclock.js';
import { nlmsvc_procedures } from './svcproc.js';
import { nlmsvc_invalidate_all } from './svcsubs.js';

export const LOCKD_BUFSIZE = 1024 + NLMSVC_XDRSIZE;

/**
 * lockd's globals that outlive a lockd and that setup code may set before a run: the
 * non-static ones of svc.c (nlmsvc_ops, nlmsvc_grace_period, nlmsvc_timeout) and the module
 * parameters (static in svc.c, set at insmod time or through sysctl).
 */
export interface lockd_globals_t {
  /** EXPORT_SYMBOL(nlmsvc_ops): the NFS server's binding, set when nfsd loads. */
  nlmsvc_ops: nlmsvc_binding | null;
  nlmsvc_grace_period: number;
  nlmsvc_timeout: number;
  /** Module parameters: seconds, seconds, ports (0: any). */
  nlm_grace_period: number;
  nlm_timeout: number;
  nlm_udpport: number;
  nlm_tcpport: number;
  /** THIS_MODULE. */
  readonly this_module: module;
}

const LOCKD_GLOBALS = Symbol('fs/lockd globals');

/** Model helper: lockd's globals on `m` (default: the running machine), for setup code. */
export function lockd_globals(m: Machine = this_machine()): lockd_globals_t {
  return m.slot(LOCKD_GLOBALS, () => ({
    nlmsvc_ops: null,
    nlmsvc_grace_period: 0,
    nlmsvc_timeout: 0,
    nlm_grace_period: 0,
    nlm_timeout: LOCKD_DFLT_TIMEO,
    nlm_udpport: 0,
    nlm_tcpport: 0,
    this_module: new module('lockd'),
  }));
}

/** nlmsvc_ops, v2.6.24:fs/lockd/svc.c (EXPORT_SYMBOL): the NFS server's binding, or NULL. */
export function nlmsvc_ops(): nlmsvc_binding | null {
  return lockd_globals().nlmsvc_ops;
}

/** THIS_MODULE, v2.6.24:include/linux/module.h: lockd's struct module. */
function THIS_MODULE(): module {
  return lockd_globals().this_module;
}

/** The statics of fs/lockd/svc.c, per machine. */
const svc_c = DEFINE_STATIC('fs/lockd/svc.c', () => ({
  nlmsvc_mutex: DEFINE_MUTEX('nlmsvc_mutex'),
  nlmsvc_users: 0,
  nlmsvc_pid: 0,
  nlmsvc_serv: null as svc_serv | null,
  lockd_start_done: DECLARE_COMPLETION('lockd_start_done'),
  lockd_exit: new wait_queue_head_t('lockd_exit'),
  /** `static int warned` of make_socks() and of lockd_down(). */
  make_socks_warned: 0,
  lockd_down_warned: 0,
}));

/** time_before(), v2.6.24:include/linux/jiffies.h (no wraparound in the model's jiffies). */
function time_before(a: number, b: number): boolean {
  return time_after(b, a);
}

/**
 * set_grace_period(), v2.6.24:fs/lockd/svc.c: start the grace period; when it ends. With
 * get_lockd_grace_period() inline; get_nfs_grace_period()'s nfsd term is left out: it is
 * get_nfs4_grace_period(), 0 without CONFIG_NFSD_V4 (x86_64 defconfig, 2.6.24).
 */
function set_grace_period(): number {
  const g = lockd_globals();
  let grace_period: number;
  // Note: nlm_timeout should always be nonzero.
  if (g.nlm_grace_period)
    grace_period =
      Math.floor((g.nlm_grace_period + g.nlm_timeout - 1) / g.nlm_timeout) * g.nlm_timeout * HZ;
  else grace_period = g.nlm_timeout * 5 * HZ;
  g.nlmsvc_grace_period = 1;
  return grace_period + jiffies;
}

/** clear_grace_period(), v2.6.24:fs/lockd/svc.c. */
function clear_grace_period(): void {
  lockd_globals().nlmsvc_grace_period = 0;
}

/**
 * lockd(), v2.6.24:fs/lockd/svc.c: the lockd kernel thread. Runs under the BKL. Serves requests
 * until the last user is gone and a signal came, or another lockd took over the pid; on the way out
 * it drops every client's locks and the hosts (unless a new lockd exists), wakes lockd_down() and
 * releases its svc thread, which frees the serv with its last reference.
 */
function* lockd(rqstp: svc_rqst): Kfn {
  const s = svc_c();
  const g = lockd_globals();
  let err = 0;
  let grace_period_expire: number;

  // Lock module and set up kernel thread.
  // lockd_up is waiting for us to startup, so will be holding a reference to this module,
  // so it is safe to just claim another reference.
  __module_get(THIS_MODULE());
  yield* lock_kernel();

  // Let our maker know we're running.
  s.nlmsvc_pid = current.pid;
  s.nlmsvc_serv = rqstp.rq_server;
  complete(s.lockd_start_done);

  daemonize('lockd');
  set_freezable();

  // Process request with signals blocked, but allow SIGKILL.
  allow_signal(SIGKILL);

  if (!g.nlm_timeout) g.nlm_timeout = LOCKD_DFLT_TIMEO;
  g.nlmsvc_timeout = g.nlm_timeout * HZ;

  grace_period_expire = set_grace_period();

  // The main request loop. We don't terminate until the last NFS mount or NFS daemon has
  // gone away, and we've been sent a signal, or else another process has taken over our job.
  while ((s.nlmsvc_users || !signalled()) && s.nlmsvc_pid === current.pid) {
    let timeout = MAX_SCHEDULE_TIMEOUT;

    if (signalled()) {
      flush_signals(current);
      if (nlmsvc_ops()) {
        yield* nlmsvc_invalidate_all();
        grace_period_expire = set_grace_period();
      }
    }

    // Retry any blocked locks that have been notified by the VFS. Don't do this during grace
    // period. (Theoretically, there shouldn't even be blocked locks during grace period).
    if (!g.nlmsvc_grace_period) {
      timeout = yield* nlmsvc_retry_blocked();
    } else if (time_before(grace_period_expire, jiffies)) clear_grace_period();

    // Find a socket with data available and call its recvfrom routine.
    err = yield* svc_recv(rqstp, timeout);
    if (err === -EAGAIN || err === -EINTR) continue;
    if (err < 0) {
      printk(`${KERN_WARNING}lockd: terminating on error ${-err}\n`);
      break;
    }

    yield* svc_process(rqstp);
  }

  flush_signals(current);

  // Check whether there's a new lockd process before shutting down the hosts and clearing
  // the slot.
  if (!s.nlmsvc_pid || current.pid === s.nlmsvc_pid) {
    if (nlmsvc_ops()) yield* nlmsvc_invalidate_all();
    yield* nlm_shutdown_hosts();
    s.nlmsvc_pid = 0;
    s.nlmsvc_serv = null;
  } else printk(`${KERN_DEBUG}lockd: new process, skipping host shutdown\n`);
  wake_up(s.lockd_exit);

  // Exit the RPC thread.
  yield* svc_exit_thread(rqstp);

  // Release module.
  yield* unlock_kernel();
  module_put_and_exit(THIS_MODULE(), 0);
}

/** find_socket(), v2.6.24:fs/lockd/svc.c: does the serv have a socket for this protocol? */
function find_socket(serv: svc_serv, proto: number): boolean {
  for (const svsk of list_for_each_entry<svc_sock>(serv.sv_permsocks, 'sk_list'))
    if (svsk.sk_prot === proto) return true;
  return false;
}

/**
 * make_socks(), v2.6.24:fs/lockd/svc.c: make the sockets that are needed but not present; the
 * UDP/TCP port module parameters force their sockets.
 */
function* make_socks(serv: svc_serv, proto: number): Kfn<number> {
  const s = svc_c();
  const g = lockd_globals();
  let err = 0;

  if (proto === IPPROTO_UDP || g.nlm_udpport)
    if (!find_socket(serv, IPPROTO_UDP))
      err = yield* svc_makesock(serv, IPPROTO_UDP, g.nlm_udpport, SVC_SOCK_DEFAULTS);
  if (err >= 0 && (proto === IPPROTO_TCP || g.nlm_tcpport))
    if (!find_socket(serv, IPPROTO_TCP))
      err = yield* svc_makesock(serv, IPPROTO_TCP, g.nlm_tcpport, SVC_SOCK_DEFAULTS);

  if (err >= 0) {
    s.make_socks_warned = 0;
    err = 0;
  } else if (s.make_socks_warned++ === 0)
    printk(`${KERN_WARNING}lockd_up: makesock failed, error=${err}\n`);
  return err;
}

/**
 * lockd_up(), v2.6.24:fs/lockd/svc.c: count a user and bring up lockd if it is not running: create
 * the service and its sockets, fork lockd and wait until it runs, then drop the creator's reference
 * on the serv (lockd's thread holds the other).
 */
export function* lockd_up(proto: number): Kfn<number> {
  const s = svc_c();
  let serv: svc_serv | null;
  let error = 0;

  yield* mutex_lock(s.nlmsvc_mutex);
  // biome-ignore lint/suspicious/noConfusingLabels: the kernel's "goto out"
  out: {
    // Check whether we're already up and running.
    if (s.nlmsvc_pid) {
      if (proto) error = yield* make_socks(s.nlmsvc_serv!, proto);
      break out;
    }

    // Sanity check: if there's no pid, we should be the first user ...
    if (s.nlmsvc_users) printk(`${KERN_WARNING}lockd_up: no pid, ${s.nlmsvc_users} users??\n`);

    error = -ENOMEM;
    serv = yield* svc_create(nlmsvc_program, LOCKD_BUFSIZE, null);
    if (!serv) {
      printk(`${KERN_WARNING}lockd_up: create service failed\n`);
      break out;
    }

    // biome-ignore lint/suspicious/noConfusingLabels: the kernel's "goto destroy_and_out"
    destroy_and_out: {
      if ((error = yield* make_socks(serv, proto)) < 0) break destroy_and_out;

      // Create the kernel thread and wait for it to start.
      error = yield* svc_create_thread(lockd, serv);
      if (error) {
        printk(`${KERN_WARNING}lockd_up: create thread failed, error=${error}\n`);
        break destroy_and_out;
      }
      yield* wait_for_completion(s.lockd_start_done);
    }

    // Note: svc_serv structures have an initial use count of 1, so we exit through here on
    // both success and failure.
    yield* svc_destroy(serv);
  }
  if (!error) s.nlmsvc_users++;
  yield* mutex_unlock(s.nlmsvc_mutex);
  return error;
}

/**
 * lockd_down(), v2.6.24:fs/lockd/svc.c: drop a user; the last one sends lockd SIGKILL and waits at
 * most a second for it to exit (an interruptible, racy sleep_on). If lockd is still there it clears
 * the pid anyway ("lockd failed to exit").
 */
export function* lockd_down(): Kfn {
  const s = svc_c();

  yield* mutex_lock(s.nlmsvc_mutex);
  // biome-ignore lint/suspicious/noConfusingLabels: the kernel's "goto out"
  out: {
    if (s.nlmsvc_users) {
      if (--s.nlmsvc_users) break out;
    } else printk(`${KERN_WARNING}lockd_down: no users! pid=${s.nlmsvc_pid}\n`);

    if (!s.nlmsvc_pid) {
      if (s.lockd_down_warned++ === 0) printk(`${KERN_WARNING}lockd_down: no lockd running.\n`);
      break out;
    }
    s.lockd_down_warned = 0;

    kill_proc(s.nlmsvc_pid, SIGKILL, 1);
    // Wait for the lockd process to exit, but since we're holding the lockd semaphore, we
    // can't wait around forever ...
    clear_sigpending();
    yield* interruptible_sleep_on_timeout(s.lockd_exit, HZ);
    if (s.nlmsvc_pid) {
      printk(`${KERN_WARNING}lockd_down: lockd failed to exit, clearing pid\n`);
      s.nlmsvc_pid = 0;
    }
    recalc_sigpending();
  }
  yield* mutex_unlock(s.nlmsvc_mutex);
}

/** nlmsvc_version1/3/4, v2.6.24:fs/lockd/svc.c: one NLM version of the service. */
function nlmsvc_version(vs_vers: number, vs_nproc: number): svc_version {
  return Object.freeze({
    vs_vers,
    vs_nproc,
    // A getter: svcproc.ts may not be evaluated yet when this module is (import cycle).
    get vs_proc() {
      return nlmsvc_procedures;
    },
    vs_xdrsize: NLMSVC_XDRSIZE,
  });
}

/** nlmsvc_program, v2.6.24:fs/lockd/svc.c: NLM versions 1, 3 and 4 (CONFIG_LOCKD_V4). */
const nlmsvc_program: svc_program = Object.freeze({
  pg_prog: NLM_PROGRAM,
  pg_nvers: 5,
  pg_vers: Object.freeze([
    undefined,
    nlmsvc_version(1, 17),
    undefined,
    nlmsvc_version(3, 24),
    nlmsvc_version(4, 24),
  ]),
  pg_name: 'lockd',
  pg_class: 'nfsd',
  pg_stats: null,
});

/** Model helper: lockd's state, for tests and reproducers (what /proc and ps would show). */
export function lockd_state(): {
  nlmsvc_users: number;
  nlmsvc_pid: number;
  serv: boolean;
  lockd_start_done: number;
} {
  const s = svc_c();
  return {
    nlmsvc_users: s.nlmsvc_users,
    nlmsvc_pid: s.nlmsvc_pid,
    serv: s.nlmsvc_serv !== null,
    lockd_start_done: s.lockd_start_done.done,
  };
}
