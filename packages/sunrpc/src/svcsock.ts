/**
 * The server's sockets, net/sunrpc/svcsock.c as of Linux 2.6.24: a socket with queued
 * requests is handed to an idle thread of its pool (or queued on the pool until one asks),
 * svc_recv() waits for one, svc_send() replies. Datagrams come from the simulated network
 * (net.ts); TCP sockets are modelled like UDP ones (no connections or record marking).
 *
 * In 2.6.24 svc_wake_up() lives here too (svc_xprt.c from 2.6.25).
 */
import {
  add_wait_queue,
  BUG_ON,
  cond_resched,
  current,
  DECLARE_WAITQUEUE,
  DEFINE_MUTEX,
  EAGAIN,
  EINTR,
  ENOMEM,
  jiffies,
  KERN_ERR,
  type Kfn,
  kfree,
  kzalloc,
  list_add,
  list_add_tail,
  list_del,
  list_del_init,
  list_empty,
  list_entry,
  list_for_each_entry_safe,
  list_head,
  msecs_to_jiffies,
  type mutex,
  mutex_lock,
  mutex_unlock,
  printk,
  remove_wait_queue,
  schedule_timeout,
  schedule_timeout_uninterruptible,
  set_current_state,
  signalled,
  spin_lock_bh,
  spin_unlock_bh,
  TASK_INTERRUPTIBLE,
  try_to_freeze,
  waitqueue_active,
  wake_up,
} from '@lockstep/kernel';
import {
  IPPROTO_UDP,
  net_bind,
  net_sendto,
  net_unbind,
  type rpc_call_msg,
  utsname_nodename,
} from './net.js';
import {
  type cache_req,
  PAGE_SIZE,
  type page,
  type svc_pool,
  svc_register,
  type svc_rqst,
  type svc_serv,
} from './svc.js';

export const ENOTCONN = 107;

/** svc_makesock() flags. */
export const SVC_SOCK_DEFAULTS = 0;
export const SVC_SOCK_ANONYMOUS = 1 << 0;
export const SVC_SOCK_TEMPORARY = 1 << 1;

/** sk_flags bits (include/linux/sunrpc/svcsock.h, 2.6.24). */
export const SK_BUSY = 0;
export const SK_CONN = 1;
export const SK_CLOSE = 2;
export const SK_DATA = 3;
export const SK_TEMP = 4;
export const SK_DEAD = 6;
export const SK_CHNGBUF = 7;
export const SK_DEFERRED = 8;
export const SK_OLD = 9;
export const SK_DETACHED = 10;

/** struct svc_sock. */
export interface svc_sock {
  sk_ready: list_head;
  sk_list: list_head;
  sk_server: svc_serv;
  sk_pool: svc_pool | null;
  sk_prot: number;
  sk_port: number;
  sk_flags: number;
  sk_inuse: number;
  sk_reserved: number;
  sk_lastrecv: number;
  /** The socket's receive queue (sk_receive_queue): datagrams not read yet. */
  sk_queue: rpc_call_msg[];
  sk_mutex: mutex;
}

function test_bit(nr: number, svsk: svc_sock): boolean {
  return (svsk.sk_flags & (1 << nr)) !== 0;
}
function set_bit(nr: number, svsk: svc_sock): void {
  svsk.sk_flags |= 1 << nr;
}
function clear_bit(nr: number, svsk: svc_sock): void {
  svsk.sk_flags &= ~(1 << nr);
}
function test_and_set_bit(nr: number, svsk: svc_sock): boolean {
  const was = test_bit(nr, svsk);
  set_bit(nr, svsk);
  return was;
}
function test_and_clear_bit(nr: number, svsk: svc_sock): boolean {
  const was = test_bit(nr, svsk);
  clear_bit(nr, svsk);
  return was;
}

/** svc_thread_enqueue(): put an idle thread on the pool's list. */
function svc_thread_enqueue(pool: svc_pool, rqstp: svc_rqst): void {
  list_add(rqstp.rq_list, pool.sp_threads);
}

/** svc_thread_dequeue(). */
function svc_thread_dequeue(_pool: svc_pool, rqstp: svc_rqst): void {
  list_del(rqstp.rq_list);
}

