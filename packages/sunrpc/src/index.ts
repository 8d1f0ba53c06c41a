/**
 * @lockstep/sunrpc: net/sunrpc of Linux 2.6.24 on @lockstep/kernel.
 *
 * The functions exported here are the 2.6.24 EXPORT_SYMBOLs of sunrpc that the model has
 * (net/sunrpc/sunrpc_syms.c and the files themselves). svc_sock_update_bufs is internal to
 * sunrpc in 2.6.24 and is not among them; svc_prepare_thread does not exist yet. Then the
 * structs and constants of the headers, then model helpers (the simulated network).
 */

// net/sunrpc/clnt.c
export {
  EACCES,
  RPC_AUTH_NULL,
  RPC_AUTH_UNIX,
  RPC_CLNT_CREATE_AUTOBIND,
  RPC_CLNT_CREATE_DISCRTRY,
  RPC_CLNT_CREATE_HARDRTRY,
  RPC_CLNT_CREATE_INTR,
  RPC_CLNT_CREATE_NONPRIVPORT,
  RPC_CLNT_CREATE_NOPING,
  rpc_call_async,
  rpc_call_setup,
  rpc_call_sync,
  type rpc_clnt,
  rpc_create,
  type rpc_create_args,
  rpc_force_rebind,
  rpc_killall_tasks,
  type rpc_program,
  rpc_release_client,
  rpc_shutdown_client,
  type rpc_version,
  rpcproc_null,
} from './clnt.js';
// Model helpers: the simulated network and portmappers (no kernel counterpart).
export {
  IPPROTO_TCP,
  IPPROTO_UDP,
  net_bind,
  net_next_xid,
  type net_receive,
  net_sendto,
  net_set_nodename,
  net_unbind,
  pmap_getport,
  pmap_set,
  pmap_unset,
  type rpc_call_msg,
  type rpc_datagram,
  type rpc_reply_msg,
  type sockaddr_in,
  utsname_nodename,
} from './net.js';
// net/sunrpc/rpcb_clnt.c
export { RPCBIND_PORT, RPCBIND_PROGRAM, rpcb_register } from './rpcb_clnt.js';
// Model helper: the user-space rpcbind of the simulated machine (no kernel counterpart).
export { type rpcbind_daemon, rpcbind_start } from './rpcbind.js';
// net/sunrpc/sched.c
export {
  RPC_CALL_MAJORSEEN,
  RPC_TASK_ASYNC,
  RPC_TASK_KILLED,
  RPC_TASK_NOINTR,
  RPC_TASK_SOFT,
  type rpc_action,
  type rpc_call_ops,
  rpc_delay,
  rpc_execute,
  rpc_exit_task,
  type rpc_message,
  type rpc_procinfo,
  rpc_put_task,
  rpc_task,
  rpc_wait_queue,
  rpc_wake_up_task,
  rpciod_down,
  rpciod_up,
} from './sched.js';
// net/sunrpc/svc.c
// include/linux/sunrpc/*.h: structs and constants.
export {
  PAGE_SIZE,
  type page,
  RPCSVC_MAXPAGES,
  RPCSVC_MAXPAYLOAD,
  rpc_drop_reply,
  rpc_garbage_args,
  rpc_proc_unavail,
  rpc_prog_mismatch,
  rpc_prog_unavail,
  rpc_success,
  rpc_system_err,
  svc_create,
  svc_create_thread,
  svc_destroy,
  svc_exit_thread,
  type svc_pool,
  type svc_procedure,
  svc_process,
  type svc_program,
  svc_register,
  type svc_rqst,
  type svc_serv,
  type svc_stat,
  type svc_thread_fn,
  type svc_version,
  type svc_xdrbuf,
} from './svc.js';
// net/sunrpc/svcsock.c
export {
  SK_BUSY,
  SK_CHNGBUF,
  SK_CLOSE,
  SK_DATA,
  SK_DEAD,
  SVC_SOCK_ANONYMOUS,
  SVC_SOCK_DEFAULTS,
  SVC_SOCK_TEMPORARY,
  svc_drop,
  svc_makesock,
  svc_recv,
  type svc_sock,
  svc_wake_up,
} from './svcsock.js';
export type { rpc_rqst, rpc_timeout, rpc_xprt } from './xprt.js';
