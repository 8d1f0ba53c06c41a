/**
 * The RPC server side, net/sunrpc/svc.c as of Linux 2.6.24, with the structs of
 * include/linux/sunrpc/svc.h: a service (svc_serv) with one pool of threads (svc_pool), each
 * thread described by an svc_rqst, and request dispatch to the program's procedures.
 *
 * Reference counting as in 2.6.24: a serv starts with sv_nrthreads = 1 (its creator's
 * reference), every thread adds one, and svc_destroy() drops one and frees the serv with the
 * last. Pooled services (svc_create_pooled, CPU affinity) are not modelled: one pool.
 */
import {
  BUG_ON,
  clear_sigpending,
  DEFINE_SPINLOCK,
  ENOMEM,
  INIT_LIST_HEAD,
  init_waitqueue_head,
  type Kfn,
  kernel_thread,
  kfree,
  kmalloc,
  kzalloc,
  list_add,
  list_del,
  list_empty,
  list_head,
  lock_member,
  printk,
  recalc_sigpending,
  spin_lock_bh,
  spin_unlock_bh,
  type spinlock_t,
  wait_queue_head_t,
} from '@lockstep/kernel';
import { EACCES } from './clnt.js';
import { svc_pool_layout } from './layouts.js';
import type { rpc_call_msg, rpc_reply_msg, sockaddr_in } from './net.js';
import { type rpcb_okay, rpcb_register } from './rpcb_clnt.js';
import {
  svc_close_all,
  svc_drop,
  svc_send,
  type svc_sock,
  svc_sock_update_bufs,
} from './svcsock.js';

export const PAGE_SIZE = 4096;
/** RPCSVC_MAXPAYLOAD (1 MiB) and RPCSVC_MAXPAGES, include/linux/sunrpc/svc.h 2.6.24. */
export const RPCSVC_MAXPAYLOAD = 1024 * 1024;
export const RPCSVC_MAXPAGES = Math.floor((RPCSVC_MAXPAYLOAD + PAGE_SIZE - 1) / PAGE_SIZE) + 2;

/** accept_stat values (include/linux/sunrpc/msg_prot.h) and the server's "no reply" marker. */
export const rpc_success = 0;
export const rpc_prog_unavail = 1;
export const rpc_prog_mismatch = 2;
export const rpc_proc_unavail = 3;
export const rpc_garbage_args = 4;
export const rpc_system_err = 5;
export const rpc_drop_reply = 30000;

/** struct page: one page of an rqstp's buffer. */
export type page = Record<string, never>;

/** The buffers behind rq_argp / rq_resp: kmalloc(serv->sv_xdrsize), filled by XDR decode. */
export type svc_xdrbuf = Record<string, unknown>;

/** struct svc_procedure: handler, XDR decode of the arguments and encode of the result. */
export interface svc_procedure {
  readonly pc_name: string;
  /** Method syntax on purpose: each procedure declares its own argument and result types. */
  pc_func(rqstp: svc_rqst, argp: unknown, resp: unknown): Kfn<number>;
  /** Decode the wire arguments into argp; false for garbage. */
  pc_decode(rqstp: svc_rqst, args: unknown, argp: unknown): boolean;
  /** Encode resp for the wire. */
  pc_encode(rqstp: svc_rqst, resp: unknown): unknown;
}

/** struct svc_version. */
export interface svc_version {
  readonly vs_vers: number;
  readonly vs_nproc: number;
  readonly vs_proc: readonly (svc_procedure | undefined)[];
  readonly vs_xdrsize: number;
  /** Not registered with rpcbind. */
  readonly vs_hidden?: boolean;
}

/** struct svc_stat. */
export interface svc_stat {
  netcnt: number;
  rpccnt: number;
  rpcbadfmt: number;
}

/** struct svc_program (no pg_next chain: one program per service). */
export interface svc_program {
  readonly pg_prog: number;
  readonly pg_nvers: number;
  readonly pg_vers: readonly (svc_version | undefined)[];
  readonly pg_name: string;
  readonly pg_class: string;
  readonly pg_stats: svc_stat | null;
}

/** struct svc_pool. */
export interface svc_pool {
  sp_id: number;
  sp_lock: spinlock_t;
  /** Idle threads (svc_rqst.rq_list), waiting for a socket. */
  sp_threads: list_head;
  /** Sockets with work and no thread yet (svc_sock.sk_ready). */
  sp_sockets: list_head;
  sp_nrthreads: number;
  /** Every thread of the pool (svc_rqst.rq_all). */
  sp_all_threads: list_head;
}

