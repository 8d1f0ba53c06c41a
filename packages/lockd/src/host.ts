/**
 * NLM hosts, fs/lockd/host.c as of Linux 2.6.24: one nlm_host per (address, protocol,
 * version, server/client), reference counted, garbage collected once idle and expired; and
 * the RPC client lockd uses to call a host back (nlm_bind_host), created with the
 * synchronous ping. The hash table is one chain; NSM (statd) monitoring is left out.
 */
import {
  atomic_dec_and_test,
  atomic_inc,
  atomic_read,
  atomic_set,
  atomic_t,
  BUG_ON,
  DEFINE_MUTEX,
  DEFINE_STATIC,
  HZ,
  INIT_LIST_HEAD,
  IS_ERR,
  jiffies,
  KERN_WARNING,
  type Kfn,
  kfree,
  kzalloc,
  list_empty,
  list_head,
  mutex_lock,
  mutex_unlock,
  printk,
  time_after,
} from '@lockstep/kernel';
import {
  RPC_AUTH_UNIX,
  RPC_CLNT_CREATE_AUTOBIND,
  RPC_CLNT_CREATE_HARDRTRY,
  type rpc_clnt,
  rpc_create,
  type rpc_create_args,
  rpc_force_rebind,
  rpc_shutdown_client,
  type sockaddr_in,
  type svc_rqst,
} from '@lockstep/sunrpc';
import { NLM_HOST_MAX, NLM_HOST_REBIND, type nlm_host } from './lockd.js';
import { lockd_globals } from './svc.js';
import { nlmsvc_mark_resources } from './svcsubs.js';
import { nlm_program } from './xdr.js';

/** The statics of fs/lockd/host.c, per machine. */
const host_c = DEFINE_STATIC('fs/lockd/host.c', () => ({
  /** nlm_hosts[]: a single hash chain, most recently used first. */
  nlm_hosts: [] as nlm_host[],
  next_gc: 0,
  nrhosts: 0,
  nlm_host_mutex: DEFINE_MUTEX('nlm_host_mutex'),
}));

/** NLM_HOST_EXPIRE, v2.6.24:fs/lockd/host.c: how long an unused host lives. */
function NLM_HOST_EXPIRE(): number {
  return host_c().nrhosts > NLM_HOST_MAX ? 300 * HZ : 120 * HZ;
}
/** NLM_HOST_COLLECT, v2.6.24:fs/lockd/host.c: how often nlm_lookup_host() collects garbage. */
function NLM_HOST_COLLECT(): number {
  return host_c().nrhosts > NLM_HOST_MAX ? 120 * HZ : 60 * HZ;
}

/** time_before(), v2.6.24:include/linux/jiffies.h (no wraparound in the model's jiffies). */
function time_before(a: number, b: number): boolean {
  return time_after(b, a);
}
/** time_after_eq(), v2.6.24:include/linux/jiffies.h (no wraparound in the model's jiffies). */
function time_after_eq(a: number, b: number): boolean {
  return a >= b;
}

/** nlm_cmp_addr(), v2.6.24:include/linux/lockd/lockd.h: same IP address (ports do not count). */
function nlm_cmp_addr(a: sockaddr_in, b: sockaddr_in): boolean {
  return a.host === b.host;
}

/**
 * nlm_lookup_host(), v2.6.24:fs/lockd/host.c: find (moving it to the front) or create the
 * host, taking a reference; runs the garbage collector when it is due. NULL when allocation
 * fails. Leaves out the NSM handle (h_name is the caller's name), h_saddr and the 32 chains.
 */
