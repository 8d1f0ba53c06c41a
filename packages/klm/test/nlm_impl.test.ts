/**
 * Host bookkeeping in nlm_impl.c at 096e63b2^: references, idle-list membership and the idle
 * timeout; the GC destroying an idle host past its timeout (and keeping one with locks); the
 * blog's program under the default schedule, which never shows the race.
 */

import {
  ddi_get_lbolt,
  delay,
  illumos_machine,
  kmem_buf_is_free,
  MUTEX_DEAD,
  MUTEX_OWNER,
  mdb_walk_tailq_forward,
  minclsyspri,
  SEC_TO_TICK,
  TAILQ_FIRST,
  TS_RUN,
  thread_create,
} from '@lockstep/illumos';
import type { Kfn, Machine } from '@lockstep/kernel';
import { describe, expect, it } from 'vitest';
import {
  NLM_NH_INIDLE,
  NLM_NH_MONITORED,
  NLM_ST_STARTING,
  nlm_do_lock,
  nlm_do_unlock,
  nlm_globals,
  nlm_host_find_by_sysid,
  nlm_host_findcreate,
  nlm_host_release,
  nlm_init,
  nlm_svc_starting,
  nlm4_denied,
  nlm4_denied_grace_period,
  nlm4_granted,
  vnode_t,
} from '../src/index.js';
import { blog, stop_nlm } from './blog.js';

/** An NLM server (GC period and idle timeout `idle` s) and one thread running `body`. */
function server(idle: number, body: (g: nlm_globals) => Kfn, opts = { debug: true }) {
  const m: Machine = illumos_machine(opts);
  const g = new nlm_globals();
  nlm_init(g);
  g.cn_idle_tmo = idle;
  g.grace_period = 1;
  g.run_status = NLM_ST_STARTING;
  nlm_svc_starting(g, m);
  thread_create(
    null,
    0,
    function* test_thread(_: null) {
      yield* body(g);
      yield* stop_nlm(g);
    },
    null,
    0,
    null,
    TS_RUN,
    minclsyspri,
    m,
  );
  return { m, g, r: () => m.run() };
}

const onIdle = (g: nlm_globals) => mdb_walk_tailq_forward(g.nlm_idle_hosts, 'nh_link').addrs.length;

describe('nlm_host_findcreate / nlm_host_release', () => {
  it('a new host has one reference and is not idle; release makes it idle with a timeout', () => {
    const seen: Record<string, unknown> = {};
    const { r } = server(300, function* (g) {
      yield* delay(SEC_TO_TICK(7));
      const h = (yield* nlm_host_findcreate(g, 'client', 'tcp', '10.0.0.2'))!;
      seen.created = { refs: h.nh_refs, flags: h.nh_flags, idle: onIdle(g), sysid: h.nh_sysid };
      expect(g.nlm_hosts_tree.size).toBe(1);
      expect(g.nlm_hosts_hash.get(h.nh_sysid)).toBe(h);

      const again = (yield* nlm_host_findcreate(g, 'client', 'tcp', '10.0.0.2'))!;
      expect(again).toBe(h);
      seen.twice = h.nh_refs;

      yield* nlm_host_release(g, h);
      seen.oneLeft = { refs: h.nh_refs, flags: h.nh_flags, idle: onIdle(g) };

      yield* nlm_host_release(g, h);
      seen.released = {
        refs: h.nh_refs,
        inidle: (h.nh_flags & NLM_NH_INIDLE) !== 0,
        first: TAILQ_FIRST(g.nlm_idle_hosts) === h,
        timeout: h.nh_idle_timeout - ddi_get_lbolt(),
      };

      // Found again: off the idle list, INIDLE clear, one reference; the timeout stays stale.
      const third = (yield* nlm_host_findcreate(g, 'client', 'tcp', '10.0.0.2'))!;
      seen.refound = {
        same: third === h,
        refs: h.nh_refs,
        inidle: (h.nh_flags & NLM_NH_INIDLE) !== 0,
        idle: onIdle(g),
      };
      yield* nlm_host_release(g, h);

      // By sysid (nlm_host_find_by_sysid): the same bookkeeping.
      const bysysid = (yield* nlm_host_find_by_sysid(g, h.nh_sysid))!;
      seen.bysysid = { same: bysysid === h, refs: h.nh_refs, idle: onIdle(g) };
      yield* nlm_host_release(g, h);

      // Another address is another host, with the next sysid.
      const other = (yield* nlm_host_findcreate(g, 'other', 'tcp', '10.0.0.3'))!;
      seen.other = { sysid: other.nh_sysid, distinct: other !== h };
      yield* nlm_host_release(g, other);
      seen.idleOrder = onIdle(g);
    });
    expect(r().outcome).toBe('clean');
    expect(seen).toEqual({
      created: { refs: 1, flags: 0, idle: 0, sysid: 1 },
      twice: 2,
      oneLeft: { refs: 1, flags: 0, idle: 0 },
      released: { refs: 0, inidle: true, first: true, timeout: SEC_TO_TICK(300) },
      refound: { same: true, refs: 1, inidle: false, idle: 0 },
      bysysid: { same: true, refs: 1, idle: 0 },
      other: { sysid: 2, distinct: true },
      idleOrder: 2,
    });
  });

  it('nlm_do_lock/nlm_do_unlock take and release host references; a lock is held by the sysid', () => {
    const seen: unknown[] = [];
    const vp = new vnode_t('/export/f');
    const alock = { caller_name: 'client', fh: vp, svid: 7 };
    const { r } = server(300, function* (g) {
      const lk = { block: false, exclusive: true, alock, reclaim: false, state: 1 };
      seen.push(yield* nlm_do_lock(g, lk, { netid: 'tcp', caller: '10.0.0.2' })); // in grace
      yield* delay(SEC_TO_TICK(1));
      seen.push(yield* nlm_do_lock(g, lk, { netid: 'tcp', caller: '10.0.0.2' }));
      const h = g.nlm_hosts_tree.get('tcp|10.0.0.2')!;
      seen.push({
        refs: h.nh_refs,
        monitored: (h.nh_flags & NLM_NH_MONITORED) !== 0,
        locks: [...vp.v_locks],
        state: h.nh_state,
      });
      // Another client is refused (EAGAIN → nlm4_denied).
      const other = { caller_name: 'other', fh: vp, svid: 9 };
      seen.push(
        yield* nlm_do_lock(g, { ...lk, alock: other }, { netid: 'tcp', caller: '10.0.0.3' }),
      );
      seen.push(yield* nlm_do_unlock(g, { alock }, { netid: 'tcp', caller: '10.0.0.2' }));
      seen.push({ refs: h.nh_refs, locks: [...vp.v_locks], idle: onIdle(g) });
    });
    expect(r().outcome).toBe('clean');
    expect(seen).toEqual([
      nlm4_denied_grace_period,
      nlm4_granted,
      { refs: 0, monitored: true, locks: ['1:7'], state: 1 },
      nlm4_denied,
      nlm4_granted,
      { refs: 0, locks: [], idle: 2 },
    ]);
  });
});

