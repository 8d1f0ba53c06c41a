/**
 * klmmod's host objects and their garbage collector: usr/src/uts/common/klm/nlm_impl.c and
 * the structures of nlm_impl.h at illumos-gate 096e63b2^ (18059eae, the parent of "4872
 * system crash after nlm_gc hits bogus mutex"), on @lockstep/illumos. Each function is the C
 * function of the same name, statement for statement where the model has what it touches;
 * its comment says what is left out. nlm_gc is the code before the fix (FACTS.md D2).
 *
 * Struct layouts are x86_64 (LP64), worked out by hand from nlm_impl.h at 18059eae: what
 * matters is `nh_lock` at 0 and `nh_link` at 0x10 in `struct nlm_host` (so a QUEUEDEBUG
 * fault through a trashed link is at 0x19), and `lock` at 0 in `struct nlm_globals`.
 */

import {
  ASSERT,
  addr_embed,
  bad_ptr,
  cv_broadcast,
  cv_destroy,
  cv_init,
  cv_signal,
  cv_timedwait,
  cv_wait,
  ddi_get_lbolt,
  delay,
  die,
  KM_SLEEP,
  kcondvar_t,
  kmem_cache_alloc,
  kmem_cache_create,
  kmem_cache_free,
  type kmem_cache_t,
  kmutex_t,
  type kthread_t,
  MUTEX_DEFAULT,
  minclsyspri,
  mod_functions,
  mutex_destroy,
  mutex_enter,
  mutex_exit,
  mutex_init,
  mutex_owned,
  SEC_TO_TICK,
  TAILQ_EMPTY,
  TAILQ_ENTRY,
  TAILQ_FIRST,
  TAILQ_HEAD,
  TAILQ_INIT,
  TAILQ_INSERT_TAIL,
  TAILQ_NEXT,
  TAILQ_REMOVE,
  TS_RUN,
  thread_create,
  VERIFY,
} from '@lockstep/illumos';
import type { Kfn, Machine } from '@lockstep/kernel';
import { cleanlocks, flk_has_remote_locks_for_sysid, type vnode_t } from './flock.js';

/** __FILE__ as an illumos build prints it (uts/intel/klmmod is where klmmod is compiled). */
export const NLM_IMPL_C = '../../common/klm/nlm_impl.c';

/** NLM host flags, illumos 096e63b2^:usr/src/uts/common/klm/nlm_impl.h. */
export const NLM_NH_MONITORED = 0x01;
export const NLM_NH_RECLAIM = 0x02;
export const NLM_NH_INIDLE = 0x04;
export const NLM_NH_SUSPEND = 0x08;

/** nlm_run_status_t, illumos 096e63b2^:usr/src/uts/common/klm/nlm_impl.h. */
export const NLM_ST_DOWN = 0;
export const NLM_ST_STOPPING = 1;
export const NLM_ST_UP = 2;
export const NLM_ST_STARTING = 3;

/** LM_NOSYSID, LM_SYSID, LM_SYSID_MAX (usr/src/uts/common/nfs/lm.h). */
export const LM_NOSYSID = -1;
export const LM_SYSID = 1;
export const LM_SYSID_MAX = 0x3fff;

/** sizeof (struct nlm_host) on x86_64, by hand from nlm_impl.h at 18059eae. */
export const NLM_HOST_SIZE = 0xf0;
/** sizeof (struct nlm_vhold) on x86_64. */
export const NLM_VHOLD_SIZE = 0x30;

/**
 * struct nlm_vhold (nlm_impl.h): a vnode the host has locked on this server, held while it has
 * locks. nv_slreqs (sleeping lock requests) is not modelled.
 */
export class nlm_vhold {
  nv_vp: vnode_t | null = null;
  nv_refcnt = 0;
  readonly nv_link: TAILQ_ENTRY<nlm_vhold>;
  constructor() {
    this.nv_link = addr_embed(new TAILQ_ENTRY<nlm_vhold>(this, 0x20), this, 0x20);
  }
}

/**
 * struct nlm_host (nlm_impl.h at 18059eae), the fields the model uses. A buffer of
 * nlm_host_cache: built zeroed (nlm_host_ctor's bzero, once per buffer), and nlm_host_create
 * sets only what it sets in C, so a reused buffer keeps stale links. Not modelled: nh_knc,
 * nh_recl_cv/nh_rpcb_cv's users, the RPC handle cache, nh_shrlist (always NULL: no client-side
 * shares), nh_reclaimer.
 */
