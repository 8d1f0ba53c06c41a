/**
 * The RPC client, net/sunrpc/clnt.c as of Linux 2.6.24: creating a client (with the
 * synchronous NULL ping unless RPC_CLNT_CREATE_NOPING), synchronous and asynchronous calls,
 * the call_* steps of the state machine, killing a client's tasks and shutting it down.
 * Left out: authentication (credentials are not modelled), rpc_pipefs, statistics beyond
 * two counters, and the portmapper query, which the model answers at once (rpcb_getport).
 */
import {
  BUG_ON,
  container_of,
  DEFINE_SPINLOCK,
  DEFINE_STATIC,
  EAGAIN,
  EINVAL,
  EIO,
  ENOMEM,
  ERR_PTR,
  type ErrPtr,
  ETIMEDOUT,
  HZ,
  IS_ERR,
  KERN_NOTICE,
  type Kfn,
  kfree,
  kref,
  kref_init,
  kref_put,
  kzalloc,
  list_empty,
  list_for_each_entry,
  list_head,
  PTR_ERR,
  printk,
  SIG_BLOCK,
  SIG_SETMASK,
  SIGKILL,
  sigprocmask,
  type sigset_t,
  type spinlock_t,
  wait_event_timeout,
  wait_queue_head_t,
  wake_up,
} from '@lockstep/kernel';
import { pmap_getport, type sockaddr_in } from './net.js';
import {
  RPC_CALL_MAJORSEEN,
  RPC_IS_ACTIVATED,
  RPC_IS_SOFT,
  RPC_TASK_ASYNC,
  RPC_TASK_KILLED,
  RPC_TASK_NOINTR,
  RPC_TASK_SOFT,
  RPC_TASK_UNINTERRUPTIBLE,
  type rpc_call_ops,
  rpc_delay,
  rpc_execute,
  rpc_exit,
  rpc_exit_task,
  type rpc_message,
  rpc_new_task,
  type rpc_procinfo,
  rpc_put_task,
  type rpc_task,
  rpc_wake_up_task,
  rpciod_down,
  rpciod_up,
} from './sched.js';
import {
  type rpc_timeout,
  type rpc_xprt,
  xprt_adjust_timeout,
  xprt_bound,
  xprt_clear_bound,
  xprt_create_transport,
  xprt_prepare_transmit,
  xprt_put,
  xprt_reserve,
  xprt_set_bound,
  xprt_transmit,
} from './xprt.js';

/** struct rpc_version. */
export interface rpc_version {
  readonly number: number;
  readonly nrprocs: number;
  readonly procs: readonly rpc_procinfo[];
}

/** struct rpc_program. */
export interface rpc_program {
  readonly name: string;
  readonly number: number;
  readonly nrvers: number;
  readonly version: readonly (rpc_version | undefined)[];
}

/** EACCES: what rpcbind reports for an unregistered program. */
export const EACCES = 13;
/** x86 errno values (include/asm-generic/errno.h) that call_bind_status and call_verify return. */
const EPROTONOSUPPORT = 93;
const EOPNOTSUPP = 95;
const EPFNOSUPPORT = 96;
/** accept_stat values, v2.6.24:include/linux/sunrpc/msg_prot.h. */
const RPC_SUCCESS = 0;
const RPC_PROG_UNAVAIL = 1;
const RPC_PROG_MISMATCH = 2;
const RPC_PROC_UNAVAIL = 3;

/**
 * rpc_create() flags, v2.6.24:include/linux/sunrpc/clnt.h. ONESHOT went with cl_oneshot in
 * 90c5755f (2.6.23-rc1); DISCRTRY asks call_status to disconnect before a retry (a no-op for
 * the model's connectionless transport).
 */