/** struct svc_serv. */
export interface svc_serv {
  sv_program: svc_program;
  sv_stats: svc_stat | null;
  sv_lock: spinlock_t;
  sv_nrthreads: number;
  sv_max_payload: number;
  sv_max_mesg: number;
  sv_xdrsize: number;
  sv_permsocks: list_head;
  sv_tempsocks: list_head;
  sv_tmpcnt: number;
  sv_name: string;
  sv_nrpools: number;
  sv_pools: svc_pool[] | null;
  sv_shutdown: ((serv: svc_serv) => void) | null;
}

/** struct cache_req: how a request could be deferred (svc_defer); see svcsock.ts. */
export interface cache_req {
  defer: ((req: cache_req) => unknown) | null;
}

/** struct svc_rqst: one server thread and the request it is working on. */
export interface svc_rqst {
  rq_list: list_head;
  rq_all: list_head;
  rq_server: svc_serv | null;
  rq_pool: svc_pool | null;
  rq_sock: svc_sock | null;
  rq_addr: sockaddr_in | null;
  rq_prot: number;
  rq_xid: number;
  rq_prog: number;
  rq_vers: number;
  rq_proc: number;
  /** The request as received (struct xdr_buf rq_arg). */
  rq_arg: rpc_call_msg | null;
  /** The reply being sent (struct xdr_buf rq_res). */
  rq_res: Pick<rpc_reply_msg, 'accept_stat' | 'res'> | null;
  rq_argp: svc_xdrbuf | null;
  rq_resp: svc_xdrbuf | null;
  rq_auth_data: object | null;
  rq_pages: (page | null)[];
  rq_reserved: number;
  rq_chandler: cache_req;
  rq_wait: wait_queue_head_t;
}

/** svc_thread_fn: the function a service thread runs, handed its svc_rqst. */
export type svc_thread_fn = (rqstp: svc_rqst) => Kfn<unknown>;

function svc_rqst_struct(): svc_rqst {
  return {
    rq_list: new list_head(),
    rq_all: new list_head(),
    rq_server: null,
    rq_pool: null,
    rq_sock: null,
    rq_addr: null,
    rq_prot: 0,
    rq_xid: 0,
    rq_prog: 0,
    rq_vers: 0,
    rq_proc: 0,
    rq_arg: null,
    rq_res: null,
    rq_argp: null,
    rq_resp: null,
    rq_auth_data: null,
    rq_pages: new Array<page | null>(RPCSVC_MAXPAGES).fill(null),
    rq_reserved: 0,
    rq_chandler: { defer: null },
    rq_wait: new wait_queue_head_t('rq_wait'),
  };
}

function roundup(x: number, y: number): number {
  return Math.ceil(x / y) * y;
}

/** __svc_create(), v2.6.24:net/sunrpc/svc.c: a serv with sv_nrthreads = 1 and npools pools; leaves out sv_temptimer. */
function* __svc_create(
  prog: svc_program,
  bufsize: number,
  npools: number,
  shutdown: ((serv: svc_serv) => void) | null,
): Kfn<svc_serv | null> {
  const serv = yield* kzalloc(
    'svc_serv',
    (): svc_serv => ({
      sv_program: null as unknown as svc_program,
      sv_stats: null,
      sv_lock: DEFINE_SPINLOCK('&serv->sv_lock'),
      sv_nrthreads: 0,
      sv_max_payload: 0,
      sv_max_mesg: 0,
      sv_xdrsize: 0,
      sv_permsocks: new list_head(),
      sv_tempsocks: new list_head(),
      sv_tmpcnt: 0,
      sv_name: '',
      sv_nrpools: 0,
      sv_pools: null,
      sv_shutdown: null,
    }),
  );
  if (!serv) return null;
  serv.sv_name = prog.pg_name;
  serv.sv_program = prog;
  serv.sv_nrthreads = 1;
  serv.sv_stats = prog.pg_stats;
  if (bufsize > RPCSVC_MAXPAYLOAD) bufsize = RPCSVC_MAXPAYLOAD;
  serv.sv_max_payload = bufsize ? bufsize : 4096;
  serv.sv_max_mesg = roundup(serv.sv_max_payload + PAGE_SIZE, PAGE_SIZE);
  serv.sv_shutdown = shutdown;
  let xdrsize = 0;
  for (let vers = 0; vers < prog.pg_nvers; vers++) {
    const v = prog.pg_vers[vers];
    if (v && v.vs_xdrsize > xdrsize) xdrsize = v.vs_xdrsize;
  }
  serv.sv_xdrsize = xdrsize;
  INIT_LIST_HEAD(serv.sv_tempsocks);
  INIT_LIST_HEAD(serv.sv_permsocks);

  serv.sv_nrpools = npools;
  serv.sv_pools = yield* kzalloc('svc_pool', () =>
    Array.from(
      { length: npools },
      (): svc_pool => ({
        sp_id: 0,
        sp_lock: DEFINE_SPINLOCK('&pool->sp_lock'),
        sp_threads: new list_head(),
        sp_sockets: new list_head(),
        sp_nrthreads: 0,
        sp_all_threads: new list_head(),
      }),
    ),
  );
  if (!serv.sv_pools) {
    kfree(serv);
    return null;
  }
  for (let i = 0; i < serv.sv_nrpools; i++) {
    const pool = serv.sv_pools[i]!;
    pool.sp_id = i;
    INIT_LIST_HEAD(pool.sp_threads);
    INIT_LIST_HEAD(pool.sp_sockets);
    INIT_LIST_HEAD(pool.sp_all_threads);
  }

  // Remove any stale portmap registrations.
  yield* svc_register(serv, 0, 0);
  return serv;
}