export class nlm_host {
  /** (c) at 0. */
  readonly nh_lock: kmutex_t;
  /** (z) at 8. */
  nh_refs = 0;
  /** (z) at 0x10: the idle-list link. */
  readonly nh_link: TAILQ_ENTRY<nlm_host>;
  nh_name: string | null = null;
  nh_netid: string | null = null;
  /** nh_addr (a netbuf): the model's address string. */
  nh_addr: string | null = null;
  nh_sysid = 0;
  /** (z) */
  nh_state = 0;
  /** (z) lbolt ticks. */
  nh_idle_timeout = 0;
  /** (z) */
  nh_flags = 0;
  readonly nh_recl_cv: kcondvar_t;
  readonly nh_rpcb_cv: kcondvar_t;
  /** (l) mod_hash of vholds by vnode: a Map, created by nlm_host_create. */
  nh_vholds_by_vp: Map<vnode_t, nlm_vhold> | null = null;
  /** (l) at 0xd0. */
  readonly nh_vholds_list: TAILQ_HEAD<nlm_vhold>;
  nh_shrlist: null = null;
  constructor() {
    this.nh_lock = addr_embed(new kmutex_t('nh_lock'), this, 0);
    this.nh_link = addr_embed(new TAILQ_ENTRY<nlm_host>(this, 0x10), this, 0x10);
    this.nh_recl_cv = addr_embed(new kcondvar_t('nh_recl_cv'), this, 0xaa);
    this.nh_rpcb_cv = addr_embed(new kcondvar_t('nh_rpcb_cv'), this, 0xac);
    this.nh_vholds_list = addr_embed(new TAILQ_HEAD<nlm_vhold>('nh_vholds_list'), this, 0xd0);
  }
}

/**
 * struct nlm_globals (nlm_impl.h at 18059eae): klmmod's per-zone state. nlm_hosts_tree (an AVL
 * tree by <netid, address>) is a Map keyed by "netid|address"; nlm_hosts_hash (by sysid) a
 * Map. Deviation: klmmod's module globals nlm_hosts_cache, nlm_vhold_cache and the sysid
 * bitmap live here, so that every run of a scenario starts from a fresh module.
 */
export class nlm_globals {
  readonly lock: kmutex_t;
  grace_threshold = 0;
  lockd_pid = 0;
  run_status = NLM_ST_DOWN;
  nsm_state = 0;
  nlm_gc_thread: kthread_t | null = null;
  readonly nlm_gc_sched_cv: kcondvar_t;
  readonly nlm_gc_finish_cv: kcondvar_t;
  readonly nlm_hosts_tree = new Map<string, nlm_host>();
  readonly nlm_hosts_hash = new Map<number, nlm_host>();
  /** At 0xd0. */
  readonly nlm_idle_hosts: TAILQ_HEAD<nlm_host>;
  /** Seconds: lockd's lmargs.timout (conn_idle_timeout), 300 by default. */
  cn_idle_tmo = 5 * 60;
  /** Seconds: lockd's lmargs.grace. */
  grace_period = 90;
  /** Seconds: lockd's lmargs.retransmittimeout (lockd -t at 18059eae). */
  retrans_tmo = 5;
  /** Model: nlm_init's caches and the sysid bitmap (module globals in C). */
  nlm_hosts_cache: kmem_cache_t | null = null;
  nlm_vhold_cache: kmem_cache_t | null = null;
  readonly nlm_sysid_bmap = new Set<number>();
  nlm_sysid_nidx = 1;
  constructor() {
    this.lock = addr_embed(new kmutex_t('nlm_globals.lock'), this, 0);
    this.nlm_gc_sched_cv = addr_embed(new kcondvar_t('nlm_gc_sched_cv'), this, 0x28);
    this.nlm_gc_finish_cv = addr_embed(new kcondvar_t('nlm_gc_finish_cv'), this, 0x2a);
    this.nlm_idle_hosts = addr_embed(new TAILQ_HEAD<nlm_host>('nlm_idle_hosts'), this, 0xd0);
  }
}

/** Model: which caches a host's buffers come from (in C, the module globals). */
const hostCaches = new WeakMap<nlm_host, { host: kmem_cache_t; vhold: kmem_cache_t }>();

mod_functions(
  'klmmod',
  'nlm_gc',
  'nlm_host_findcreate',
  'nlm_host_find_locked',
  'nlm_host_find',
  'nlm_host_find_by_sysid',
  'nlm_host_release',
  'nlm_host_unregister',
  'nlm_host_destroy',
  'nlm_host_create',
  'nlm_host_gc_vholds',
  'nlm_host_has_locks',
  'nlm_host_monitor',
  'nlm_host_unmonitor',
  'nlm_host_notify_server',
  'nlm_vhold_get',
  'nlm_vhold_release',
  'nlm_svc_stopping',
  'nlm_do_lock',
  'nlm_do_unlock',
);

/**
 * nlm_init(), illumos 096e63b2^:usr/src/uts/common/klm/nlm_impl.c: the host and vhold kmem
 * caches and the sysid bitmap with sysid 0 reserved. Deviation: per nlm_globals (see there);
 * nlm_rpc_init and the zones list are not modelled.
 */
export function nlm_init(g: nlm_globals): void {
  g.nlm_hosts_cache = kmem_cache_create('nlm_host_cache', NLM_HOST_SIZE, 0, () => new nlm_host());
  g.nlm_vhold_cache = kmem_cache_create(
    'nlm_vhold_cache',
    NLM_VHOLD_SIZE,
    0,
    () => new nlm_vhold(),
  );
  g.nlm_sysid_bmap.clear();
  g.nlm_sysid_nidx = 1;
  g.nlm_sysid_bmap.add(0);
}

