/**
 * The race of illumos 4872, found by the explorer with no inserted delay: the blog's client
 * (lock, hold 2 s, unlock, wait 3 s) against nlm_gc with a 1 s idle timeout and period, on
 * ILLUMOS_MACHINE. The unlock request and a GC pass fall on the same tick; the GC drops
 * g->lock to check the host's locks, the unlock's nlm_host_findcreate takes the host off the
 * idle list (nh_refs = 1), and the GC, back under g->lock, sees nh_refs > 0 and removes the
 * host a second time.
 */

import {
  addr_of,
  fmt_ptr,
  ILLUMOS_MACHINE,
  MUTEX_DEAD,
  MUTEX_OWNER,
  mdb_mutex,
  mdb_walk_tailq_backward,
  mdb_walk_tailq_forward,
} from '@lockstep/illumos';
import { type ExploreOptions, explore, replay } from '@lockstep/kernel';
import { describe, expect, it } from 'vitest';
import { NLM_NH_INIDLE, type nlm_host } from '../src/index.js';
import { blog } from './blog.js';

const BAD_TRAP = 'panic: BAD TRAP: type=e (#pf Page fault) in nlm_gc';
const BAD_MUTEX = 'panic: mutex_enter: bad mutex in nlm_gc';

function find(queuedebug: boolean, rounds: number, opts: ExploreOptions) {
  const { scenario, world } = blog({ queuedebug, rounds });
  const res = explore(scenario, { machine: ILLUMOS_MACHINE, ...opts });
  return { res, scenario, world };
}