function* nlm_lookup_host(
  server: number,
  sin: sockaddr_in,
  proto: number,
  version: number,
  hostname: string,
  _hostname_len: number,
): Kfn<nlm_host | null> {
  const s = host_c();
  let host: nlm_host | null = null;

  // Lock hash table.
  yield* mutex_lock(s.nlm_host_mutex);
  // biome-ignore lint/suspicious/noConfusingLabels: the kernel's "goto out"
  out: {
    if (time_after_eq(jiffies, s.next_gc)) yield* nlm_gc_hosts();

    for (const h of s.nlm_hosts) {
      if (!nlm_cmp_addr(h.h_addr, sin)) continue;
      if (h.h_proto !== proto) continue;
      if (h.h_version !== version) continue;
      if (h.h_server !== server) continue;
      // Move to head of hash chain.
      s.nlm_hosts.splice(s.nlm_hosts.indexOf(h), 1);
      s.nlm_hosts.unshift(h);
      host = yield* nlm_get_host(h);
      break out;
    }

    host = yield* kzalloc(
      'nlm_host',
      (): nlm_host => ({
        h_addr: { host: '', port: 0 },
        h_name: '',
        h_proto: 0,
        h_version: 0,
        h_server: 0,
        h_rpcclnt: null,
        h_count: new atomic_t(0),
        h_mutex: DEFINE_MUTEX('&host->h_mutex'),
        h_nextrebind: 0,
        h_expires: 0,
        h_inuse: 0,
        h_state: 0,
        h_nsmstate: 0,
        h_lockowners: new list_head(),
        h_granted: new list_head(),
        h_reclaim: new list_head(),
      }),
    );
    if (!host) break out;
    host.h_name = hostname;
    host.h_addr = { host: sin.host, port: 0 }; // ouch!
    host.h_version = version;
    host.h_proto = proto;
    host.h_rpcclnt = null;
    host.h_nextrebind = jiffies + NLM_HOST_REBIND;
    host.h_expires = jiffies + NLM_HOST_EXPIRE();
    atomic_set(host.h_count, 1);
    host.h_state = 0; // pseudo NSM state
    host.h_nsmstate = 0; // real NSM state
    host.h_server = server;
    s.nlm_hosts.unshift(host);
    INIT_LIST_HEAD(host.h_lockowners);
    INIT_LIST_HEAD(host.h_granted);
    INIT_LIST_HEAD(host.h_reclaim);
    if (++s.nrhosts > NLM_HOST_MAX) s.next_gc = 0;
  }
  yield* mutex_unlock(s.nlm_host_mutex);
  return host;
}

/**
 * nlm_destroy_host(), v2.6.24:fs/lockd/host.c: shut down its RPC client and free it (nsm_unmonitor
 * left out).
 */
function* nlm_destroy_host(host: nlm_host): Kfn {
  BUG_ON(!list_empty(host.h_lockowners));
  BUG_ON(atomic_read(host.h_count) !== 0);

  const clnt = host.h_rpcclnt;
  if (clnt !== null) yield* rpc_shutdown_client(clnt);
  kfree(host);
}

/**
 * nlmsvc_lookup_host(), v2.6.24:fs/lockd/host.c: the host a request came from (lockd is its
 * server).
 */
export function* nlmsvc_lookup_host(
  rqstp: svc_rqst,
  hostname: string,
  hostname_len: number,
): Kfn<nlm_host | null> {
  return yield* nlm_lookup_host(
    1,
    rqstp.rq_addr!,
    rqstp.rq_prot,
    rqstp.rq_vers,
    hostname,
    hostname_len,
  );
}

/**
 * nlm_bind_host(), v2.6.24:fs/lockd/host.c: the host's RPC client, created on first use with
 * rpc_create(): hard retries, autobind, and (no NOPING flag) a synchronous ping that can keep the
 * caller for a minute when the host does not answer. Rebinds every NLM_HOST_REBIND.
 */
