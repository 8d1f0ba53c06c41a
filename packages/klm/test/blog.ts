/**
 * The blog's test program against the model's NLM server: a client that locks a file, holds
 * it 2 s, unlocks, waits 3 s, for `rounds` rounds, with lockd's idle timeout and GC period
 * (cn_idle_tmo) at 1 s, no inserted delay. Each request is served in the client's thread (the
 * model has no RPC); after the last round lockd stops (nlm_svc_stopping), so a run that
 * survives ends clean.
 */

import {
  delay,
  illumos_configure,
  minclsyspri,
  mutex_enter,
  mutex_exit,
  SEC_TO_TICK,
  TS_RUN,
  thread_create,
} from '@lockstep/illumos';
import type { Kfn, Machine, Scenario } from '@lockstep/kernel';
import {
  NLM_ST_STARTING,
  NLM_ST_STOPPING,
  nlm_do_lock,
  nlm_do_unlock,
  nlm_globals,
  nlm_init,
  nlm_svc_starting,
  nlm_svc_stopping,
  type svc_req,
  vnode_t,
} from '../src/index.js';

export interface blog_options {
  queuedebug?: boolean;
  debug?: boolean;
  rounds?: number;
  /** cn_idle_tmo in seconds (the blog's `lockd -t 1` in the 2012-2013 code). Default 1. */
  idle?: number;
}

/** What the last run built, for the post-mortem. */
export interface blog_world {
  g: nlm_globals | null;
  vp: vnode_t | null;
  /** Each request's reply status, in order. */
  replies: number[];
}

export const CLIENT: svc_req = { netid: 'tcp', caller: '10.0.0.2' };

export function blog(opts: blog_options = {}): { scenario: Scenario; world: blog_world } {
  const world: blog_world = { g: null, vp: null, replies: [] };
  const rounds = opts.rounds ?? 3;
  const scenario = (m: Machine): void => {
    illumos_configure(m, { queuedebug: opts.queuedebug ?? false, debug: opts.debug ?? false });
    const g = new nlm_globals();
    nlm_init(g);
    g.cn_idle_tmo = opts.idle ?? 1;
    g.run_status = NLM_ST_STARTING;
    nlm_svc_starting(g, m);
    const vp = new vnode_t('/export/db/control');
    world.g = g;
    world.vp = vp;
    world.replies = [];
    const alock = { caller_name: 'client', fh: vp, svid: 4242 };
    thread_create(
      null,
      0,
      function* lock_test(_: null) {
        yield* delay(SEC_TO_TICK(g.grace_period)); // NLM_IN_GRACE: wait out the grace period
        for (let i = 0; i < rounds; i++) {
          const args = { block: false, exclusive: true, alock, reclaim: false, state: 1 };
          world.replies.push(yield* nlm_do_lock(g, args, CLIENT));
          yield* delay(SEC_TO_TICK(2));
          world.replies.push(yield* nlm_do_unlock(g, { alock }, CLIENT));
          yield* delay(SEC_TO_TICK(3));
        }
        yield* stop_nlm(g);
      },
      null,
      0,
      null,
      TS_RUN,
      minclsyspri,
      m,
    );
  };
  return { scenario, world };
}

/** Test helper: svcadm disable nlockmgr, lm_shutdown's path to nlm_svc_stopping. */
export function* stop_nlm(g: nlm_globals): Kfn {
  yield* mutex_enter(g.lock);
  g.run_status = NLM_ST_STOPPING;
  yield* mutex_exit(g.lock);
  yield* nlm_svc_stopping(g);
}