describe('with QUEUEDEBUG: the second TAILQ_REMOVE faults', () => {
  it('PCT finds the BAD TRAP at 0x19 in nlm_gc, module klmmod, a register holding 1', () => {
    const { res, scenario, world } = find(true, 3, { strategy: 'pct', seed: 1, depth: 3 });
    expect(res.found?.report.title).toBe(BAD_TRAP);
    const rep = res.found!.report;
    expect(rep.headline).toMatch(
      /BAD TRAP: type=e \(#pf Page fault\) rp=[0-9a-f]+ addr=19 occurred in module "klmmod" due to a NULL pointer dereference$/,
    );
    expect(rep.text).toContain('%rdx = 0x0000000000000001');
    expect(rep.text).toContain(
      ['> ::stack', 'vpanic()', 'die+0x0()', 'trap+0x0()', 'cmntrap+0x0()', 'nlm_gc+0x0()'].join(
        '\n',
      ),
    );
    // The replay ends the same way, at the tick of an unlock (a GC pass falls on it too).
    const again = replay(scenario, res.found!.schedule, { machine: ILLUMOS_MACHINE });
    expect(again.report?.title).toBe(BAD_TRAP);
    expect(again.jiffies % 500).toBe(200); // 90 s of grace, then rounds of 5 s: unlock at +2 s
    const g = world.g!;
    const h = g.nlm_hosts_tree.get('tcp|10.0.0.2')!;
    expect(h.nh_refs).toBe(1); // the unlock request's reference
    expect(h.nh_flags & NLM_NH_INIDLE).toBe(0); // nlm_host_find_locked cleared it
    console.log(
      `QUEUEDEBUG, PCT seed 1 depth 3: run ${res.found!.runIndex + 1} of ${res.schedules}, ` +
        `${res.found!.preemptions} preemptions, schedule ${res.found!.schedule}`,
    );
  });

  it('random search finds it too', () => {
    const { res } = find(true, 3, { strategy: 'random', seed: 1, maxSchedules: 5000 });
    expect(res.found?.report.title).toBe(BAD_TRAP);
    console.log(`QUEUEDEBUG, random seed 1: run ${res.found!.runIndex + 1}`);
  });

  it('bounded exhaustive search (one round) finds it at preemption bound 2, not below', () => {
    const { res } = find(true, 1, { strategy: 'exhaustive', preemptionBound: 2 });
    expect(res.found?.report.title).toBe(BAD_TRAP);
    expect(res.found?.bound).toBe(2);
    expect(res.exhaustedBound).toBe(1);
    console.log(`QUEUEDEBUG, exhaustive bound 2, 1 round: schedule ${res.schedules}`);
  });
});

describe('without QUEUEDEBUG: the corrupted idle list leads to the bad mutex', () => {
  it('PCT finds "mutex_enter: bad mutex" in nlm_gc on a host the GC destroyed', () => {
    const { res, scenario, world } = find(false, 3, { strategy: 'pct', seed: 1, depth: 3 });
    expect(res.found?.report.title).toBe(BAD_MUTEX);
    const again = replay(scenario, res.found!.schedule, { machine: ILLUMOS_MACHINE });
    expect(again.report?.title).toBe(BAD_MUTEX);
    const g = world.g!;
    const gc = g.nlm_gc_thread!;
    const h = g.nlm_idle_hosts.tqh_first as nlm_host;
    // The console line: lp is the first idle host's nh_lock, owner (low bits masked) and
    // thread are the nlm_gc thread.
    expect(again.report!.headline).toBe(
      `panic[cpu0]/thread=${fmt_ptr(gc.addr)}: mutex_enter: bad mutex, lp=${fmt_ptr(addr_of(h))} owner=${fmt_ptr(gc.addr)} thread=${fmt_ptr(gc.addr)}`,
    );
    // The post-mortem of the blog: the word is the GC thread | 6; the host lacks INIDLE; it
    // is free in nlm_host_cache; the idle list loops forward at a self-linked element. With
    // one client the list holds only that element, so tqh_last points into it too and the
    // backward walk loops as well (the blog's server had other idle hosts behind it).
    expect(h.nh_lock.m_owner).toBe(gc.addr | MUTEX_DEAD);
    expect(MUTEX_OWNER(h.nh_lock)).toBe(gc.addr);
    expect(mdb_mutex(h.nh_lock)).toContain(`opaque=${fmt_ptr(gc.addr | 6n)}`);
    expect(h.nh_flags & NLM_NH_INIDLE).toBe(0);
    expect(g.nlm_hosts_cache!.freelist).toContain(h);
    expect(h.nh_link.tqe_next).toBe(h); // self-linked
    const fwd = mdb_walk_tailq_forward(g.nlm_idle_hosts, 'nh_link');
    expect(fwd.end).toBe('loop');
    expect(fwd.at).toBe(fmt_ptr(addr_of(h)));
    expect(mdb_walk_tailq_backward(g.nlm_idle_hosts)).toEqual({
      addrs: [fmt_ptr(addr_of(h))],
      end: 'loop',
      at: fmt_ptr(addr_of(h)),
    });
    console.log(
      `no QUEUEDEBUG, PCT seed 1 depth 3: run ${res.found!.runIndex + 1} of ${res.schedules}, ` +
        `tick ${again.jiffies}, schedule ${res.found!.schedule}`,
    );
  });

  it('random search and bounded exhaustive search find the same panic', () => {
    const r = find(false, 3, { strategy: 'random', seed: 1, maxSchedules: 5000 }).res;
    expect(r.found?.report.title).toBe(BAD_MUTEX);
    const x = find(false, 1, { strategy: 'exhaustive', preemptionBound: 2 }).res;
    expect(x.found?.report.title).toBe(BAD_MUTEX);
    expect(x.found?.bound).toBe(2);
    console.log(
      `no QUEUEDEBUG: random run ${r.found!.runIndex + 1}; exhaustive bound 2 schedule ${x.schedules}`,
    );
  });

  it('DPOR (one round) finds it as well', () => {
    const { res } = find(false, 1, { strategy: 'dpor', maxSchedules: 20000 });
    expect(res.found?.report.title).toBe(BAD_MUTEX);
    console.log(`no QUEUEDEBUG: DPOR schedule ${res.found!.runIndex + 1}`);
  });
});

describe('with QUEUEDEBUG, DPOR', () => {
  it('(one round) finds the BAD TRAP', () => {
    const { res } = find(true, 1, { strategy: 'dpor', maxSchedules: 20000 });
    expect(res.found?.report.title).toBe(BAD_TRAP);
    console.log(`QUEUEDEBUG: DPOR schedule ${res.found!.runIndex + 1}`);
  });
});
