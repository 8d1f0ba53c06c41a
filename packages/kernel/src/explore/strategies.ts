/**
 * Choosers that drive one run each: seeded random, PCT, and replay of a recorded schedule.
 * A fresh chooser is made for every run; none of them keeps state across runs.
 */
import { LockstepUsageError } from '../report.js';
import type { Chooser, task_struct } from '../sched.js';
import { Prng } from './prng.js';

/** Uniformly random among the runnable tasks at every decision point. */
/** Switch to another runnable task at every decision point: maximal preemption, round robin. */
export const rotateChooser: Chooser = {
  choose: (rq, prev) => (prev === null ? rq[0]! : rq[(rq.indexOf(prev) + 1) % rq.length]!),
};

/** Always run the task that was queued most recently (LIFO): another fixed adversary. */
export const newestChooser: Chooser = { choose: (rq) => rq[rq.length - 1]! };

export function randomChooser(seed: number): Chooser {
  const rng = new Prng(seed);
  return { choose: (rq) => rq[rng.below(rq.length)]! };
}

/**
 * PCT (Burckhardt et al., "A Randomized Scheduler with Probabilistic Guarantees of Finding
 * Bugs", ASPLOS 2010): every task gets a random priority above `depth`; the highest-priority
 * runnable task runs. At `depth - 1` random change points among the first `steps` decision
 * points, the task about to run drops to priority i (the i-th change point), below all
 * initial priorities. A bug of depth d is found with probability >= 1/(n * k^(d-1)).
 *
 * Steps are counted in decision points, not scheduling steps: only they can interleave.
 * A task that just busy-waited yields to the others (it would otherwise spin forever at
 * top priority, a soft lockup that no real scheduler would produce).
 */
export function pctChooser(seed: number, depth: number, steps: number): Chooser {
  const rng = new Prng(seed);
  const prio = new Map<task_struct, number>();
  const changeAt: number[] = [];
  for (let i = 1; i < depth; i++) changeAt.push(rng.below(Math.max(1, steps)));
  let decision = 0;
  const priorityOf = (t: task_struct): number => {
    let p = prio.get(t);
    if (p === undefined) {
      p = depth + rng.float(); // initial priorities lie in [depth, depth + 1)
      prio.set(t, p);
    }
    return p;
  };
  const highest = (rq: readonly task_struct[], skip: task_struct | null): task_struct => {
    let best: task_struct | null = null;
    let bp = -1;
    for (const t of rq) {
      if (t === skip) continue;
      const p = priorityOf(t);
      if (p > bp) {
        bp = p;
        best = t;
      }
    }
    return best!;
  };
  return {
    choose(rq, _prev, _step, relaxed) {
      const d = decision++;
      const skip = relaxed ?? null;
      let t = highest(rq, skip);
      for (let i = 0; i < changeAt.length; i++) {
        if (changeAt[i] === d) {
          prio.set(t, i + 1);
          t = highest(rq, skip);
        }
      }
      return t;
    },
  };
}

/**
 * Follows recorded decisions. In strict mode a recorded pid that is not runnable is an
 * error (the scenario or the model changed); lenient mode, used while shrinking, falls back
 * to the default. After the last recorded decision: no preemption (prev ?? rq[0]).
 */
export class ReplayChooser implements Chooser {
  private i = 0;
  /** First decision (0-based) where lenient mode had to fall back, or -1. */
  diverged = -1;
  /** The pid that was running at each decision and could have continued (0: none). */
  readonly prevs: number[] = [];

  constructor(
    private readonly decisions: readonly number[],
    private readonly strict: boolean,
    private readonly record = false,
  ) {}

  choose(rq: readonly task_struct[], prev: task_struct | null): task_struct {
    const i = this.i++;
    if (this.record) this.prevs.push(prev === null ? 0 : prev.pid);
    if (i < this.decisions.length) {
      const pid = this.decisions[i]!;
      for (const t of rq) if (t.pid === pid) return t;
      if (this.strict)
        throw new LockstepUsageError(
          `schedule diverged at decision ${i + 1} of ${this.decisions.length}: pid ${pid} is not runnable ` +
            `(runnable: ${rq.map((t) => `${t.comm}/${t.pid}`).join(', ')}); ` +
            'the scenario or the model differs from the one the schedule was recorded with',
        );
      if (this.diverged < 0) this.diverged = i;
    }
    return prev ?? rq[0]!;
  }
}