/**
 * nlm_kmem_reclaim(), illumos 096e63b2^:usr/src/uts/common/klm/nlm_impl.c: the host cache's
 * reclaim callback wakes the GC early. Deviation: one zone, so no lm_lck and no zones list.
 */
export function nlm_kmem_reclaim(g: nlm_globals): void {
  cv_broadcast(g.nlm_gc_sched_cv);
}

/**
 * nlm_gc(), illumos 096e63b2^:usr/src/uts/common/klm/nlm_impl.c, before the 4872 fix: every
 * idle_period ticks, destroy the idle hosts whose timeout has passed and that have no locks.
 * The global lock is dropped while a host's vholds and locks are checked; on retaking it, a
 * host that has locks *or references* is moved to the tail of the idle list. That TAILQ_REMOVE
 * is the bug: a host with references was already removed by nlm_host_find_locked.
 * Deviation: no DTrace probes; zthread_exit is the thread's return.
 */
export function* nlm_gc(g: nlm_globals): Kfn {
  let hostp: nlm_host | null;
  let now: number;
  const idle_period = SEC_TO_TICK(g.cn_idle_tmo);
  yield* mutex_enter(g.lock);
  for (;;) {
    // GC thread can be explicitly scheduled from memory reclamation function.
    yield* cv_timedwait(g.nlm_gc_sched_cv, g.lock, ddi_get_lbolt() + idle_period);

    // NLM is shutting down, time to die.
    if (g.run_status === NLM_ST_STOPPING) break;

    now = ddi_get_lbolt();

    // Handle all hosts that are unused at the moment until we meet one with idle timeout
    // in future.
    while ((hostp = idle_first(g)) !== null) {
      let has_locks = false;

      if (hostp.nh_idle_timeout > now) break;

      // Drop global lock while doing expensive work on this host.
      yield* mutex_exit(g.lock);
      yield* mutex_enter(hostp.nh_lock);

      nlm_host_gc_vholds(hostp);
      has_locks = nlm_host_has_locks(hostp);

      yield* mutex_exit(hostp.nh_lock);
      yield* mutex_enter(g.lock);

      // Somebody could take the host, add a lock and release it back: the idle timeout is
      // renewed and our information about locks on the host is outdated.
      if (hostp.nh_idle_timeout > now) continue;

      // Either the host has locks or somebody has begun to use it while we were outside the
      // critical section. In both cases renew its timeout and put it at the end of the list.
      if (has_locks || hostp.nh_refs > 0) {
        TAILQ_REMOVE(g.nlm_idle_hosts, hostp, 'nh_link', NLM_IMPL_C, 418);
        hostp.nh_idle_timeout = now + idle_period;
        TAILQ_INSERT_TAIL(g.nlm_idle_hosts, hostp, 'nh_link', NLM_IMPL_C, 421);
        continue;
      }

      // No locks, unused, untouched for cn_idle_tmo seconds: destroy it.
      nlm_host_unregister(g, hostp);
      yield* mutex_exit(g.lock);

      nlm_host_unmonitor(g, hostp);
      nlm_host_destroy(g, hostp);
      yield* mutex_enter(g.lock);
      if (g.run_status === NLM_ST_STOPPING) break;
    }
  }

  // Let others know that GC has died.
  g.nlm_gc_thread = null;
  yield* mutex_exit(g.lock);

  cv_broadcast(g.nlm_gc_finish_cv);
}

/**
 * Model helper: TAILQ_FIRST(&g->nlm_idle_hosts) as a host pointer that nlm_gc then reads
 * (illumos 096e63b2^:usr/src/uts/common/klm/nlm_impl.c). A bad pointer there (which the model
 * never produced) would fault on reading nh_idle_timeout (at 0xa0), as the CPU would.
 */
function idle_first(g: nlm_globals): nlm_host | null {
  const p = TAILQ_FIRST(g.nlm_idle_hosts);
  if (p instanceof bad_ptr) return die(p.addr + 0xa0n, { name: '%rax', value: p.addr });
  return p;
}

/**
 * nlm_vhold_get(), illumos 096e63b2^:usr/src/uts/common/klm/nlm_impl.c: find the host's vhold
 * for vp (taking a reference) or create one, allocating outside nh_lock and checking again.
 * Deviation: no VN_HOLD (vnodes are not reference counted in the model); nv_slreqs is not
 * modelled.
 */
