/**
 * The RPC client transport, net/sunrpc/xprt.c and the UDP part of xprtsock.c as of Linux
 * 2.6.24: request slots with transaction ids, transmission, the retransmit timer with its
 * minor/major timeouts, and matching replies to requests. Left out: the slot table limit
 * (16 slots) and backlog, the transport write lock and congestion window (UDP starts with
 * one request in flight), TCP, the connect worker (see call_connect) and the RTT estimator's
 * learning: with p_timer 0, as every NLM, rpcbind and NULL procedure of 2.6.24 has, the
 * estimator only ever gives to_initval, which the model uses directly. Transaction ids come
 * from one counter per machine, not a random start per transport (xprt_init_xid).
 */
import {
  container_of,
  ENOMEM,
  ERR_PTR,
  type ErrPtr,
  ETIMEDOUT,
  HZ,
  jiffies,
  KERN_WARNING,
  type Kfn,
  kfree,
  kref,
  kref_init,
  kref_put,
  kzalloc,
  printk,
  time_after,
} from '@lockstep/kernel';
import {
  net_bind,
  net_next_xid,
  net_sendto,
  net_unbind,
  type rpc_datagram,
  type rpc_reply_msg,
  type sockaddr_in,
  utsname_nodename,
} from './net.js';
import { rpc_sleep_on, type rpc_task, rpc_wait_queue, rpc_wake_up_task } from './sched.js';

/** struct rpc_timeout. */
export interface rpc_timeout {
  to_initval: number;
  to_maxval: number;
  to_increment: number;
  to_retries: number;
  to_exponential: boolean;
}

/** struct rpc_rqst: one request slot. */
export interface rpc_rqst {
  rq_xprt: rpc_xprt;
  rq_task: rpc_task;
  rq_xid: number;
  rq_timeout: number;
  rq_retries: number;
  rq_majortimeo: number;
  /** Bytes of reply received (> 0 once the reply is in). */
  rq_received: number;
  rq_reply: rpc_reply_msg | null;
  /** The encoded arguments (rq_snd_buf). */
  rq_snd_buf: unknown;
  rq_xtime: number;
  /** On xprt->recv, waiting for its reply (rq_list). */
  rq_queued: boolean;
}

/** struct rpc_xprt, UDP flavour. */
export interface rpc_xprt {
  kref: kref;
  /** The server's address; port 0 until rpcbind told it (xprt_bound). */
  addr: sockaddr_in;
  prot: number;
  timeout: rpc_timeout;
  bound: boolean;
  bind_timeout: number;
  resvport: number;
  /** Our own (ephemeral) port on the local host. */
  local_port: number;
  recv: rpc_rqst[];
  pending: rpc_wait_queue;
  binding: rpc_wait_queue;
}

/** xprt_set_timeout(), v2.6.24:net/sunrpc/xprt.c: a linear backoff of `incr` per retry, `retr` retries. */
export function xprt_set_timeout(to: rpc_timeout, retr: number, incr: number): void {
  to.to_initval = to.to_increment = incr;
  to.to_maxval = to.to_initval + incr * retr;
  to.to_retries = retr;
  to.to_exponential = false;
}

/** xprt_bound(), v2.6.24:include/linux/sunrpc/xprt.h (a bit of xprt->state in the kernel). */
export function xprt_bound(xprt: rpc_xprt): boolean {
  return xprt.bound;
}
/** xprt_set_bound(), v2.6.24:include/linux/sunrpc/xprt.h (a bit of xprt->state in the kernel). */
export function xprt_set_bound(xprt: rpc_xprt): void {
  xprt.bound = true;
}
/** xprt_clear_bound(), v2.6.24:include/linux/sunrpc/xprt.h (a bit of xprt->state in the kernel). */
export function xprt_clear_bound(xprt: rpc_xprt): void {
  xprt.bound = false;
}

/**
 * xprt_create_transport() with xs_setup_udp(), v2.6.24:net/sunrpc/xprt.c: a UDP transport to `addr` with the
 * caller's timeouts (default: 5 retries, 5 s apart), bound to an ephemeral local port.
 */