/** svc_create(), v2.6.24:net/sunrpc/svc.c: an unpooled service. */
export function* svc_create(
  prog: svc_program,
  bufsize: number,
  shutdown: ((serv: svc_serv) => void) | null,
): Kfn<svc_serv | null> {
  return yield* __svc_create(prog, bufsize, 1, shutdown);
}

/**
 * svc_destroy(), v2.6.24:net/sunrpc/svc.c: drop a reference; the last one closes the sockets, unregisters from
 * the portmapper and frees the pools and the serv. Leaves out sv_temptimer and deferred-request
 * cleanup.
 */
export function* svc_destroy(serv: svc_serv): Kfn {
  if (serv.sv_nrthreads) {
    if (--serv.sv_nrthreads !== 0) {
      yield* svc_sock_update_bufs(serv);
      return;
    }
  } else printk(`svc_destroy: no threads for serv=${serv.sv_name}!\n`);

  yield* svc_close_all(serv.sv_tempsocks);

  if (serv.sv_shutdown) serv.sv_shutdown(serv);

  yield* svc_close_all(serv.sv_permsocks);

  BUG_ON(!list_empty(serv.sv_permsocks));
  BUG_ON(!list_empty(serv.sv_tempsocks));

  // Unregister service with the portmapper.
  yield* svc_register(serv, 0, 0);
  kfree(serv.sv_pools);
  kfree(serv);
}

/** alloc_page(GFP_KERNEL): a page, or NULL under fault injection (fail_page_alloc). */
function* alloc_page(): Kfn<page | null> {
  return yield* kmalloc('page', (): page => ({}));
}

/** put_page() of the last reference. */
function put_page(p: page): void {
  kfree(p);
}

/** svc_init_buffer(), v2.6.24:net/sunrpc/svc.c: size/PAGE_SIZE + 1 pages; true when all were allocated. */
function* svc_init_buffer(rqstp: svc_rqst, size: number): Kfn<boolean> {
  let pages = Math.floor(size / PAGE_SIZE) + 1;
  let arghi = 0;
  BUG_ON(pages > RPCSVC_MAXPAGES);
  while (pages) {
    const p = yield* alloc_page();
    if (!p) break;
    rqstp.rq_pages[arghi++] = p;
    pages--;
  }
  return !pages;
}

/** svc_release_buffer(), v2.6.24:net/sunrpc/svc.c. */
function svc_release_buffer(rqstp: svc_rqst): void {
  for (let i = 0; i < rqstp.rq_pages.length; i++) {
    const p = rqstp.rq_pages[i];
    if (p) put_page(p);
  }
}

/**
 * __svc_create_thread(), v2.6.24:net/sunrpc/svc.c: allocate the rqstp and its buffers, account the thread and
 * fork it with kernel_thread(). On an allocation failure it jumps to out_thread before
 * rq_server and rq_pool are set, so svc_exit_thread() dereferences a NULL pool (the bug
 * svc_prepare_thread fixed in 2.6.25). Leaves out the per-pool CPU mask (one pool).
 */
function* __svc_create_thread(func: svc_thread_fn, serv: svc_serv, pool: svc_pool): Kfn<number> {
  let rqstp: svc_rqst | null;
  let error = -ENOMEM;

  // biome-ignore lint/suspicious/noConfusingLabels: the kernel's "goto out"
  out: {
    // biome-ignore lint/suspicious/noConfusingLabels: the kernel's "goto out_thread"
    out_thread: {
      rqstp = yield* kzalloc('svc_rqst', svc_rqst_struct);
      if (!rqstp) break out;

      init_waitqueue_head(rqstp.rq_wait);

      if (
        !(rqstp.rq_argp = yield* kmalloc('rq_argp', (): svc_xdrbuf => ({}))) ||
        !(rqstp.rq_resp = yield* kmalloc('rq_resp', (): svc_xdrbuf => ({}))) ||
        !(yield* svc_init_buffer(rqstp, serv.sv_max_mesg))
      )
        break out_thread;

      serv.sv_nrthreads++;
      yield* spin_lock_bh(pool.sp_lock);
      pool.sp_nrthreads++;
      list_add(rqstp.rq_all, pool.sp_all_threads);
      yield* spin_unlock_bh(pool.sp_lock);
      rqstp.rq_server = serv;
      rqstp.rq_pool = pool;

      error = yield* kernel_thread(func, rqstp, 0);

      if (error < 0) break out_thread;
      yield* svc_sock_update_bufs(serv);
      error = 0;
      break out;
    }
    yield* svc_exit_thread(rqstp);
  }
  return error;
}