export function* nlm_vhold_get(hostp: nlm_host, vp: vnode_t): Kfn<nlm_vhold> {
  let nvp: nlm_vhold | null;
  let new_nvp: nlm_vhold | null = null;

  yield* mutex_enter(hostp.nh_lock);
  nvp = nlm_vhold_find_locked(hostp, vp);
  if (nvp === null) {
    // nlm_vhold wasn't found, then create a new one.
    yield* mutex_exit(hostp.nh_lock);
    const fresh: nlm_vhold = yield* kmem_cache_alloc<nlm_vhold>(
      hostCaches.get(hostp)!.vhold,
      KM_SLEEP,
    );
    new_nvp = fresh;

    // Check if another thread has already created the same nlm_vhold.
    yield* mutex_enter(hostp.nh_lock);
    nvp = nlm_vhold_find_locked(hostp, vp);
    if (nvp === null) {
      nvp = fresh;
      new_nvp = null;
      nvp.nv_vp = vp;
      nvp.nv_refcnt = 1;
      VERIFY(
        !hostp.nh_vholds_by_vp!.has(vp),
        'mod_hash_insert(hostp->nh_vholds_by_vp, (mod_hash_key_t)vp, (mod_hash_val_t)nvp) == 0',
        NLM_IMPL_C,
        985,
      );
      hostp.nh_vholds_by_vp!.set(vp, nvp);
      TAILQ_INSERT_TAIL(hostp.nh_vholds_list, nvp, 'nv_link', NLM_IMPL_C, 987);
    }
  }
  yield* mutex_exit(hostp.nh_lock);
  if (new_nvp !== null) kmem_cache_free(hostCaches.get(hostp)!.vhold, new_nvp);
  return nvp;
}

/** nlm_vhold_release(), illumos 096e63b2^:usr/src/uts/common/klm/nlm_impl.c: drop a vhold reference under nh_lock. */
export function* nlm_vhold_release(hostp: nlm_host, nvp: nlm_vhold | null): Kfn {
  if (nvp === null) return;
  yield* mutex_enter(hostp.nh_lock);
  ASSERT(nvp.nv_refcnt > 0, 'nvp->nv_refcnt > 0', NLM_IMPL_C, 1008);
  nvp.nv_refcnt--;
  yield* mutex_exit(hostp.nh_lock);
}

/** nlm_vhold_clean(), illumos 096e63b2^:usr/src/uts/common/klm/nlm_impl.c: cleanlocks for the sysid. Deviation: no share reservations. */
function nlm_vhold_clean(nvp: nlm_vhold, sysid: number): void {
  cleanlocks(nvp.nv_vp!, sysid);
}

/**
 * nlm_vhold_destroy(), illumos 096e63b2^:usr/src/uts/common/klm/nlm_impl.c: off the host's
 * hash and list, freed to nlm_vhold_cache. Deviation: no VN_RELE.
 */
function nlm_vhold_destroy(hostp: nlm_host, nvp: nlm_vhold): void {
  ASSERT(mutex_owned(hostp.nh_lock), 'MUTEX_HELD(&hostp->nh_lock)', NLM_IMPL_C, 1028);
  VERIFY(
    hostp.nh_vholds_by_vp!.delete(nvp.nv_vp!),
    'mod_hash_remove(hostp->nh_vholds_by_vp, (mod_hash_key_t)nvp->nv_vp, (mod_hash_val_t)&nvp) == 0',
    NLM_IMPL_C,
    1030,
  );
  TAILQ_REMOVE(hostp.nh_vholds_list, nvp, 'nv_link', NLM_IMPL_C, 1034);
  nvp.nv_vp = null;
  kmem_cache_free(hostCaches.get(hostp)!.vhold, nvp);
}

/**
 * nlm_vhold_busy(), illumos 096e63b2^:usr/src/uts/common/klm/nlm_impl.c: in use, or the
 * vnode has locks of the host's sysid. Deviation: no share reservations.
 */
function nlm_vhold_busy(hostp: nlm_host, nvp: nlm_vhold): boolean {
  ASSERT(mutex_owned(hostp.nh_lock), 'MUTEX_HELD(&hostp->nh_lock)', NLM_IMPL_C, 1055);
  if (nvp.nv_refcnt > 0) return true;
  return flk_has_remote_locks_for_sysid(nvp.nv_vp!, hostp.nh_sysid);
}

/** nlm_vhold_find_locked(), illumos 096e63b2^:usr/src/uts/common/klm/nlm_impl.c: look up by vnode and take a reference. */
export function nlm_vhold_find_locked(hostp: nlm_host, vp: vnode_t): nlm_vhold | null {
  ASSERT(mutex_owned(hostp.nh_lock), 'MUTEX_HELD(&hostp->nh_lock)', NLM_IMPL_C, 1095);
  const nvp = hostp.nh_vholds_by_vp!.get(vp) ?? null;
  if (nvp !== null) nvp.nv_refcnt++;
  return nvp;
}

/**
 * nlm_host_unregister(), illumos 096e63b2^:usr/src/uts/common/klm/nlm_impl.c (before 4872: no
 * ASSERT of NLM_NH_INIDLE): off the tree, the sysid hash and the idle list.
 */