/**
 * svc_sock_enqueue(), v2.6.24:net/sunrpc/svcsock.c: hand a socket with work to an idle thread, or queue it on the
 * pool. Runs from softirq (data_ready) as well as from threads; it never sleeps, which in the
 * model stands for holding pool->sp_lock with bottom halves off. Leaves out the write-space
 * check (the model's sockets always have room for the reply).
 */
function svc_sock_enqueue(svsk: svc_sock): void {
  const serv = svsk.sk_server;
  if (!(svsk.sk_flags & ((1 << SK_CONN) | (1 << SK_DATA) | (1 << SK_CLOSE) | (1 << SK_DEFERRED))))
    return;
  if (test_bit(SK_DEAD, svsk)) return;

  const pool = serv.sv_pools![0]!;
  if (!list_empty(pool.sp_threads) && !list_empty(pool.sp_sockets))
    printk(`${KERN_ERR}svc_sock_enqueue: threads and sockets both waiting??\n`);
  // Don't enqueue a socket while it is already enqueued or being read.
  if (test_and_set_bit(SK_BUSY, svsk)) return;
  BUG_ON(svsk.sk_pool !== null);
  svsk.sk_pool = pool;

  if (!list_empty(pool.sp_threads)) {
    const rqstp = list_entry<svc_rqst>(pool.sp_threads.next, 'rq_list');
    svc_thread_dequeue(pool, rqstp);
    if (rqstp.rq_sock) printk(`${KERN_ERR}svc_sock_enqueue: server already has a socket!\n`);
    rqstp.rq_sock = svsk;
    svsk.sk_inuse++;
    rqstp.rq_reserved = serv.sv_max_mesg;
    svsk.sk_reserved += rqstp.rq_reserved;
    wake_up(rqstp.rq_wait);
  } else {
    list_add_tail(svsk.sk_ready, pool.sp_sockets);
  }
}

/** svc_sock_dequeue(): the first socket queued on the pool, or NULL. */
function svc_sock_dequeue(pool: svc_pool): svc_sock | null {
  if (list_empty(pool.sp_sockets)) return null;
  const svsk = list_entry<svc_sock>(pool.sp_sockets.next, 'sk_ready');
  list_del_init(svsk.sk_ready);
  return svsk;
}

/** svc_sock_received(): done reading; requeue the socket if more is pending. */
function svc_sock_received(svsk: svc_sock): void {
  svsk.sk_pool = null;
  clear_bit(SK_BUSY, svsk);
  svc_sock_enqueue(svsk);
}

/**
 * svc_udp_data_ready(), v2.6.24:net/sunrpc/svcsock.c: a datagram arrived (softirq); it is already
 * on the socket's receive queue. Nothing happens until the socket's sk_user_data is set
 * (svc_setup_socket, after the registration).
 */
function svc_udp_data_ready(svsk: svc_sock | null): void {
  if (svsk) {
    set_bit(SK_DATA, svsk);
    svc_sock_enqueue(svsk);
  }
}

/**
 * svc_udp_recvfrom(), v2.6.24:net/sunrpc/svcsock.c: read one datagram into rqstp. After a read
 * SK_DATA stays set ("there may be more data"), so the socket is queued again and the next
 * svc_recv finds it and, with the queue empty, returns -EAGAIN. Leaves out deferred requests,
 * checksums, control messages and skb handling.
 */
function* svc_udp_recvfrom(rqstp: svc_rqst): Kfn<number> {
  const svsk = rqstp.rq_sock!;
  // The thread count changed (svc_sock_update_bufs): the kernel resizes the buffers here.
  test_and_clear_bit(SK_CHNGBUF, svsk);
  if (test_bit(SK_CLOSE, svsk)) {
    yield* svc_delete_socket(svsk);
    return 0;
  }
  clear_bit(SK_DATA, svsk);
  const msg = svsk.sk_queue.shift();
  if (msg === undefined) {
    svc_sock_received(svsk);
    return -EAGAIN;
  }
  set_bit(SK_DATA, svsk); // there may be more data...
  // Maybe more packets - kick another thread ASAP.
  svc_sock_received(svsk);
  rqstp.rq_arg = msg;
  rqstp.rq_addr = msg.src;
  rqstp.rq_prot = svsk.sk_prot;
  return 1;
}