export const RPC_CLNT_CREATE_HARDRTRY = 1 << 0;
export const RPC_CLNT_CREATE_INTR = 1 << 1;
export const RPC_CLNT_CREATE_AUTOBIND = 1 << 2;
export const RPC_CLNT_CREATE_NONPRIVPORT = 1 << 3;
export const RPC_CLNT_CREATE_NOPING = 1 << 4;
export const RPC_CLNT_CREATE_DISCRTRY = 1 << 5;

export const RPC_AUTH_NULL = 0;
export const RPC_AUTH_UNIX = 1;

/** struct rpc_create_args. */
export interface rpc_create_args {
  protocol: number;
  address: sockaddr_in;
  timeout: rpc_timeout | null;
  servername: string;
  program: rpc_program;
  version: number;
  authflavor: number;
  flags: number;
}

/** struct rpc_clnt. */
export interface rpc_clnt {
  cl_kref: kref;
  cl_lock: spinlock_t;
  /** Every active task of the client (rpc_task.tk_task). */
  cl_tasks: list_head;
  cl_xprt: rpc_xprt;
  cl_procinfo: readonly rpc_procinfo[];
  cl_prog: number;
  cl_vers: number;
  cl_maxproc: number;
  cl_server: string;
  cl_protname: string;
  cl_softrtry: number;
  cl_intr: number;
  cl_autobind: number;
  cl_discrtry: number;
  cl_stats: { rpccnt: number; rpcretrans: number };
}

/** The statics of net/sunrpc/clnt.c, per machine. */
const clnt_c = DEFINE_STATIC('net/sunrpc/clnt.c', () => ({
  destroy_wait: new wait_queue_head_t('destroy_wait'),
}));

/** The NULL procedure every program has (rpcproc_null). */
export const rpcproc_null: rpc_procinfo = Object.freeze({ p_proc: 0, p_name: 'NULL' });

/** rpc_default_callback(): does nothing, but makes rpc_exit_task take the BKL around it. */
function rpc_default_callback(_task: rpc_task, _data: unknown): void {}

/** rpc_default_ops, v2.6.24:net/sunrpc/clnt.c: what rpc_call_sync runs with. */
const rpc_default_ops: rpc_call_ops = Object.freeze({ rpc_call_done: rpc_default_callback });

/**
 * rpc_new_client(), v2.6.24:net/sunrpc/clnt.c: a client of `program` version `vers` over `xprt`, holding an
 * rpciod user (taken first, dropped on error). Leaves out the servername length check, the
 * pipefs directory, auth handles, iostats and the all_clients list.
 */
function* rpc_new_client(
  xprt: rpc_xprt,
  servname: string,
  program: rpc_program,
  vers: number,
  _flavor: number,
): Kfn<rpc_clnt | ErrPtr> {
  let err = rpciod_up();
  if (err) return ERR_PTR(err);
  err = -EINVAL;
  const version = vers < program.nrvers ? program.version[vers] : undefined;
  // biome-ignore lint/suspicious/noConfusingLabels: the kernel's "goto out_err"
  out_err: {
    if (version === undefined) break out_err;
    err = -ENOMEM;
    const clnt = yield* kzalloc(
      'rpc_clnt',
      (): rpc_clnt => ({
        cl_kref: new kref(),
        cl_lock: DEFINE_SPINLOCK('&clnt->cl_lock'),
        cl_tasks: new list_head(),
        cl_xprt: null as unknown as rpc_xprt,
        cl_procinfo: [],
        cl_prog: 0,
        cl_vers: 0,
        cl_maxproc: 0,
        cl_server: '',
        cl_protname: '',
        cl_softrtry: 0,
        cl_intr: 0,
        cl_autobind: 0,
        cl_discrtry: 0,
        cl_stats: { rpccnt: 0, rpcretrans: 0 },
      }),
    );
    if (!clnt) break out_err;
    // Pointers are set after the allocation (an initialiser's objects would be embedded).
    clnt.cl_server = servname;
    clnt.cl_xprt = xprt;
    clnt.cl_procinfo = version.procs;
    clnt.cl_maxproc = version.nrprocs;
    clnt.cl_protname = program.name;
    clnt.cl_prog = program.number;
    clnt.cl_vers = version.number;
    if (!xprt_bound(clnt.cl_xprt)) clnt.cl_autobind = 1;
    kref_init(clnt.cl_kref);
    return clnt;
  }
  yield* xprt_put(xprt);
  rpciod_down();
  return ERR_PTR(err);
}