export function nlm_host_unregister(g: nlm_globals, hostp: nlm_host): void {
  ASSERT(hostp.nh_refs === 0, 'hostp->nh_refs == 0', NLM_IMPL_C, 1141);

  g.nlm_hosts_tree.delete(hostKey(hostp.nh_netid!, hostp.nh_addr!));
  VERIFY(
    g.nlm_hosts_hash.delete(hostp.nh_sysid),
    'mod_hash_remove(g->nlm_hosts_hash, (mod_hash_key_t)(uintptr_t)hostp->nh_sysid, (mod_hash_val_t)&hostp) == 0',
    NLM_IMPL_C,
    1144,
  );
  TAILQ_REMOVE(g.nlm_idle_hosts, hostp, 'nh_link', NLM_IMPL_C, 1147);
  hostp.nh_flags &= ~NLM_NH_INIDLE;
}

/**
 * nlm_host_destroy(), illumos 096e63b2^:usr/src/uts/common/klm/nlm_impl.c: free the sysid,
 * destroy the mutex (its word becomes curthread | MUTEX_DEAD) and the condvars, and free the
 * buffer, which keeps its contents. Deviation: takes g for the model's caches and sysid
 * bitmap; no strfree/kmem_free of name, netid, address; no RPC cache.
 */
export function nlm_host_destroy(g: nlm_globals, hostp: nlm_host): void {
  ASSERT(hostp.nh_name !== null, 'hostp->nh_name != NULL', NLM_IMPL_C, 1158);
  ASSERT(hostp.nh_netid !== null, 'hostp->nh_netid != NULL', NLM_IMPL_C, 1159);
  ASSERT(
    TAILQ_EMPTY(hostp.nh_vholds_list),
    'TAILQ_EMPTY(&hostp->nh_vholds_list)',
    NLM_IMPL_C,
    1160,
  );

  if (hostp.nh_sysid !== LM_NOSYSID) nlm_sysid_free(g, hostp.nh_sysid);

  hostp.nh_vholds_by_vp = null; // mod_hash_destroy_ptrhash

  mutex_destroy(hostp.nh_lock);
  cv_destroy(hostp.nh_rpcb_cv);
  cv_destroy(hostp.nh_recl_cv);

  kmem_cache_free(g.nlm_hosts_cache!, hostp);
}

/**
 * nlm_host_notify_server(), illumos 096e63b2^:usr/src/uts/common/klm/nlm_impl.c: the client
 * restarted (or NLM stops, state 0): record its state and drop its locks on every vhold.
 * Deviation: no sleeping lock requests (nv_slreqs).
 */
export function* nlm_host_notify_server(hostp: nlm_host, state: number): Kfn {
  yield* mutex_enter(hostp.nh_lock);
  if (state !== 0) hostp.nh_state = state;
  let nvp = TAILQ_FIRST(hostp.nh_vholds_list) as nlm_vhold | null;
  while (nvp !== null) {
    nvp.nv_refcnt++;
    yield* mutex_exit(hostp.nh_lock);

    nlm_vhold_clean(nvp, hostp.nh_sysid);

    yield* mutex_enter(hostp.nh_lock);
    nvp.nv_refcnt--;
    nvp = TAILQ_NEXT(nvp, 'nv_link') as nlm_vhold | null;
  }
  yield* mutex_exit(hostp.nh_lock);
}

/**
 * nlm_host_create(), illumos 096e63b2^:usr/src/uts/common/klm/nlm_impl.c: a host from
 * nlm_host_cache with one reference, not on the idle list. Only the fields C sets are set: a
 * reused buffer keeps its old nh_link and nh_idle_timeout. Deviation: no knetconfig, no RPC
 * binding state.
 */
function* nlm_host_create(
  g: nlm_globals,
  name: string,
  netid: string,
  naddr: string,
): Kfn<nlm_host> {
  const host = yield* kmem_cache_alloc<nlm_host>(g.nlm_hosts_cache!, KM_SLEEP);
  hostCaches.set(host, { host: g.nlm_hosts_cache!, vhold: g.nlm_vhold_cache! });

  mutex_init(host.nh_lock, null, MUTEX_DEFAULT, null);
  cv_init(host.nh_rpcb_cv, null, 0, null);
  cv_init(host.nh_recl_cv, null, 0, null);

  host.nh_sysid = LM_NOSYSID;
  host.nh_refs = 1;
  host.nh_name = name;
  host.nh_netid = netid;
  host.nh_addr = naddr;

  host.nh_state = 0;
  host.nh_flags = 0;

  host.nh_vholds_by_vp = new Map();
  TAILQ_INIT(host.nh_vholds_list);
  return host;
}

/**
 * nlm_host_gc_vholds(), illumos 096e63b2^:usr/src/uts/common/klm/nlm_impl.c: destroy the
 * host's vholds that are not busy.
 */
function nlm_host_gc_vholds(hostp: nlm_host): void {
  ASSERT(mutex_owned(hostp.nh_lock), 'MUTEX_HELD(&hostp->nh_lock)', NLM_IMPL_C, 1383);
  let nvp = TAILQ_FIRST(hostp.nh_vholds_list) as nlm_vhold | null;
  while (nvp !== null) {
    if (nlm_vhold_busy(hostp, nvp)) {
      nvp = TAILQ_NEXT(nvp, 'nv_link') as nlm_vhold | null;
      continue;
    }
    const nvp_tmp = TAILQ_NEXT(nvp, 'nv_link') as nlm_vhold | null;
    nlm_vhold_destroy(hostp, nvp);
    nvp = nvp_tmp;
  }
}