/** svc_udp_sendto(), v2.6.24:net/sunrpc/svcsock.c: send rq_res to the caller. */
function svc_udp_sendto(rqstp: svc_rqst): number {
  const svsk = rqstp.rq_sock!;
  const res = rqstp.rq_res!;
  net_sendto(rqstp.rq_addr!, {
    dir: 'reply',
    xid: rqstp.rq_xid,
    accept_stat: res.accept_stat,
    res: res.res,
    src: { host: utsname_nodename(), port: svsk.sk_port },
  });
  return 1;
}

/** svc_sock_put(), v2.6.24:net/sunrpc/svcsock.c: the last reference of a dead socket frees it. */
function svc_sock_put(svsk: svc_sock): void {
  if (--svsk.sk_inuse === 0) {
    BUG_ON(!test_bit(SK_DEAD, svsk));
    kfree(svsk);
  }
}

/**
 * svc_reserve(), v2.6.24:net/sunrpc/svcsock.c: shrink the reply space the request holds on its
 * socket to `space` (the reply head is empty here) and requeue the socket, which may now fit.
 */
function svc_reserve(rqstp: svc_rqst, space: number): void {
  if (space < rqstp.rq_reserved) {
    const svsk = rqstp.rq_sock!;
    svsk.sk_reserved -= rqstp.rq_reserved - space;
    rqstp.rq_reserved = space;
    svc_sock_enqueue(svsk);
  }
}

/** svc_sock_release(), v2.6.24:net/sunrpc/svcsock.c: done with the request; drop the thread's socket reference. */
function svc_sock_release(rqstp: svc_rqst): void {
  const svsk = rqstp.rq_sock!;
  rqstp.rq_res = null;
  svc_reserve(rqstp, 0);
  rqstp.rq_sock = null;
  svc_sock_put(svsk);
}

/** svc_defer(): request deferral is not modelled; a request is never deferred (NULL). */
function svc_defer(_req: cache_req): null {
  return null;
}

/**
 * svc_recv(), v2.6.24:net/sunrpc/svcsock.c: wait up to `timeout` for a socket with data and read one request.
 * -EINTR on a signal, -EAGAIN on timeout or when there was nothing to read. Freezes in
 * try_to_freeze() before and after the wait. Leaves out the xdr_buf setup.
 */
export function* svc_recv(rqstp: svc_rqst, timeout: number): Kfn<number> {
  let svsk: svc_sock | null = null;
  const serv = rqstp.rq_server!;
  const pool = rqstp.rq_pool!;
  const wait = DECLARE_WAITQUEUE(current);

  if (rqstp.rq_sock) printk(`${KERN_ERR}svc_recv: service ${serv.sv_name}, socket not NULL!\n`);
  if (waitqueue_active(rqstp.rq_wait))
    printk(`${KERN_ERR}svc_recv: service ${serv.sv_name}, wait queue active!\n`);

  // Now allocate needed pages. If we get a failure, sleep briefly.
  const pages = Math.floor((serv.sv_max_mesg + PAGE_SIZE) / PAGE_SIZE);
  for (let i = 0; i < pages; i++)
    while (rqstp.rq_pages[i] == null) {
      const p: page | null = yield* kzalloc('page', (): page => ({}));
      if (!p) yield* schedule_timeout_uninterruptible(msecs_to_jiffies(500));
      rqstp.rq_pages[i] = p;
    }
  rqstp.rq_pages[pages] = null;

  yield* try_to_freeze();
  yield* cond_resched();
  if (signalled()) return -EINTR;

  yield* spin_lock_bh(pool.sp_lock);
  if ((svsk = svc_sock_dequeue(pool)) !== null) {
    rqstp.rq_sock = svsk;
    svsk.sk_inuse++;
    rqstp.rq_reserved = serv.sv_max_mesg;
    svsk.sk_reserved += rqstp.rq_reserved;
  } else {
    // No data pending. Go to sleep.
    svc_thread_enqueue(pool, rqstp);

    // We have to be able to interrupt this wait to bring down the daemons ...
    set_current_state(TASK_INTERRUPTIBLE);
    add_wait_queue(rqstp.rq_wait, wait);
    yield* spin_unlock_bh(pool.sp_lock);

    current.wchan = 'svc_recv';
    yield* schedule_timeout(timeout);

    yield* try_to_freeze();

    yield* spin_lock_bh(pool.sp_lock);
    remove_wait_queue(rqstp.rq_wait, wait);

    if (!(svsk = rqstp.rq_sock)) {
      svc_thread_dequeue(pool, rqstp);
      yield* spin_unlock_bh(pool.sp_lock);
      return signalled() ? -EINTR : -EAGAIN;
    }
  }
  yield* spin_unlock_bh(pool.sp_lock);

  const len = yield* svc_udp_recvfrom(rqstp);

  // No data, incomplete (TCP) read, or accept().
  if (len === 0 || len === -EAGAIN) {
    svc_sock_release(rqstp);
    return -EAGAIN;
  }
  svsk.sk_lastrecv = jiffies;
  clear_bit(SK_OLD, svsk);

  rqstp.rq_chandler.defer = svc_defer;

  if (serv.sv_stats) serv.sv_stats.netcnt++;
  return len;
}

