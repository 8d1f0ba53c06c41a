/**
 * The network between simulated hosts. No kernel file: it stands in for the IP stack, UDP
 * sockets and each host's portmapper. RPC messages travel already decoded (the XDR is left
 * out) and are delivered at once to whatever listens on the destination port; delivery runs
 * in the sender's context like a softirq, so a receive hook must not sleep. A datagram to a
 * port nobody listens on is dropped.
 */
import { LockstepUsageError, type Machine, this_machine } from '@lockstep/kernel';

export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;
export const EADDRINUSE = 98;
/** INADDR_LOOPBACK: a datagram to this host name goes to the machine itself (utsname nodename). */
export const INADDR_LOOPBACK = 'localhost';

/** struct sockaddr_in: a host name stands for the IP address. */
export interface sockaddr_in {
  readonly host: string;
  readonly port: number;
}

/** An RPC call on the wire (struct rpc_msg with a call body, decoded). */
export interface rpc_call_msg {
  readonly dir: 'call';
  readonly xid: number;
  readonly prog: number;
  readonly vers: number;
  readonly proc: number;
  readonly prot: number;
  readonly args: unknown;
  readonly src: sockaddr_in;
}

/** An RPC reply on the wire: MSG_ACCEPTED with accept_stat, and the decoded result. */
export interface rpc_reply_msg {
  readonly dir: 'reply';
  readonly xid: number;
  readonly accept_stat: number;
  readonly res: unknown;
  readonly src: sockaddr_in;
}

export type rpc_datagram = rpc_call_msg | rpc_reply_msg;

/** What listens on a port. Runs in the sender's context (softirq): it must not sleep. */
export type net_receive = (msg: rpc_datagram) => void;

interface NetHost {
  readonly ports: Map<number, net_receive>;
  /** portmap: "prog/vers/prot" -> port. */
  readonly portmap: Map<string, number>;
  nextPort: number;
}

interface NetState {
  readonly hosts: Map<string, NetHost>;
  nextXid: number;
  nodename: string;
}

const NET = Symbol('net');
const FIRST_EPHEMERAL = 32768;

function netState(m: Machine = this_machine()): NetState {
  return m.slot(NET, () => ({ hosts: new Map(), nextXid: 0x2a00_0000, nodename: 'server' }));
}

function netHost(name: string, m?: Machine): NetHost {
  const st = netState(m);
  let h = st.hosts.get(name);
  if (h === undefined) {
    h = { ports: new Map(), portmap: new Map(), nextPort: FIRST_EPHEMERAL };
    st.hosts.set(name, h);
  }
  return h;
}

/** utsname()->nodename of the simulated machine (the NFS/NLM server). */
export function utsname_nodename(m?: Machine): string {
  return netState(m).nodename;
}

/** Set the server's host name; setup code only (before the first packet). */
export function net_set_nodename(m: Machine, name: string): void {
  if (typeof name !== 'string' || name === '')
    throw new LockstepUsageError('net_set_nodename: the host name must be a non-empty string');
  netState(m).nodename = name;
}

/** Listen on host:port (0 = any free port). The port, or -EADDRINUSE. */
export function net_bind(host: string, port: number, rx: net_receive, m?: Machine): number {
  const h = netHost(host, m);
  if (port === 0) {
    while (h.ports.has(h.nextPort)) h.nextPort++;
    port = h.nextPort++;
  } else if (h.ports.has(port)) return -EADDRINUSE;
  h.ports.set(port, rx);
  return port;
}

/** Stop listening on host:port. */
export function net_unbind(host: string, port: number, m?: Machine): void {
  netHost(host, m).ports.delete(port);
}

/** Send a datagram; false when nothing listens at the destination (it is dropped). */
export function net_sendto(dst: sockaddr_in, msg: rpc_datagram): boolean {
  const m = this_machine();
  const st = netState(m);
  const host = dst.host === INADDR_LOOPBACK ? st.nodename : dst.host;
  const rx = st.hosts.get(host)?.ports.get(dst.port);
  if (m.trace)
    m.emit(0, 'net', msg.dir === 'call' ? `call ${msg.prog}/${msg.vers}/${msg.proc}` : 'reply', {
      xid: msg.xid,
      from: `${msg.src.host}:${msg.src.port}`,
      to: `${dst.host}:${dst.port}`,
    });
  if (rx === undefined) return false;
  rx(msg);
  return true;
}

/** A fresh transaction id. */
export function net_next_xid(): number {
  const st = netState();
  st.nextXid = (st.nextXid + 1) >>> 0;
  return st.nextXid;
}

function pmapKey(prog: number, vers: number, prot: number): string {
  return `${prog}/${vers}/${prot}`;
}

/**
 * PMAPPROC_SET on `host`'s portmapper: true when registered (or already registered at this
 * port), false when prog/vers/prot is registered at another port (portmap's rule).
 */
export function pmap_set(
  host: string,
  prog: number,
  vers: number,
  prot: number,
  port: number,
  m?: Machine,
): boolean {
  const pm = netHost(host, m).portmap;
  const key = pmapKey(prog, vers, prot);
  const had = pm.get(key);
  if (had !== undefined) return had === port;
  pm.set(key, port);
  return true;
}

/** PMAPPROC_UNSET: forget prog/vers for every protocol. */
export function pmap_unset(host: string, prog: number, vers: number, m?: Machine): void {
  const pm = netHost(host, m).portmap;
  for (const prot of [IPPROTO_UDP, IPPROTO_TCP]) pm.delete(pmapKey(prog, vers, prot));
}

/** PMAPPROC_GETPORT: the registered port, or 0. */
export function pmap_getport(
  host: string,
  prog: number,
  vers: number,
  prot: number,
  m?: Machine,
): number {
  return netHost(host, m).portmap.get(pmapKey(prog, vers, prot)) ?? 0;
}