/**
 * nlm_host_has_srv_locks(), illumos 096e63b2^:usr/src/uts/common/klm/nlm_impl.c: a server-side
 * lock always has a vhold, so a non-empty vhold list means locks.
 */
function nlm_host_has_srv_locks(hostp: nlm_host): boolean {
  ASSERT(mutex_owned(hostp.nh_lock), 'MUTEX_HELD(&hostp->nh_lock)', NLM_IMPL_C, 1418);
  return !TAILQ_EMPTY(hostp.nh_vholds_list);
}

/**
 * nlm_host_has_cli_locks(), illumos 096e63b2^:usr/src/uts/common/klm/nlm_impl.c. Deviation:
 * this machine is only an NLM server, so flk_sysid_has_locks(sysid | LM_SYSID_CLIENT) is
 * FALSE and nh_shrlist is NULL.
 */
function nlm_host_has_cli_locks(hostp: nlm_host): boolean {
  ASSERT(mutex_owned(hostp.nh_lock), 'MUTEX_HELD(&hostp->nh_lock)', NLM_IMPL_C, 1432);
  return hostp.nh_shrlist !== null;
}

/** nlm_host_has_locks(), illumos 096e63b2^:usr/src/uts/common/klm/nlm_impl.c: server-side or client-side locks. */
export function nlm_host_has_locks(hostp: nlm_host): boolean {
  if (nlm_host_has_srv_locks(hostp)) return true;
  return nlm_host_has_cli_locks(hostp);
}

/** Model helper: the nlm_hosts_tree key, <netid, address> (illumos 096e63b2^:usr/src/uts/common/klm/nlm_impl.c nlm_host_cmp; the port is ignored there, and the model's address has none). */
export function hostKey(netid: string, naddr: string): string {
  return `${netid}|${naddr}`;
}

/**
 * nlm_host_find_locked(), illumos 096e63b2^:usr/src/uts/common/klm/nlm_impl.c: look the host
 * up by <netid, address> under g->lock; if found, take it off the idle list (if it is there)
 * and take a reference. Deviation: no avl_index_t (the Map needs no insertion point).
 */
export function nlm_host_find_locked(
  g: nlm_globals,
  netid: string,
  naddr: string,
): nlm_host | null {
  ASSERT(mutex_owned(g.lock), 'MUTEX_HELD(&g->lock)', NLM_IMPL_C, 1560);
  const hostp = g.nlm_hosts_tree.get(hostKey(netid, naddr)) ?? null;
  if (hostp !== null) {
    // Host is inuse now. Remove it from idle hosts list if needed.
    if (hostp.nh_flags & NLM_NH_INIDLE) {
      TAILQ_REMOVE(g.nlm_idle_hosts, hostp, 'nh_link', NLM_IMPL_C, 1575);
      hostp.nh_flags &= ~NLM_NH_INIDLE;
    }
    hostp.nh_refs++;
  }
  return hostp;
}

/** nlm_host_find(), illumos 096e63b2^:usr/src/uts/common/klm/nlm_impl.c: find with a new reference, if NLM is up. */
export function* nlm_host_find(g: nlm_globals, netid: string, naddr: string): Kfn<nlm_host | null> {
  let hostp: nlm_host | null = null;
  yield* mutex_enter(g.lock);
  if (g.run_status === NLM_ST_UP) hostp = nlm_host_find_locked(g, netid, naddr);
  yield* mutex_exit(g.lock);
  return hostp;
}

/**
 * nlm_host_findcreate(), illumos 096e63b2^:usr/src/uts/common/klm/nlm_impl.c: find the host
 * (with a new reference) or create it outside g->lock and insert it, unless another thread
 * did so meanwhile (then the new one is dropped: nh_refs--, destroyed). An existing host is
 * returned at once: the blog's 30 s delay was at that return. Deviation: nlm_knc_from_netid
 * is not modelled (any netid is accepted).
 */