/** svc_drop(), v2.6.24:net/sunrpc/svcsock.c: no reply (and, unlike the model had it, no cond_resched). */
// biome-ignore lint/correctness/useYield: a Kfn for its callers; 2.6.24's svc_drop does not sleep
export function* svc_drop(rqstp: svc_rqst): Kfn {
  svc_sock_release(rqstp);
}

/** svc_send(), v2.6.24:net/sunrpc/svcsock.c: send the reply under the socket's mutex, then release the socket. */
export function* svc_send(rqstp: svc_rqst): Kfn<number> {
  const svsk = rqstp.rq_sock!;
  yield* mutex_lock(svsk.sk_mutex);
  const len = test_bit(SK_DEAD, svsk) ? -ENOTCONN : svc_udp_sendto(rqstp);
  yield* mutex_unlock(svsk.sk_mutex);
  svc_sock_release(rqstp);
  if (len === -ENOTCONN || len === -EAGAIN) return 0;
  return len;
}

/**
 * svc_sock_update_bufs(), v2.6.24:net/sunrpc/svcsock.c: the number of threads changed, so mark every socket to
 * resize its buffers. Internal to sunrpc in 2.6.24 (not exported).
 */
export function* svc_sock_update_bufs(serv: svc_serv): Kfn {
  yield* spin_lock_bh(serv.sv_lock);
  for (const svsk of list_for_each_entry_safe<svc_sock>(serv.sv_permsocks, 'sk_list'))
    set_bit(SK_CHNGBUF, svsk);
  for (const svsk of list_for_each_entry_safe<svc_sock>(serv.sv_tempsocks, 'sk_list'))
    set_bit(SK_CHNGBUF, svsk);
  yield* spin_unlock_bh(serv.sv_lock);
}

/**
 * svc_wake_up(), v2.6.24:net/sunrpc/svcsock.c: wake one idle thread of each pool (lockd uses it to make its only
 * thread look at nlm_blocked). Reads the serv and its pools; the serv must still exist.
 */
export function* svc_wake_up(serv: svc_serv): Kfn {
  for (let i = 0; i < serv.sv_nrpools; i++) {
    const pool = serv.sv_pools![i]!;

    yield* spin_lock_bh(pool.sp_lock);
    if (!list_empty(pool.sp_threads)) {
      const rqstp = list_entry<svc_rqst>(pool.sp_threads.next, 'rq_list');
      wake_up(rqstp.rq_wait);
    }
    yield* spin_unlock_bh(pool.sp_lock);
  }
}

/**
 * svc_setup_socket() with svc_create_socket()'s bind, v2.6.24:net/sunrpc/svcsock.c: bind a
 * socket, register it with rpcbind (unless anonymous; a failure releases the socket and is
 * returned), then hook it up (sk_user_data) busy, with SK_DATA and SK_CHNGBUF set by
 * svc_udp_init, and put it on the serv's permanent list. Datagrams that arrive before the
 * hook-up wait on the socket. Leaves out temporary (accepted) sockets.
 */