describe('nlm_gc', () => {
  it('destroys an idle host past its timeout: freed buffer, mutex word = the GC thread | MUTEX_DEAD', () => {
    const seen: Record<string, unknown> = {};
    const { g, r } = server(300, function* (g) {
      const h = (yield* nlm_host_findcreate(g, 'client', 'tcp', '10.0.0.2'))!;
      yield* nlm_host_release(g, h); // at tick 0: idle until 30000
      yield* delay(SEC_TO_TICK(300) - 1);
      seen.before = { tree: g.nlm_hosts_tree.size, idle: onIdle(g) };
      yield* delay(2); // the GC's pass at tick 30000 has run
      seen.after = {
        tree: g.nlm_hosts_tree.size,
        hash: g.nlm_hosts_hash.size,
        idle: onIdle(g),
        free: kmem_buf_is_free(g.nlm_hosts_cache!, h),
        dead: (h.nh_lock.m_owner & MUTEX_DEAD) === MUTEX_DEAD,
        owner: MUTEX_OWNER(h.nh_lock) === g.nlm_gc_thread!.addr,
        inidle: (h.nh_flags & NLM_NH_INIDLE) !== 0,
      };
    });
    expect(r().outcome).toBe('clean');
    expect(seen).toEqual({
      before: { tree: 1, idle: 1 },
      after: { tree: 0, hash: 0, idle: 0, free: true, dead: true, owner: true, inidle: false },
    });
    expect(g.nlm_gc_thread).toBeNull(); // it exited when NLM stopped
  });

  it('keeps a host with a lock (renewing its timeout), destroys it after the unlock', () => {
    const seen: unknown[] = [];
    const vp = new vnode_t('/export/f');
    const alock = { caller_name: 'client', fh: vp, svid: 7 };
    const sr = { netid: 'tcp', caller: '10.0.0.2' };
    const { r } = server(1, function* (g) {
      yield* delay(SEC_TO_TICK(1) + 50); // out of grace, between two GC passes
      yield* nlm_do_lock(g, { block: false, exclusive: true, alock, reclaim: false, state: 1 }, sr);
      const h = g.nlm_hosts_tree.get('tcp|10.0.0.2')!;
      seen.push(h.nh_idle_timeout);
      yield* delay(SEC_TO_TICK(3)); // three GC passes, each moving it to the tail
      seen.push({
        tree: g.nlm_hosts_tree.size,
        timeout: h.nh_idle_timeout,
        vholds: !!h.nh_vholds_list.tqh_first,
      });
      yield* nlm_do_unlock(g, { alock }, sr);
      yield* delay(SEC_TO_TICK(2));
      seen.push({ tree: g.nlm_hosts_tree.size, idle: onIdle(g) });
    });
    expect(r().outcome).toBe('clean');
    expect(seen).toEqual([250, { tree: 1, timeout: 500, vholds: true }, { tree: 0, idle: 0 }]);
  });
});

describe("the blog's program under the default schedule", () => {
  it('ends clean: every request granted, every host destroyed in time, no race', () => {
    for (const queuedebug of [false, true]) {
      const { scenario, world } = blog({ queuedebug, rounds: 3 });
      const m = illumos_machine({ queuedebug });
      scenario(m);
      const r = m.run();
      expect(r.outcome).toBe('clean');
      expect(world.replies).toEqual(Array(6).fill(nlm4_granted));
      expect(world.g!.nlm_hosts_tree.size).toBe(0);
      // grace 90 s, then 3 rounds of 5 s, then stop.
      expect(r.jiffies).toBe(SEC_TO_TICK(90 + 3 * 5));
    }
  });
});
