/** Every reproducer, by id, in the order of the series. */
import { LockstepUsageError, replay } from '@lockstep/kernel';
import { grantCallbackSvcWakeUpUaf } from './repros/grant_callback_svc_wake_up_uaf.js';
import { lockdDownBeforeLockdRan } from './repros/lockd_down_before_lockd_ran.js';
import { lockdDownKthreadStopLostWakeup } from './repros/lockd_down_kthread_stop_lost_wakeup.js';
import { lockdDownSlowExitSecondLockd } from './repros/lockd_down_slow_exit_second_lockd.js';
import { lockdFreezerIdle } from './repros/lockd_freezer_idle.js';
import { lockdStartDoneReuse } from './repros/lockd_start_done_reuse.js';
import { lockdSurvivesLastUmount } from './repros/lockd_survives_last_umount.js';
import { suspendDuringGrantedPing } from './repros/suspend_during_granted_ping.js';
import { svcExitThreadNullDeref } from './repros/svc_exit_thread_null_deref.js';
import { svcSockUpdateBufsUnknownSymbol } from './repros/svc_sock_update_bufs_unknown_symbol.js';
import { outcomeOf } from './run.js';
import type { Outcome, Reproducer, ReproOptions } from './types.js';

export const reproducers: readonly Reproducer[] = Object.freeze([
  svcExitThreadNullDeref,
  svcSockUpdateBufsUnknownSymbol,
  lockdStartDoneReuse,
  lockdFreezerIdle,
  lockdDownSlowExitSecondLockd,
  grantCallbackSvcWakeUpUaf,
  lockdDownBeforeLockdRan,
  suspendDuringGrantedPing,
  lockdDownKthreadStopLostWakeup,
  lockdSurvivesLastUmount,
]);

const byId = new Map(reproducers.map((r) => [r.id, r]));

export function reproducerIds(): string[] {
  return reproducers.map((r) => r.id);
}

/** The reproducer with this id; an unknown id is a usage error that lists the valid ones. */
export function getReproducer(id: string): Reproducer {
  const r = byId.get(id);
  if (r === undefined)
    throw new LockstepUsageError(
      `unknown reproducer '${id}'; valid ids: ${reproducerIds().join(', ')}`,
    );
  return r;
}

/** The reproducers with these ids, in the order given (all of them for none); checks all first. */
export function selectReproducers(ids: readonly string[]): Reproducer[] {
  if (ids.length === 0) return [...reproducers];
  const unknown = ids.filter((id) => !byId.has(id));
  if (unknown.length > 0)
    throw new LockstepUsageError(
      `unknown reproducer${unknown.length > 1 ? 's' : ''} ${unknown.map((u) => `'${u}'`).join(', ')}; ` +
        `valid ids: ${reproducerIds().join(', ')}`,
    );
  return [...new Set(ids)].map((id) => byId.get(id)!);
}

/**
 * Run one reproducer and time it. A JavaScript error escaping the run (not a kernel report)
 * becomes status 'error', so one broken reproducer does not hide the others' outcomes.
 */
export function runReproducer(r: Reproducer, opts: ReproOptions = {}): Outcome {
  const t0 = performance.now();
  let out: Outcome;
  try {
    out = r.run(opts);
  } catch (e) {
    if (e instanceof LockstepUsageError) throw e;
    const err = e instanceof Error ? e : new Error(String(e));
    out = { id: r.id, status: 'error', error: `${err.name}: ${err.message}\n${err.stack ?? ''}` };
  }
  out.ms = Math.round(performance.now() - t0);
  return out;
}

/**
 * Run reproducers one after the other. `budgetMs` is the budget of the whole batch: each
 * reproducer's explorations get what is left of it (at least 1 ms).
 */
export function runReproducers(
  list: readonly Reproducer[],
  opts: { budgetMs?: number; onOutcome?: (o: Outcome) => void } = {},
): Outcome[] {
  if (opts.budgetMs !== undefined && !(Number.isFinite(opts.budgetMs) && opts.budgetMs > 0))
    throw new LockstepUsageError(
      `budget must be a positive number of milliseconds, got ${String(opts.budgetMs)}`,
    );
  const deadline = opts.budgetMs === undefined ? undefined : Date.now() + opts.budgetMs;
  const outs: Outcome[] = [];
  for (const r of list) {
    const ro: ReproOptions = {};
    if (deadline !== undefined) ro.budgetMs = Math.max(1, deadline - Date.now());
    const o = runReproducer(r, ro);
    opts.onOutcome?.(o);
    outs.push(o);
  }
  return outs;
}

/** Run a reproducer's scenario once under a schedule string (one its outcome reported). */
export function replayReproducer(id: string, schedule: string): Outcome {
  const r = getReproducer(id);
  const t0 = performance.now();
  const out = outcomeOf(id, replay(r.scenario, schedule, { machine: r.machine }), schedule);
  out.ms = Math.round(performance.now() - t0);
  return out;
}