/**
 * rpc_create(), v2.6.24:net/sunrpc/clnt.c: create a transport and a client, and ping the server with a
 * synchronous soft NULL call unless RPC_CLNT_CREATE_NOPING is set; a failed ping shuts the
 * client down and returns its error. The ping runs in the caller and can take the full
 * major timeout (about a minute with lockd's timeouts) when the server does not answer.
 */
export function* rpc_create(args: rpc_create_args): Kfn<rpc_clnt | ErrPtr> {
  const xprt = yield* xprt_create_transport(args.protocol, args.address, args.timeout);
  if (IS_ERR(xprt)) return xprt;

  // By default, kernel RPC client connects from a reserved port.
  xprt.resvport = 1;
  if (args.flags & RPC_CLNT_CREATE_NONPRIVPORT) xprt.resvport = 0;

  const clnt = yield* rpc_new_client(
    xprt,
    args.servername,
    args.program,
    args.version,
    args.authflavor,
  );
  if (IS_ERR(clnt)) return clnt;

  if (!(args.flags & RPC_CLNT_CREATE_NOPING)) {
    const err = yield* rpc_ping(clnt, RPC_TASK_SOFT | RPC_TASK_NOINTR);
    if (err !== 0) {
      yield* rpc_shutdown_client(clnt);
      return ERR_PTR(err);
    }
  }

  clnt.cl_softrtry = 1;
  if (args.flags & RPC_CLNT_CREATE_HARDRTRY) clnt.cl_softrtry = 0;
  if (args.flags & RPC_CLNT_CREATE_INTR) clnt.cl_intr = 1;
  if (args.flags & RPC_CLNT_CREATE_AUTOBIND) clnt.cl_autobind = 1;
  if (args.flags & RPC_CLNT_CREATE_DISCRTRY) clnt.cl_discrtry = 1;
  return clnt;
}

/** rpc_free_client(), v2.6.24:net/sunrpc/clnt.c: the last reference is gone (via rpc_free_auth; no auth modelled). */
function* rpc_free_client(clnt: rpc_clnt): Kfn {
  yield* xprt_put(clnt.cl_xprt);
  rpciod_down();
  kfree(clnt);
}

/** rpc_release_client(), v2.6.24:net/sunrpc/clnt.c: drop a reference; wake rpc_shutdown_client when idle. */
export function* rpc_release_client(clnt: rpc_clnt): Kfn {
  if (list_empty(clnt.cl_tasks)) wake_up(clnt_c().destroy_wait);
  yield* kref_put(clnt.cl_kref, (k) =>
    rpc_free_client(container_of<rpc_clnt>(k, 'rpc_clnt', 'cl_kref')),
  );
}

/**
 * rpc_shutdown_client(), v2.6.24:net/sunrpc/clnt.c: kill every task of the client, wait (a second at a time)
 * until they are all gone, then drop the creator's reference.
 */
export function* rpc_shutdown_client(clnt: rpc_clnt): Kfn {
  const destroy_wait = clnt_c().destroy_wait;
  while (!list_empty(clnt.cl_tasks)) {
    rpc_killall_tasks(clnt);
    yield* wait_event_timeout(destroy_wait, () => list_empty(clnt.cl_tasks), 1 * HZ);
  }
  yield* rpc_release_client(clnt);
}