export function* xprt_create_transport(
  proto: number,
  addr: sockaddr_in,
  to: rpc_timeout | null,
): Kfn<rpc_xprt | ErrPtr> {
  const xprt = yield* kzalloc(
    'rpc_xprt',
    (): rpc_xprt => ({
      kref: new kref(),
      addr: { host: '', port: 0 },
      prot: proto,
      timeout: {
        to_initval: 0,
        to_maxval: 0,
        to_increment: 0,
        to_retries: 0,
        to_exponential: false,
      },
      bound: false,
      bind_timeout: 0,
      resvport: 0,
      local_port: 0,
      recv: [],
      pending: new rpc_wait_queue('xprt_pending'),
      binding: new rpc_wait_queue('xprt_binding'),
    }),
  );
  if (!xprt) return ERR_PTR(-ENOMEM);
  kref_init(xprt.kref);
  xprt.addr = { host: addr.host, port: addr.port };
  if (to) Object.assign(xprt.timeout, to);
  else xprt_set_timeout(xprt.timeout, 5, 5 * HZ);
  xprt.bind_timeout = 60 * HZ;
  if (addr.port !== 0) xprt_set_bound(xprt);
  xprt.local_port = net_bind(utsname_nodename(), 0, (msg) => xs_udp_data_ready(xprt, msg));
  return xprt;
}

/** xprt_destroy(), v2.6.24:net/sunrpc/xprt.c: stop listening and free. */
function xprt_destroy(k: kref): void {
  const xprt = container_of<rpc_xprt>(k, 'rpc_xprt', 'kref');
  net_unbind(utsname_nodename(), xprt.local_port);
  kfree(xprt);
}

/** xprt_put(), v2.6.24:net/sunrpc/xprt.c: drop a reference; the last destroys the transport. */
export function* xprt_put(xprt: rpc_xprt): Kfn {
  yield* kref_put(xprt.kref, xprt_destroy);
}

/** xprt_reset_majortimeo(), v2.6.24:net/sunrpc/xprt.c: when the current series of retransmits gives up. */
function xprt_reset_majortimeo(req: rpc_rqst): void {
  const to = req.rq_xprt.timeout;
  req.rq_majortimeo = req.rq_timeout;
  if (to.to_exponential) req.rq_majortimeo <<= to.to_retries;
  else req.rq_majortimeo += to.to_increment * to.to_retries;
  if (req.rq_majortimeo > to.to_maxval || req.rq_majortimeo === 0) req.rq_majortimeo = to.to_maxval;
  req.rq_majortimeo += jiffies;
}

/**
 * xprt_adjust_timeout(), v2.6.24:net/sunrpc/xprt.c: back off for the next retransmit; at a major timeout reset
 * the series and return -ETIMEDOUT.
 */
export function xprt_adjust_timeout(req: rpc_rqst): number {
  const to = req.rq_xprt.timeout;
  let status = 0;
  if (time_after(req.rq_majortimeo, jiffies)) {
    if (to.to_exponential) req.rq_timeout <<= 1;
    else req.rq_timeout += to.to_increment;
    if (to.to_maxval && req.rq_timeout >= to.to_maxval) req.rq_timeout = to.to_maxval;
    req.rq_retries++;
  } else {
    req.rq_timeout = to.to_initval;
    req.rq_retries = 0;
    xprt_reset_majortimeo(req);
    // Reset the RTT counters ("slow start"): rpc_init_rtt, nothing to reset in the model.
    status = -ETIMEDOUT;
  }
  if (req.rq_timeout === 0) {
    printk(`${KERN_WARNING}xprt_adjust_timeout: rq_timeout = 0!\n`);
    req.rq_timeout = 5 * HZ;
  }
  return status;
}

/** xprt_reserve() with xprt_request_init(), v2.6.24:net/sunrpc/xprt.c: a request slot and a fresh xid. */
export function xprt_reserve(task: rpc_task): void {
  const xprt = task.tk_client!.cl_xprt;
  task.tk_status = 0;
  if (task.tk_rqstp) return;
  const req: rpc_rqst = {
    rq_xprt: xprt,
    rq_task: task,
    rq_xid: net_next_xid(),
    rq_timeout: xprt.timeout.to_initval,
    rq_retries: 0,
    rq_majortimeo: 0,
    rq_received: 0,
    rq_reply: null,
    rq_snd_buf: null,
    rq_xtime: 0,
    rq_queued: false,
  };
  xprt_reset_majortimeo(req);
  task.tk_rqstp = req;
  task.tk_status = 0;
}

/** xprt_release(), v2.6.24:net/sunrpc/xprt.c: give the slot back; a late reply finds nothing. */
export function xprt_release(task: rpc_task): void {
  const req = task.tk_rqstp;
  if (req === null) return;
  if (req.rq_queued) {
    const i = req.rq_xprt.recv.indexOf(req);
    if (i >= 0) req.rq_xprt.recv.splice(i, 1);
    req.rq_queued = false;
  }
  task.tk_rqstp = null;
}

/**
 * xprt_prepare_transmit(), v2.6.24:net/sunrpc/xprt.c: a reply that came in already is the
 * result (its length); otherwise 0. reserve_xprt (the write lock and congestion window) and
 * the connected check are left out.
 */