function* svc_setup_socket(
  serv: svc_serv,
  prot: number,
  port: number,
  flags: number,
): Kfn<svc_sock | number> {
  const svsk = yield* kzalloc(
    'svc_sock',
    (): svc_sock => ({
      sk_ready: new list_head(),
      sk_list: new list_head(),
      sk_server: null as unknown as svc_serv,
      sk_pool: null,
      sk_prot: prot,
      sk_port: 0,
      sk_flags: 0,
      sk_inuse: 0,
      sk_reserved: 0,
      sk_lastrecv: 0,
      sk_queue: [],
      sk_mutex: DEFINE_MUTEX('&svsk->sk_mutex'),
    }),
  );
  if (!svsk) return -ENOMEM;
  svsk.sk_server = serv;

  // inet->sk_user_data: NULL until the socket is set up.
  let sk_user_data: svc_sock | null = null;
  const bound = net_bind(utsname_nodename(), port, (msg) => {
    if (msg.dir !== 'call') return;
    svsk.sk_queue.push(msg);
    svc_udp_data_ready(sk_user_data);
  });
  if (bound < 0) {
    kfree(svsk);
    return bound;
  }
  svsk.sk_port = bound;
  // Register socket with portmapper.
  if (!(flags & SVC_SOCK_ANONYMOUS)) {
    const err = yield* svc_register(serv, prot, bound);
    if (err < 0) {
      // svc_create_socket's sock_release() at "bummer".
      net_unbind(utsname_nodename(), bound);
      kfree(svsk);
      return err;
    }
  }

  set_bit(SK_BUSY, svsk);
  sk_user_data = svsk;
  svsk.sk_inuse = 1;
  svsk.sk_lastrecv = jiffies;
  // svc_udp_init(): data might have come in before data_ready was set up; size the buffers.
  set_bit(SK_DATA, svsk);
  set_bit(SK_CHNGBUF, svsk);

  yield* spin_lock_bh(serv.sv_lock);
  clear_bit(SK_TEMP, svsk);
  list_add(svsk.sk_list, serv.sv_permsocks);
  yield* spin_unlock_bh(serv.sv_lock);
  return svsk;
}

/**
 * svc_makesock() with svc_create_socket(), v2.6.24:net/sunrpc/svcsock.c: create, bind (port 0:
 * any) and register a socket for the serv, then svc_sock_received() queues it (SK_DATA is set),
 * so the first svc_recv reads it; the port, or a negative errno. Leaves out the address family
 * checks.
 */
export function* svc_makesock(
  serv: svc_serv,
  protocol: number,
  port: number,
  flags: number,
): Kfn<number> {
  const svsk = yield* svc_setup_socket(serv, protocol || IPPROTO_UDP, port, flags);
  if (typeof svsk === 'number') return svsk;
  svc_sock_received(svsk);
  return svsk.sk_port;
}

/** svc_delete_socket(), v2.6.24:net/sunrpc/svcsock.c: detach from the serv and mark dead (drops the socket's own reference). */
function* svc_delete_socket(svsk: svc_sock): Kfn {
  const serv = svsk.sk_server;
  // Restore the socket's callbacks: nothing is delivered to it any more.
  net_unbind(utsname_nodename(), svsk.sk_port);

  yield* spin_lock_bh(serv.sv_lock);
  if (!test_and_set_bit(SK_DETACHED, svsk)) list_del_init(svsk.sk_list);
  if (!test_and_set_bit(SK_DEAD, svsk)) {
    BUG_ON(svsk.sk_inuse < 2);
    svsk.sk_inuse--;
    if (test_bit(SK_TEMP, svsk)) serv.sv_tmpcnt--;
  }
  yield* spin_unlock_bh(serv.sv_lock);
}

/** svc_close_socket(), v2.6.24:net/sunrpc/svcsock.c. */
function* svc_close_socket(svsk: svc_sock): Kfn {
  set_bit(SK_CLOSE, svsk);
  // Someone else will have to effect the close.
  if (test_and_set_bit(SK_BUSY, svsk)) return;
  svsk.sk_inuse++;
  yield* svc_delete_socket(svsk);
  clear_bit(SK_BUSY, svsk);
  svc_sock_put(svsk);
}

/** svc_close_all(), v2.6.24:net/sunrpc/svcsock.c: close every socket of a serv's list (no threads are left). */
export function* svc_close_all(xprt_list: list_head): Kfn {
  for (const svsk of list_for_each_entry_safe<svc_sock>(xprt_list, 'sk_list')) {
    set_bit(SK_CLOSE, svsk);
    if (test_bit(SK_BUSY, svsk)) {
      // Waiting to be processed, but no threads left, so just remove it from the waiting list.
      list_del_init(svsk.sk_ready);
      clear_bit(SK_BUSY, svsk);
    }
    yield* svc_close_socket(svsk);
  }
}
