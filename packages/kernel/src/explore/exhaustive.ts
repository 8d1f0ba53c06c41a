/**
 * Bounded exhaustive search over decision points, CHESS style (Musuvathi and Qadeer,
 * "Iterative Context Bounding for Systematic Testing of Multithreaded Programs", PLDI 2007):
 * stateless re-execution, one run per schedule, schedules with 0 preemptions first, then 1,
 * up to the bound. Each run follows a forced prefix and then never preempts; every decision
 * after the prefix adds its untried alternatives to the work lists: free choices (the last
 * task blocked or exited) at the same bound, preemptions at the next one. Every schedule
 * within the bound is run exactly once.
 *
 * A task that just busy-waited is not chosen again while another task can run (a fairness
 * assumption, as in CHESS); otherwise a cpu_relax() loop would branch without end.
 */
import { LockstepUsageError } from '../report.js';
import type { Chooser, task_struct } from '../sched.js';

/** A schedule to run: base[0..len), then alt (when alt > 0), then no preemption. */
interface Item {
  readonly base: readonly number[];
  readonly len: number;
  readonly alt: number;
}

export class BoundedSearch {
  /** work[c]: schedules to run that have exactly c preemptions in their forced prefix. */
  private readonly work: Item[][];
  private level = 0;
  private pending = 1;
  /** Some alternatives were dropped to keep the work lists within the schedule budget. */
  truncated = false;

  constructor(
    readonly bound: number,
    /** Most schedules that can still be run; work beyond it is not stored. */
    private capacity: number,
  ) {
    this.work = Array.from({ length: bound + 1 }, () => []);
    this.work[0]!.push({ base: [], len: 0, alt: 0 });
  }

  /** The chooser for the next schedule, or null when the bounded space is covered. */
  next(): SearchChooser | null {
    while (this.level <= this.bound) {
      const item = this.work[this.level]!.pop();
      if (item !== undefined) {
        this.pending--;
        this.capacity--;
        return new SearchChooser(this, item, this.level);
      }
      this.level++;
    }
    return null;
  }

  /** Nothing left to run. */
  get empty(): boolean {
    return this.pending === 0;
  }

  /** True when every schedule within the bound has been run. */
  get exhausted(): boolean {
    return this.pending === 0 && !this.truncated;
  }

  /** Called by a chooser: a schedule to try later, with `level` preemptions in its prefix. */
  add(base: readonly number[], len: number, alt: number, level: number): void {
    if (level > this.bound) return;
    if (this.pending >= this.capacity) {
      this.truncated = true;
      return;
    }
    this.pending++;
    this.work[level]!.push({ base, len, alt });
  }
}

export class SearchChooser implements Chooser {
  /** The decisions of this run, shared (never changed later) by the items it adds. */
  private readonly taken: number[] = [];
  private readonly forced: number;

  constructor(
    private readonly search: BoundedSearch,
    private readonly item: Item,
    private readonly level: number,
  ) {
    this.forced = item.alt > 0 ? item.len + 1 : item.len;
  }

  choose(
    rq: readonly task_struct[],
    prev: task_struct | null,
    _step: number,
    relaxed?: task_struct | null,
  ): task_struct {
    const i = this.taken.length;
    let t: task_struct;
    if (i < this.forced) {
      const pid = i < this.item.len ? this.item.base[i]! : this.item.alt;
      t = findPid(rq, pid, i);
    } else {
      t = prev ?? rq[0]!;
      for (const o of rq) {
        if (o === t || o === relaxed) continue;
        // Continuing `prev` is the default; switching away from it is a preemption.
        this.search.add(this.taken, i, o.pid, prev === null ? this.level : this.level + 1);
      }
    }
    this.taken.push(t.pid);
    return t;
  }
}

function findPid(rq: readonly task_struct[], pid: number, i: number): task_struct {
  for (const t of rq) if (t.pid === pid) return t;
  throw new LockstepUsageError(
    `the scenario is not deterministic: re-running it took a different path at decision ${i + 1} ` +
      `(pid ${pid} is not runnable; runnable: ${rq.map((t) => `${t.comm}/${t.pid}`).join(', ')}); ` +
      'create all state inside the scenario function and use no outside randomness',
  );
}
