/**
 * The in-kernel rpcbind client, net/sunrpc/rpcb_clnt.c as of Linux 2.6.24, reduced to
 * rpcb_register(): set or unset a registration with the local rpcbind over loopback UDP,
 * as a synchronous call on a client of its own that is created and shut down each time.
 * Left out: rpcb_getport_sync, and rpcb_getport_async, whose port query clnt.ts answers
 * from the remote portmap at once; rpcbind versions 3 and 4; IPv6.
 */
import { type ErrPtr, IS_ERR, KERN_WARNING, type Kfn, PTR_ERR, printk } from '@lockstep/kernel';
import {
  RPC_AUTH_UNIX,
  RPC_CLNT_CREATE_INTR,
  RPC_CLNT_CREATE_NONPRIVPORT,
  RPC_CLNT_CREATE_NOPING,
  rpc_call_sync,
  type rpc_clnt,
  rpc_create,
  type rpc_create_args,
  type rpc_program,
  rpc_shutdown_client,
} from './clnt.js';
import { INADDR_LOOPBACK, IPPROTO_UDP, type sockaddr_in } from './net.js';
import type { rpc_message, rpc_procinfo } from './sched.js';

export const RPCBIND_PROGRAM = 100000;
export const RPCBIND_PORT = 111;
export const RPCBPROC_NULL = 0;
export const RPCBPROC_SET = 1;
export const RPCBPROC_UNSET = 2;
export const RPCBPROC_GETPORT = 3;

/** struct rpcbind_args, the fields rpcbind version 2 sends (struct pmap). */
export interface rpcbind_args {
  r_prog: number;
  r_vers: number;
  r_prot: number;
  r_port: number;
}

/** The result of SET/UNSET: a boolean, into the caller's `okay`. */
export interface rpcb_okay {
  value: number;
}

function rpcb_decode_bool(resp: unknown, res: unknown): void {
  (resp as rpcb_okay).value = res ? 1 : 0;
}

/** rpcb_procedures2[], v2.6.24:net/sunrpc/rpcb_clnt.c: the version 2 (portmap) procedures the model calls. */
const rpcb_procedures2: readonly rpc_procinfo[] = Object.freeze([
  { p_proc: RPCBPROC_NULL, p_name: 'NULL' },
  { p_proc: RPCBPROC_SET, p_name: 'SET', p_decode: rpcb_decode_bool },
  { p_proc: RPCBPROC_UNSET, p_name: 'UNSET', p_decode: rpcb_decode_bool },
]);

/** rpcb_program, v2.6.24:net/sunrpc/rpcb_clnt.c: "rpcbind", program 100000 (version 2 only here). */
export const rpcb_program: rpc_program = Object.freeze({
  name: 'rpcbind',
  number: RPCBIND_PROGRAM,
  nrvers: 3,
  version: Object.freeze([
    undefined,
    undefined,
    Object.freeze({ number: 2, nrprocs: rpcb_procedures2.length, procs: rpcb_procedures2 }),
  ]),
});

/**
 * rpcb_create(), v2.6.24:net/sunrpc/rpcb_clnt.c: a client of rpcbind at port 111 of `srvaddr`,
 * RPC_CLNT_CREATE_NOPING | RPC_CLNT_CREATE_INTR and no HARDRTRY (so soft), no timeout of its
 * own (the UDP transport's default: 5 retries, 5 s apart), a reserved port if `privileged`.
 */
function* rpcb_create(
  hostname: string,
  srvaddr: sockaddr_in,
  proto: number,
  version: number,
  privileged: boolean,
): Kfn<rpc_clnt | ErrPtr> {
  const args: rpc_create_args = {
    protocol: proto,
    address: { host: srvaddr.host, port: RPCBIND_PORT },
    timeout: null,
    servername: hostname,
    program: rpcb_program,
    version,
    authflavor: RPC_AUTH_UNIX,
    flags: RPC_CLNT_CREATE_NOPING | RPC_CLNT_CREATE_INTR,
  };
  if (!privileged) args.flags |= RPC_CLNT_CREATE_NONPRIVPORT;
  return yield* rpc_create(args);
}

/**
 * rpcb_register(), v2.6.24:net/sunrpc/rpcb_clnt.c: SET (port != 0) or UNSET prog/vers with the
 * local rpcbind, version 2, over loopback UDP: create a client, one rpc_call_sync, shut the
 * client down; the call's status (rpcbind's answer in `okay`). With no rpcbind the soft call
 * times out after its major timeout (30 s of retransmissions; the call ends at 35 s) with -EIO. Leaves out the dprintks.
 */
export function* rpcb_register(
  prog: number,
  vers: number,
  prot: number,
  port: number,
  okay: rpcb_okay,
): Kfn<number> {
  const sin: sockaddr_in = { host: INADDR_LOOPBACK, port: 0 };
  const map: rpcbind_args = { r_prog: prog, r_vers: vers, r_prot: prot, r_port: port };
  const msg: rpc_message = {
    rpc_proc: rpcb_procedures2[port ? RPCBPROC_SET : RPCBPROC_UNSET]!,
    rpc_argp: map,
    rpc_resp: okay,
  };

  const rpcb_clnt = yield* rpcb_create('localhost', sin, IPPROTO_UDP, 2, true);
  if (IS_ERR(rpcb_clnt)) return PTR_ERR(rpcb_clnt);

  const error = yield* rpc_call_sync(rpcb_clnt, msg, 0);

  yield* rpc_shutdown_client(rpcb_clnt);
  if (error < 0)
    printk(`${KERN_WARNING}RPC: failed to contact local rpcbind server (errno ${-error}).\n`);
  return error;
}