export function* nlm_host_findcreate(
  g: nlm_globals,
  name: string,
  netid: string,
  addr: string,
): Kfn<nlm_host | null> {
  let host: nlm_host | null;
  let newhost: nlm_host | null = null;

  yield* mutex_enter(g.lock);
  if (g.run_status !== NLM_ST_UP) {
    yield* mutex_exit(g.lock);
    return null;
  }

  host = nlm_host_find_locked(g, netid, addr);
  yield* mutex_exit(g.lock);
  if (host !== null) return host;

  // Do allocations (etc.) outside of mutex, and then check again before inserting.
  const created: nlm_host = yield* nlm_host_create(g, name, netid, addr);
  newhost = created;
  created.nh_sysid = nlm_sysid_alloc(g);
  if (created.nh_sysid !== LM_NOSYSID) {
    yield* mutex_enter(g.lock);
    host = nlm_host_find_locked(g, netid, addr);
    if (host === null) {
      host = created;
      newhost = null;
      // Insert host to the hosts AVL tree (by <netid, address>) and the hash (by sysid).
      g.nlm_hosts_tree.set(hostKey(netid, addr), host);
      VERIFY(
        !g.nlm_hosts_hash.has(host.nh_sysid),
        'mod_hash_insert(g->nlm_hosts_hash, (mod_hash_key_t)(uintptr_t)host->nh_sysid, (mod_hash_val_t)host) == 0',
        NLM_IMPL_C,
        1664,
      );
      g.nlm_hosts_hash.set(host.nh_sysid, host);
    }
    yield* mutex_exit(g.lock);
  }

  if (newhost !== null) {
    // We do not need the preallocated nlm_host: drop its reference and destroy it.
    newhost.nh_refs--;
    nlm_host_destroy(g, newhost);
  }
  return host;
}

/**
 * nlm_host_find_by_sysid(), illumos 096e63b2^:usr/src/uts/common/klm/nlm_impl.c: the host with
 * this sysid, if NLM is up, off the idle list and with a new reference, like
 * nlm_host_find_locked.
 */
export function* nlm_host_find_by_sysid(g: nlm_globals, sysid: number): Kfn<nlm_host | null> {
  let hostp: nlm_host | null = null;

  yield* mutex_enter(g.lock);
  if (g.run_status === NLM_ST_UP) {
    hostp = g.nlm_hosts_hash.get(sysid) ?? null;
    if (hostp !== null) {
      // Host is inuse now. Remove it from idle hosts list if needed.
      if (hostp.nh_flags & NLM_NH_INIDLE) {
        TAILQ_REMOVE(g.nlm_idle_hosts, hostp, 'nh_link', NLM_IMPL_C, 1711);
        hostp.nh_flags &= ~NLM_NH_INIDLE;
      }
      hostp.nh_refs++;
    }
  }
  yield* mutex_exit(g.lock);
  return hostp;
}

/**
 * nlm_host_release(), illumos 096e63b2^:usr/src/uts/common/klm/nlm_impl.c: drop a reference;
 * the last one sets the idle timeout (lbolt + cn_idle_tmo seconds) and puts the host at the
 * tail of the idle list with NLM_NH_INIDLE.
 */
export function* nlm_host_release(g: nlm_globals, hostp: nlm_host | null): Kfn {
  if (hostp === null) return;

  yield* mutex_enter(g.lock);
  ASSERT(hostp.nh_refs > 0, 'hostp->nh_refs > 0', NLM_IMPL_C, 1742);

  hostp.nh_refs--;
  if (hostp.nh_refs !== 0) {
    yield* mutex_exit(g.lock);
    return;
  }

  // The very last reference was dropped: set the idle timeout and move the host to the idle
  // hosts LRU list.
  hostp.nh_idle_timeout = ddi_get_lbolt() + SEC_TO_TICK(g.cn_idle_tmo);

  ASSERT(
    (hostp.nh_flags & NLM_NH_INIDLE) === 0,
    '(hostp->nh_flags & NLM_NH_INIDLE) == 0',
    NLM_IMPL_C,
    1758,
  );
  TAILQ_INSERT_TAIL(g.nlm_idle_hosts, hostp, 'nh_link', NLM_IMPL_C, 1759);
  hostp.nh_flags |= NLM_NH_INIDLE;
  yield* mutex_exit(g.lock);
}

/**
 * nlm_host_unmonitor(), illumos 096e63b2^:usr/src/uts/common/klm/nlm_impl.c:
 * VERIFY(nh_refs == 0), then stop statd monitoring the host. Deviation: the SM_UNMON call to
 * statd (nlm_nsm_unmon) is not modelled; it succeeds.
 */
export function nlm_host_unmonitor(_g: nlm_globals, host: nlm_host): void {
  VERIFY(host.nh_refs === 0, 'host->nh_refs == 0', NLM_IMPL_C, 1773);
  if (!(host.nh_flags & NLM_NH_MONITORED)) return;
  host.nh_flags &= ~NLM_NH_MONITORED;
}

/**
 * nlm_host_monitor(), illumos 096e63b2^:usr/src/uts/common/klm/nlm_impl.c: record the
 * client's first NSM state and set NLM_NH_MONITORED under nh_lock. Deviation: the calls to
 * statd (nlm_nsmaddr_reg, nlm_nsm_mon) are not modelled; they succeed.
 */
export function* nlm_host_monitor(_g: nlm_globals, host: nlm_host, state: number): Kfn {
  if (state !== 0 && host.nh_state === 0) host.nh_state = state;

  yield* mutex_enter(host.nh_lock);
  if (host.nh_flags & NLM_NH_MONITORED) {
    yield* mutex_exit(host.nh_lock);
    return;
  }
  host.nh_flags |= NLM_NH_MONITORED;
  yield* mutex_exit(host.nh_lock);
}