/** rpc_killall_tasks(), v2.6.24:net/sunrpc/clnt.c: end every active task of the client with -EIO. */
export function rpc_killall_tasks(clnt: rpc_clnt): void {
  if (list_empty(clnt.cl_tasks)) return;
  for (const rovr of list_for_each_entry<rpc_task>(clnt.cl_tasks, 'tk_task')) {
    if (!RPC_IS_ACTIVATED(rovr)) continue;
    if (!(rovr.tk_flags & RPC_TASK_KILLED)) {
      rovr.tk_flags |= RPC_TASK_KILLED;
      rpc_exit(rovr, -EIO);
      rpc_wake_up_task(rovr);
    }
  }
}

/** rpc_force_rebind(), v2.6.24:net/sunrpc/clnt.c: ask the portmapper again before the next call. */
export function rpc_force_rebind(clnt: rpc_clnt): void {
  if (clnt.cl_autobind) xprt_clear_bound(clnt.cl_xprt);
}

function sigmask(sig: number): number {
  return 1 << (sig - 1);
}
/** RPC_INTR_SIGNALS: SIGHUP, SIGINT, SIGQUIT, SIGTERM. */
const RPC_INTR_SIGNALS = sigmask(1) | sigmask(2) | sigmask(3) | sigmask(15);

/**
 * rpc_save_sigmask(), v2.6.24:net/sunrpc/clnt.c: block every signal but SIGKILL (and the intr
 * ones) with sigprocmask(SIG_BLOCK), which recalculates TIF_SIGPENDING.
 */
function rpc_save_sigmask(oldset: sigset_t, intr: boolean): void {
  let sigallow = sigmask(SIGKILL);
  if (intr) sigallow |= RPC_INTR_SIGNALS;
  sigprocmask(SIG_BLOCK, { sig: ~sigallow }, oldset);
}

/** rpc_restore_sigmask(), v2.6.24:net/sunrpc/clnt.c: sigprocmask(SIG_SETMASK, oldset). */
function rpc_restore_sigmask(oldset: sigset_t): void {
  sigprocmask(SIG_SETMASK, oldset, null);
}

/** rpc_call_setup(), v2.6.24:net/sunrpc/clnt.c: attach the message; start at call_start. Leaves out credentials. */
export function rpc_call_setup(task: rpc_task, msg: rpc_message, flags: number): void {
  task.tk_msg = { ...msg };
  task.tk_flags |= flags;
  task.tk_action = task.tk_status === 0 ? call_start : rpc_exit_task;
}

/**
 * rpc_do_run_task(), v2.6.24:net/sunrpc/clnt.c: a new task for `msg` (rpc_new_task's mempool
 * never fails in the model), run with signals masked (rpc_task_sigmask) from the caller; a
 * sync task returns when it is done, an async one when it first sleeps. The task, with an
 * extra reference for the caller, or ERR_PTR of the setup status.
 */
function* rpc_do_run_task(
  clnt: rpc_clnt,
  msg: rpc_message | null,
  flags: number,
  ops: rpc_call_ops,
  data: unknown,
): Kfn<rpc_task | ErrPtr> {
  let ret: rpc_task | ErrPtr;
  const task = yield* rpc_new_task(clnt, flags, ops, data);
  // Mask signals on synchronous RPC calls and RPCSEC_GSS upcalls.
  const oldset: sigset_t = { sig: 0 };
  rpc_save_sigmask(oldset, !RPC_TASK_UNINTERRUPTIBLE(task));
  // biome-ignore lint/suspicious/noConfusingLabels: the kernel's "goto out"
  out: {
    if (msg !== null) {
      rpc_call_setup(task, msg, 0);
      if (task.tk_status !== 0) {
        ret = ERR_PTR(task.tk_status);
        yield* rpc_put_task(task);
        break out;
      }
    }
    task.tk_count++;
    yield* rpc_execute(task);
    ret = task;
  }
  rpc_restore_sigmask(oldset);
  return ret;
}

