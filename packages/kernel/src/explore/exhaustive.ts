/**
 * Bounded exhaustive search over decision points, CHESS style (Musuvathi and Qadeer,
 * "Iterative Context Bounding for Systematic Testing of Multithreaded Programs", PLDI 2007):
 * stateless re-execution, one run per schedule, schedules with 0 preemptions first, then 1,
 * up to the bound. Each run follows a forced prefix and then never preempts; every decision
 * after the prefix adds its untried alternatives to the work lists: free choices (the last
 * task blocked or exited) at the same bound, preemptions at the next one. Every schedule
 * within the bound is run exactly once.
 *
 * Strict iterative bounding: bound k starts only once every schedule of bound k - 1 ran, so
 * a find at bound k means no schedule with fewer preemptions fails. The work lists hold at
 * most `capacity` schedules (what the budget can still run); when they are full, work of the
 * highest bound goes first, as it would run last. A bound that lost work can never be
 * covered: the search runs what it kept of it and stops there, not exhausted.
 *
 * A task that just busy-waited is not chosen again while another task can run (a fairness
 * assumption, as in CHESS); otherwise a cpu_relax() loop would branch without end.
 *
 * Delay bounding (Emmi, Qadeer and Rakamaric, "Delay-Bounded Scheduling", POPL 2011) uses the
 * same strict iteration with another cost: the deterministic scheduler runs the task that ran
 * last (else the first on the runqueue), and choosing the task k places after it in runqueue
 * order, round robin, costs k delays, whether or not the last task could go on.
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
  /** The bound being run; every bound below it ran completely. */
  private level = 0;
  private pending = 1;
  /** The lowest bound that lost work to the capacity (bound + 1: none did). */
  private cutFrom: number;

  constructor(
    readonly bound: number,
    /** Most schedules that can still be run; work beyond it is not stored. */
    private capacity: number,
    /** What a bound counts: preemptions (CHESS) or delays (IDB). */
    readonly cost: 'preemption' | 'delay' = 'preemption',
  ) {
    this.work = Array.from({ length: bound + 1 }, () => []);
    this.work[0]!.push({ base: [], len: 0, alt: 0 });
    this.cutFrom = bound + 1;
  }

  /** Move past bounds whose every schedule ran (never past one that lost work). */
  private advance(): void {
    while (
      this.level <= this.bound &&
      this.work[this.level]!.length === 0 &&
      this.level < this.cutFrom
    )
      this.level++;
  }

  /** The chooser for the next schedule, or null when the search is over (see `exhausted`). */
  next(): SearchChooser | null {
    if (this.done) return null;
    const item = this.work[this.level]!.pop()!;
    this.pending--;
    this.capacity--;
    return new SearchChooser(this, item, this.level);
  }

  /** Nothing more will run: the space is covered, or the stored work of a cut bound ran. */
  get done(): boolean {
    this.advance();
    return this.level > this.bound || this.work[this.level]!.length === 0;
  }

  /** True when every schedule within the bound has been run. */
  get exhausted(): boolean {
    this.advance();
    return this.level > this.bound;
  }

  /** The highest bound whose every schedule ran, -1 when not even bound 0's did. */
  get exhaustedBound(): number {
    this.advance();
    return this.level - 1;
  }

  /** The bound of the schedules now running (the last one started). */
  get currentBound(): number {
    return this.level;
  }

  /** Some work was dropped: the bound it belonged to, or undefined. */
  get cutBound(): number | undefined {
    return this.cutFrom <= this.bound ? this.cutFrom : undefined;
  }

  /** Called by a chooser: a schedule to try later, with `level` preemptions in its prefix. */
  add(base: readonly number[], len: number, alt: number, level: number): void {
    if (level > this.bound) return;
    if (this.pending >= this.capacity) {
      // Full: keep the work that runs first. Evict from the highest bound above `level`.
      let top = this.bound;
      while (top > level && this.work[top]!.length === 0) top--;
      if (top === level) {
        this.cut(level);
        return;
      }
      this.work[top]!.pop();
      this.pending--;
      this.cut(top);
    }
    this.pending++;
    this.work[level]!.push({ base, len, alt });
  }

  private cut(level: number): void {
    if (level < this.cutFrom) this.cutFrom = level;
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
      if (this.search.cost === 'delay') {
        // Round robin from the default: the k-th other task costs k delays.
        const at = rq.indexOf(t);
        let k = 0;
        for (let s = 1; s < rq.length; s++) {
          const o = rq[(at + s) % rq.length]!;
          if (o === relaxed) continue;
          k++;
          this.search.add(this.taken, i, o.pid, this.level + k);
        }
      } else
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