/** nlm_host_get_state(), illumos 096e63b2^:usr/src/uts/common/klm/nlm_impl.c. */
export function nlm_host_get_state(hostp: nlm_host): number {
  return hostp.nh_state;
}

/**
 * nlm_svc_starting(), illumos 096e63b2^:usr/src/uts/common/klm/nlm_impl.c, reduced to what
 * the host GC needs: create the GC thread and go NLM_ST_UP. Deviation: no statd handle
 * (nlm_nsm_init_local, SIMU_CRASH, nlm_nsm_stat), no RPC endpoint; callable from setup code
 * with the machine (`m`), as thread_create is.
 */
export function nlm_svc_starting(g: nlm_globals, m?: Machine): void {
  VERIFY(g.run_status === NLM_ST_STARTING, 'g->run_status == NLM_ST_STARTING', NLM_IMPL_C, 2289);
  VERIFY(g.nlm_gc_thread === null, 'g->nlm_gc_thread == NULL', NLM_IMPL_C, 2290);

  // Create an NLM garbage collector thread that will clean up stale vholds and hosts.
  g.nlm_gc_thread = thread_create(null, 0, nlm_gc, g, 0, null, TS_RUN, minclsyspri, m);

  // ddi_get_lbolt(), or the machine's clock when called from setup code (outside a run).
  const now = m !== undefined ? m.jiffies : ddi_get_lbolt();
  g.grace_threshold = now + SEC_TO_TICK(g.grace_period);
  g.run_status = NLM_ST_UP;
}

/**
 * nlm_svc_stopping(), illumos 096e63b2^:usr/src/uts/common/klm/nlm_impl.c: stop the GC and
 * wait for it, then drop every host's locks and destroy the idle hosts, waiting 500 ms while
 * some are busy. Deviation: no client-side cancel (nlm_client_cancel_all), no statd; the tree
 * walk is over the Map.
 */
export function* nlm_svc_stopping(g: nlm_globals): Kfn {
  yield* mutex_enter(g.lock);
  ASSERT(g.run_status === NLM_ST_STOPPING, 'g->run_status == NLM_ST_STOPPING', NLM_IMPL_C, 2377);

  // Ask NLM GC thread to exit and wait until it dies.
  cv_signal(g.nlm_gc_sched_cv);
  while (g.nlm_gc_thread !== null) yield* cv_wait(g.nlm_gc_finish_cv, g.lock);

  yield* mutex_exit(g.lock);

  while (g.nlm_hosts_tree.size > 0) {
    let busy_hosts = 0;
    for (const hostp of [...g.nlm_hosts_tree.values()]) {
      yield* nlm_host_notify_server(hostp, 0);

      yield* mutex_enter(hostp.nh_lock);
      nlm_host_gc_vholds(hostp);
      if (hostp.nh_refs > 0 || nlm_host_has_locks(hostp)) busy_hosts++;
      yield* mutex_exit(hostp.nh_lock);
    }

    // All hosts go to nlm_idle_hosts after their locks are cleaned up and their last
    // references dropped; they cannot leave it while we are stopping.
    let hostp: nlm_host | null;
    while ((hostp = idle_first(g)) !== null) {
      nlm_host_unregister(g, hostp);
      nlm_host_destroy(g, hostp);
    }

    if (busy_hosts > 0) yield* delay(SEC_TO_TICK(1) / 2); // MSEC_TO_TICK(500)
  }

  g.lockd_pid = 0;
  g.run_status = NLM_ST_DOWN;
}

/**
 * nlm_sysid_alloc(), illumos 096e63b2^:usr/src/uts/common/klm/nlm_impl.c: the next free sysid
 * from the bitmap, LM_NOSYSID when none is left. Deviation: no lm_lck (one zone, and no
 * scheduling point inside); bt_availbit is a scan.
 */
export function nlm_sysid_alloc(g: nlm_globals): number {
  if (g.nlm_sysid_nidx > LM_SYSID_MAX) g.nlm_sysid_nidx = LM_SYSID;
  if (!g.nlm_sysid_bmap.has(g.nlm_sysid_nidx)) {
    g.nlm_sysid_bmap.add(g.nlm_sysid_nidx);
    return g.nlm_sysid_nidx++;
  }
  for (let id = 1; id <= LM_SYSID_MAX; id++)
    if (!g.nlm_sysid_bmap.has(id)) {
      g.nlm_sysid_nidx = id + 1;
      g.nlm_sysid_bmap.add(id);
      return id;
    }
  return LM_NOSYSID;
}

/** nlm_sysid_free(), illumos 096e63b2^:usr/src/uts/common/klm/nlm_impl.c: clear the sysid's bit. */
export function nlm_sysid_free(g: nlm_globals, sysid: number): void {
  ASSERT(
    sysid >= LM_SYSID && sysid <= LM_SYSID_MAX,
    'sysid >= LM_SYSID && sysid <= LM_SYSID_MAX',
    NLM_IMPL_C,
    2580,
  );
  g.nlm_sysid_bmap.delete(sysid);
}