/** rpc_call_sync(), v2.6.24:net/sunrpc/clnt.c: run a call in the caller's context; its status. */
export function* rpc_call_sync(clnt: rpc_clnt, msg: rpc_message, flags: number): Kfn<number> {
  BUG_ON((flags & RPC_TASK_ASYNC) !== 0);
  const task = yield* rpc_do_run_task(clnt, msg, flags, rpc_default_ops, null);
  if (IS_ERR(task)) return PTR_ERR(task);
  const status = task.tk_status;
  yield* rpc_put_task(task);
  return status;
}

/**
 * rpc_call_async(), v2.6.24:net/sunrpc/clnt.c: start an asynchronous call; it runs in the
 * caller until it first sleeps (waiting for the reply), then in rpciod, which calls
 * tk_ops->rpc_call_done and ->rpc_release. 0, or the setup error.
 */
export function* rpc_call_async(
  clnt: rpc_clnt,
  msg: rpc_message,
  flags: number,
  tk_ops: rpc_call_ops,
  data: unknown,
): Kfn<number> {
  const task = yield* rpc_do_run_task(clnt, msg, flags | RPC_TASK_ASYNC, tk_ops, data);
  if (IS_ERR(task)) return PTR_ERR(task);
  yield* rpc_put_task(task);
  return 0;
}

/** rpc_ping(), v2.6.24:net/sunrpc/clnt.c: a synchronous soft NULL call. */
function* rpc_ping(clnt: rpc_clnt, flags: number): Kfn<number> {
  const msg: rpc_message = { rpc_proc: rpcproc_null, rpc_argp: null, rpc_resp: null };
  return yield* rpc_call_sync(clnt, msg, flags | RPC_TASK_SOFT);
}

/** call_start(), v2.6.24:net/sunrpc/clnt.c: first step. */
function call_start(task: rpc_task): void {
  task.tk_client!.cl_stats.rpccnt++;
  task.tk_action = call_reserve;
}

/** call_reserve(), v2.6.24:net/sunrpc/clnt.c: a request slot (credentials are not modelled). */
function call_reserve(task: rpc_task): void {
  task.tk_status = 0;
  task.tk_action = call_reserveresult;
  xprt_reserve(task);
}

/** call_reserveresult(), v2.6.24:net/sunrpc/clnt.c: the model's slot table never runs out, so a slot is there. */
function call_reserveresult(task: rpc_task): void {
  const status = task.tk_status;
  task.tk_status = 0;
  if (status >= 0 && task.tk_rqstp) {
    task.tk_action = call_allocate;
    return;
  }
  rpc_exit(task, status < 0 ? status : -EIO);
}

/** call_allocate(), v2.6.24:net/sunrpc/clnt.c: the buffer (rpc_malloc from a mempool; never fails in the model). */
function call_allocate(task: rpc_task): void {
  task.tk_status = 0;
  task.tk_action = call_bind;
}

/**
 * rpcb_getport_async(), v2.6.24:net/sunrpc/rpcb_clnt.c: find the server's port. The model
 * reads the remote portmapper at once instead of making an async GETPORT call to it (which
 * 2.6.24 runs on rpciod while the task sleeps on xprt->binding): -EACCES when the program is
 * not registered.
 */
function rpcb_getport_async(task: rpc_task): void {
  const clnt = task.tk_client!;
  const xprt = clnt.cl_xprt;
  const port = pmap_getport(xprt.addr.host, clnt.cl_prog, clnt.cl_vers, xprt.prot);
  if (port === 0) {
    task.tk_status = -EACCES;
    return;
  }
  xprt.addr = { host: xprt.addr.host, port };
  xprt_set_bound(xprt);
  task.tk_status = 0;
}