export function xprt_prepare_transmit(task: rpc_task): number {
  const req = task.tk_rqstp!;
  if (req.rq_received) return req.rq_received;
  return 0;
}

/**
 * xprt_set_retrans_timeout_rtt(), v2.6.24:net/sunrpc/xprt.c, UDP's set_retrans_timeout: with
 * p_timer 0 rpc_calc_rto() is cl_rtt->timeo (to_initval) and rpc_ntimeo() 0, so the wait doubles
 * with each retry of the series (rq_retries), capped at to_maxval.
 */
function xprt_set_retrans_timeout_rtt(task: rpc_task): void {
  const req = task.tk_rqstp!;
  const max_timeout = req.rq_xprt.timeout.to_maxval;
  task.tk_timeout = req.rq_xprt.timeout.to_initval * 2 ** req.rq_retries;
  if (task.tk_timeout > max_timeout || task.tk_timeout === 0) task.tk_timeout = max_timeout;
}

/**
 * xprt_transmit(), v2.6.24:net/sunrpc/xprt.c, with xs_udp_send_request(): send the call and sleep on
 * xprt->pending until the reply or the retransmit timer. The major timeout counts from the
 * first transmission. A datagram to a host nobody answers on is lost, as UDP loses it.
 */
export function xprt_transmit(task: rpc_task): void {
  const req = task.tk_rqstp!;
  const xprt = req.rq_xprt;
  const clnt = task.tk_client!;
  const proc = task.tk_msg.rpc_proc!;

  if (!req.rq_received) {
    if (!req.rq_queued) {
      xprt.recv.push(req);
      req.rq_queued = true;
      xprt_reset_majortimeo(req);
    }
  } else return; // UDP never leaves part of a request unsent (rq_bytes_sent is 0).
  req.rq_xtime = jiffies;
  net_sendto(xprt.addr, {
    dir: 'call',
    xid: req.rq_xid,
    prog: clnt.cl_prog,
    vers: clnt.cl_vers,
    proc: proc.p_proc,
    prot: xprt.prot,
    args: req.rq_snd_buf,
    src: { host: utsname_nodename(), port: xprt.local_port },
  });
  // xs_udp_send_request() returned 0 (sent).
  xprt_set_retrans_timeout_rtt(task);
  if (!req.rq_received) rpc_sleep_on(xprt.pending, task, null, xprt_timer);
}

/**
 * xprt_timer(), v2.6.24:net/sunrpc/xprt.c: the retransmit timer fired with no reply in. Leaves out
 * xs_udp_timer's congestion window halving.
 */
function xprt_timer(task: rpc_task): void {
  const req = task.tk_rqstp!;
  if (!req.rq_received) task.tk_status = -ETIMEDOUT;
  task.tk_timeout = 0;
  rpc_wake_up_task(task);
}

/** xprt_lookup_rqst(): the request waiting for this xid. */
function xprt_lookup_rqst(xprt: rpc_xprt, xid: number): rpc_rqst | null {
  for (const req of xprt.recv) if (req.rq_xid === xid) return req;
  return null;
}

/**
 * The length xs_udp_data_ready copies for a reply: the XDR is left out, so a nominal accepted
 * reply header (xid, REPLY, MSG_ACCEPTED, AUTH_NULL verifier, accept_stat: 24 bytes) and one
 * word of result. call_decode only needs it to be at least 12.
 */
const RPC_MODEL_REPLY_LEN = 28;

/** xprt_complete_rqst(), v2.6.24:net/sunrpc/xprt.c: the reply is in; wake the task. */
function xprt_complete_rqst(task: rpc_task, reply: rpc_reply_msg, copied: number): void {
  const req = task.tk_rqstp!;
  xprt_release_rqst_list(req);
  req.rq_reply = reply;
  req.rq_received = copied;
  rpc_wake_up_task(task);
}

function xprt_release_rqst_list(req: rpc_rqst): void {
  const i = req.rq_xprt.recv.indexOf(req);
  if (i >= 0) req.rq_xprt.recv.splice(i, 1);
  req.rq_queued = false;
}

/** xs_udp_data_ready(), v2.6.24:net/sunrpc/xprtsock.c: a datagram for the client socket (softirq). */
function xs_udp_data_ready(xprt: rpc_xprt, msg: rpc_datagram): void {
  if (msg.dir !== 'reply') return;
  const rovr = xprt_lookup_rqst(xprt, msg.xid);
  if (rovr === null) return;
  xprt_complete_rqst(rovr.rq_task, msg, RPC_MODEL_REPLY_LEN);
}