export function* nlm_bind_host(host: nlm_host): Kfn<rpc_clnt | null> {
  let clnt: rpc_clnt | null;

  // Lock host handle.
  yield* mutex_lock(host.h_mutex);

  // If we've already created an RPC client, check whether RPC rebind is required.
  if ((clnt = host.h_rpcclnt) !== null) {
    if (time_after_eq(jiffies, host.h_nextrebind)) {
      rpc_force_rebind(clnt);
      host.h_nextrebind = jiffies + NLM_HOST_REBIND;
    }
  } else {
    const increment = lockd_globals().nlmsvc_timeout;
    const args: rpc_create_args = {
      protocol: host.h_proto,
      address: host.h_addr,
      timeout: {
        to_initval: increment,
        to_increment: increment,
        to_maxval: increment * 6,
        to_retries: 5,
        to_exponential: false,
      },
      servername: host.h_name,
      program: nlm_program,
      version: host.h_version,
      authflavor: RPC_AUTH_UNIX,
      flags: RPC_CLNT_CREATE_HARDRTRY | RPC_CLNT_CREATE_AUTOBIND,
    };

    const c = yield* rpc_create(args);
    if (!IS_ERR(c)) {
      host.h_rpcclnt = c;
      clnt = c;
    } else {
      printk(`lockd: couldn't create RPC handle for ${host.h_name}\n`);
      clnt = null;
    }
  }

  yield* mutex_unlock(host.h_mutex);
  return clnt;
}

/** nlm_rebind_host(), v2.6.24:fs/lockd/host.c: force a portmap lookup of the remote lockd port. */
export function nlm_rebind_host(host: nlm_host): void {
  if (host.h_rpcclnt && time_after_eq(jiffies, host.h_nextrebind)) {
    rpc_force_rebind(host.h_rpcclnt);
    host.h_nextrebind = jiffies + NLM_HOST_REBIND;
  }
}

/** nlm_get_host(), v2.6.24:fs/lockd/host.c: a reference; also pushes the expiry back. */
export function* nlm_get_host(host: nlm_host | null): Kfn<nlm_host | null> {
  if (host) {
    yield* atomic_inc(host.h_count);
    host.h_expires = jiffies + NLM_HOST_EXPIRE();
  }
  return host;
}

/**
 * nlm_release_host(), v2.6.24:fs/lockd/host.c: drop a reference (the host stays until garbage
 * collected).
 */
export function* nlm_release_host(host: nlm_host | null): Kfn {
  if (host !== null) {
    BUG_ON(atomic_read(host.h_count) < 0);
    if (yield* atomic_dec_and_test(host.h_count)) {
      BUG_ON(!list_empty(host.h_lockowners));
      BUG_ON(!list_empty(host.h_granted));
      BUG_ON(!list_empty(host.h_reclaim));
    }
  }
}

/**
 * nlm_shutdown_hosts(), v2.6.24:fs/lockd/host.c: expire every host and collect garbage. Hosts still
 * in use stay, and so do their RPC clients and in-flight calls: shutting down each host's client
 * here came in 2.6.25.
 */
export function* nlm_shutdown_hosts(): Kfn {
  const s = host_c();
  yield* mutex_lock(s.nlm_host_mutex);

  // First, make all hosts eligible for gc.
  for (const host of s.nlm_hosts) host.h_expires = jiffies - 1;

  // Then, perform a garbage collection pass.
  yield* nlm_gc_hosts();
  yield* mutex_unlock(s.nlm_host_mutex);

  // Complain if any hosts are left.
  if (s.nrhosts) printk(`${KERN_WARNING}lockd: couldn't shutdown host module!\n`);
}

/**
 * nlm_gc_hosts(), v2.6.24:fs/lockd/host.c: mark the hosts that hold locks or blocks, then destroy
 * the ones that are unreferenced, unmarked and expired. Called with nlm_host_mutex held.
 */
function* nlm_gc_hosts(): Kfn {
  const s = host_c();
  for (const host of s.nlm_hosts) host.h_inuse = 0;

  // Mark all hosts that hold locks, blocks or shares.
  yield* nlmsvc_mark_resources();

  for (const host of s.nlm_hosts.slice()) {
    if (atomic_read(host.h_count) || host.h_inuse || time_before(jiffies, host.h_expires)) continue;
    s.nlm_hosts.splice(s.nlm_hosts.indexOf(host), 1);
    yield* nlm_destroy_host(host);
    s.nrhosts--;
  }
  s.next_gc = jiffies + NLM_HOST_COLLECT();
}

/** Model helper: the hosts lockd knows, for tests and reproducers. */
export function nlm_host_names(): string[] {
  return host_c().nlm_hosts.map((h) => `${h.h_name}${h.h_server ? '' : ' (server)'}`);
}