/** call_bind(), v2.6.24:net/sunrpc/clnt.c: ask the portmapper for the port unless the transport is bound. */
function call_bind(task: rpc_task): void {
  const xprt = task.tk_client!.cl_xprt;
  task.tk_action = call_connect;
  if (!xprt_bound(xprt)) {
    task.tk_action = call_bind_status;
    task.tk_timeout = xprt.bind_timeout;
    rpcb_getport_async(task);
  }
}

/**
 * call_bind_status(), v2.6.24:net/sunrpc/clnt.c: a ping (NULL) of an unregistered program fails
 * at once with -EOPNOTSUPP; other calls retry after 3 s through call_timeout.
 */
function call_bind_status(task: rpc_task): void {
  let status = -EIO;
  if (task.tk_status >= 0) {
    task.tk_status = 0;
    task.tk_action = call_connect;
    return;
  }
  // biome-ignore lint/suspicious/noConfusingLabels: the kernel's "goto retry_timeout"
  retry_timeout: {
    switch (task.tk_status) {
      case -EAGAIN:
        // Avoid busy-waiting here -- could be a network outage.
        rpc_delay(task, 5 * HZ);
        break retry_timeout;
      case -EACCES:
        // Remote rpcbind: RPC program/version unavailable; fail at once if this is a ping.
        if (task.tk_msg.rpc_proc!.p_proc === 0) {
          status = -EOPNOTSUPP;
          break;
        }
        rpc_delay(task, 3 * HZ);
        break retry_timeout;
      case -ETIMEDOUT:
        break retry_timeout;
      case -EPROTONOSUPPORT:
        task.tk_status = 0;
        task.tk_action = call_bind;
        return;
    }
    rpc_exit(task, status);
    return;
  }
  task.tk_action = call_timeout;
}

/**
 * call_connect(), v2.6.24:net/sunrpc/clnt.c. Simplification: the model's UDP transport is
 * connected from its creation. In 2.6.24 xs_connect() makes the socket in rpciod
 * (xs_udp_connect_worker4) on a transport's first call while the task sleeps on xprt->pending.
 */
function call_connect(task: rpc_task): void {
  task.tk_action = call_transmit;
}

/** call_encode(), v2.6.24:net/sunrpc/clnt.c: marshal the arguments into the send buffer. */
function call_encode(task: rpc_task): void {
  const req = task.tk_rqstp!;
  const proc = task.tk_msg.rpc_proc!;
  req.rq_snd_buf = proc.p_encode ? proc.p_encode(task.tk_msg.rpc_argp) : task.tk_msg.rpc_argp;
}

/**
 * call_transmit() with call_transmit_status(), v2.6.24:net/sunrpc/clnt.c: encode (again for each
 * retransmission, rpc_task_force_reencode) and send, then sleep for the reply. The UDP
 * transport lock and congestion window (xprt_prepare_transmit's reserve_xprt) are left out.
 * Every procedure waits for its reply: 2.6.24's NULL, NLM and rpcbind procedures all have a
 * p_decode (the model's null p_decode only means a void result).
 */
function call_transmit(task: rpc_task): void {
  task.tk_action = call_status;
  if (task.tk_status < 0) return;
  task.tk_status = xprt_prepare_transmit(task);
  if (task.tk_status !== 0) return;
  call_encode(task);
  xprt_transmit(task);
  if (task.tk_status < 0) return;
  // call_transmit_status(): xprt_end_transmit and force a re-encode next time.
  task.tk_rqstp!.rq_snd_buf = null;
}

/** call_status(), v2.6.24:net/sunrpc/clnt.c: the reply is in, or the retransmit timer fired. */
function call_status(task: rpc_task): void {
  const clnt = task.tk_client!;
  const req = task.tk_rqstp!;
  if (req.rq_received > 0) task.tk_status = req.rq_received;
  const status = task.tk_status;
  if (status >= 0) {
    task.tk_action = call_decode;
    return;
  }
  task.tk_status = 0;
  switch (status) {
    case -ETIMEDOUT:
      task.tk_action = call_timeout;
      break;
    case -EAGAIN:
      task.tk_action = call_transmit;
      break;
    case -EIO:
      // Shutdown or soft timeout.
      rpc_exit(task, status);
      break;
    default:
      printk(`${clnt.cl_protname}: RPC call returned error ${-status}\n`);
      rpc_exit(task, status);
  }
}