/** svc_create_thread(), v2.6.24:net/sunrpc/svc.c: a thread in the serv's first pool. Caller must hold the BKL. */
export function* svc_create_thread(func: svc_thread_fn, serv: svc_serv): Kfn<number> {
  return yield* __svc_create_thread(func, serv, serv.sv_pools![0]!);
}

/**
 * svc_exit_thread(), v2.6.24:net/sunrpc/svc.c: free the rqstp's buffers, unaccount it from its pool and drop its
 * reference on the serv. Like the kernel it takes rq_pool's lock without a NULL check.
 */
export function* svc_exit_thread(rqstp: svc_rqst): Kfn {
  const serv = rqstp.rq_server;
  const pool = rqstp.rq_pool;

  svc_release_buffer(rqstp);
  kfree(rqstp.rq_resp);
  kfree(rqstp.rq_argp);
  kfree(rqstp.rq_auth_data);

  // No NULL check in 2.6.24: a thread that failed to set up has no pool yet.
  // &pool->sp_lock with pool NULL: the oops comes from the lock's first access (layouts.ts).
  yield* spin_lock_bh(lock_member(pool, svc_pool_layout, 'sp_lock', 'spin_lock_bh'));
  pool!.sp_nrthreads--;
  list_del(rqstp.rq_all);
  yield* spin_unlock_bh(pool!.sp_lock);

  kfree(rqstp);

  // Release the server.
  if (serv) yield* svc_destroy(serv);
}

/**
 * svc_register(), v2.6.24:net/sunrpc/svc.c: register every visible version with the local
 * rpcbind (port 0: unregister), one synchronous rpcb_register() RPC each, stopping at the
 * first error; a SET rpcbind refuses is -EACCES. To unregister it clears TIF_SIGPENDING
 * first, so that a pending signal does not cut the calls short, and recalculates it from the
 * pending set afterwards (the siglock is left out). Leaves out the pg_next chain (one program).
 */
export function* svc_register(serv: svc_serv, proto: number, port: number): Kfn<number> {
  const progp = serv.sv_program;
  let error = 0;
  const dummy: rpcb_okay = { value: 0 };

  if (!port) clear_sigpending();

  for (let i = 0; i < progp.pg_nvers; i++) {
    const vers = progp.pg_vers[i];
    if (vers === undefined) continue;
    if (vers.vs_hidden) continue;
    error = yield* rpcb_register(progp.pg_prog, i, proto, port, dummy);
    if (error < 0) break;
    if (port && !dummy.value) {
      error = -EACCES;
      break;
    }
  }

  if (!port) recalc_sigpending();

  return error;
}

/**
 * svc_process(), v2.6.24:net/sunrpc/svc.c: dispatch the received call to its program, version and procedure,
 * then send the reply (or drop it). Leaves out authentication (svc_authenticate,
 * pg_authenticate), the RPC header checks and dispatch through vs_dispatch.
 */
export function* svc_process(rqstp: svc_rqst): Kfn<number> {
  const serv = rqstp.rq_server!;
  const msg = rqstp.rq_arg!;
  const progp = serv.sv_program;

  rqstp.rq_xid = msg.xid;
  rqstp.rq_prog = msg.prog;
  rqstp.rq_vers = msg.vers;
  rqstp.rq_proc = msg.proc;
  if (serv.sv_stats) serv.sv_stats.rpccnt++;

  let stat = rpc_success;
  let res: unknown = null;
  const versp = msg.prog === progp.pg_prog ? progp.pg_vers[msg.vers] : undefined;
  const procp = versp?.vs_proc[msg.proc];
  if (msg.prog !== progp.pg_prog) stat = rpc_prog_unavail;
  else if (versp === undefined) stat = rpc_prog_mismatch;
  else if (procp === undefined) stat = rpc_proc_unavail;
  else if (!procp.pc_decode(rqstp, msg.args, rqstp.rq_argp)) {
    stat = rpc_garbage_args;
    if (serv.sv_stats) serv.sv_stats.rpcbadfmt++;
  } else {
    stat = yield* procp.pc_func(rqstp, rqstp.rq_argp, rqstp.rq_resp);
    if (stat === rpc_drop_reply) {
      yield* svc_drop(rqstp);
      return 0;
    }
    if (stat === rpc_success) res = procp.pc_encode(rqstp, rqstp.rq_resp);
  }
  rqstp.rq_res = { accept_stat: stat, res };
  return yield* svc_send(rqstp);
}