/**
 * call_timeout(), v2.6.24:net/sunrpc/clnt.c: a minor timeout retransmits; at a major timeout a soft task fails
 * with -EIO ("not responding, timed out") and a hard one says "still trying" and goes on.
 */
function call_timeout(task: rpc_task): void {
  const clnt = task.tk_client!;
  // biome-ignore lint/suspicious/noConfusingLabels: the kernel's "goto retry"
  retry: {
    if (xprt_adjust_timeout(task.tk_rqstp!) === 0) break retry;
    task.tk_timeouts++;
    if (RPC_IS_SOFT(task)) {
      printk(
        `${KERN_NOTICE}${clnt.cl_protname}: server ${clnt.cl_server} not responding, timed out\n`,
      );
      rpc_exit(task, -EIO);
      return;
    }
    if (!(task.tk_flags & RPC_CALL_MAJORSEEN)) {
      task.tk_flags |= RPC_CALL_MAJORSEEN;
      printk(
        `${KERN_NOTICE}${clnt.cl_protname}: server ${clnt.cl_server} not responding, still trying\n`,
      );
    }
    rpc_force_rebind(clnt);
  }
  clnt.cl_stats.rpcretrans++;
  task.tk_action = call_bind;
  task.tk_status = 0;
}

/**
 * call_decode() with call_verify(), v2.6.24:net/sunrpc/clnt.c: check the reply header and decode
 * the result into rpc_resp. An accept_stat other than SUCCESS maps as call_verify maps it:
 * PROG_UNAVAIL -EPFNOSUPPORT, PROG_MISMATCH -EPROTONOSUPPORT, PROC_UNAVAIL -EOPNOTSUPP; garbage
 * is retransmitted while tk_garb_retry lasts (2), then -EIO.
 */
function call_decode(task: rpc_task): void {
  const clnt = task.tk_client!;
  const req = task.tk_rqstp!;
  if (task.tk_flags & RPC_CALL_MAJORSEEN) {
    printk(`${KERN_NOTICE}${clnt.cl_protname}: server ${clnt.cl_server} OK\n`);
    task.tk_flags &= ~RPC_CALL_MAJORSEEN;
  }
  // biome-ignore lint/suspicious/noConfusingLabels: the kernel's "goto out_retry"
  out_retry: {
    if (task.tk_status < 12 || req.rq_reply === null) {
      if (!RPC_IS_SOFT(task)) {
        task.tk_action = call_bind;
        clnt.cl_stats.rpcretrans++;
      } else task.tk_action = call_timeout;
      break out_retry;
    }
    const reply = req.rq_reply;
    let error = -EIO;
    switch (reply.accept_stat) {
      case RPC_SUCCESS:
        task.tk_action = rpc_exit_task;
        task.tk_msg.rpc_proc?.p_decode?.(task.tk_msg.rpc_resp, reply.res);
        task.tk_status = 0;
        return;
      case RPC_PROG_UNAVAIL:
        error = -EPFNOSUPPORT;
        break;
      case RPC_PROG_MISMATCH:
        error = -EPROTONOSUPPORT;
        break;
      case RPC_PROC_UNAVAIL:
        error = -EOPNOTSUPP;
        break;
      default:
        // Garbage args or an unknown status: retry a couple of times.
        if (task.tk_garb_retry) {
          task.tk_garb_retry--;
          task.tk_action = call_bind;
          break out_retry;
        }
    }
    rpc_exit(task, error);
    return;
  }
  req.rq_received = 0;
  req.rq_reply = null;
  task.tk_status = 0;
}
