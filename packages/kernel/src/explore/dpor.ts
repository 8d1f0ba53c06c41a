/**
 * DPOR with sleep sets (Flanagan and Godefroid, "Dynamic Partial-Order Reduction for Model
 * Checking Software", POPL 2005), stateless: one run per schedule, depth first. Each run
 * records one event per scheduling step: the task, and the core objects the step read and
 * wrote (track_access: locks, atomics, READ_ONCE/WRITE_ONCE, wake-ups, exits). After a run,
 * every event e_j is checked against the last earlier event e_i of another task that is
 * dependent with it and does not happen before e_j's task: at the decision before e_i, e_j's
 * task (or, if it could not run there, every task that could) is added to the backtrack set.
 * Sleep sets skip a choice whose step is independent of everything run since it was explored.
 *
 * Sound first: two steps are independent only when both are steps of tracked tasks
 * (task_struct.tracked) and neither touched state the core does not record (this_machine(),
 * wait queues, completions, timers, lists, slab, signals, ...: track_opaque). Any other
 * step is dependent on every step. Accesses are per object (every field of one object is one
 * location). A task that just busy-waited is not chosen while another can run (as in the
 * bounded search).
 */
import { type Chooser, object_name, RunAbort, type StepObserver, task_struct } from '../sched.js';

/**
 * A step. Objects are named by the order of their first access in the run (each run builds
 * its objects afresh), so names agree between runs along a shared prefix. A sleeping step
 * kept from an earlier run compares exactly only names below its `base` (those of the prefix);
 * an object it was the first to touch may have another name now, so it conflicts with any
 * access to a name at or above `base` (conservative).
 */
export interface DporEvent {
  pid: number;
  /** Index of the decision node this step was chosen at, -1 when only one task could run. */
  node: number;
  reads: number[];
  writes: number[];
  opaque: boolean;
  /** Names below this were given before the step began. */
  base: number;
}

interface DporNode {
  /** Tasks that could be chosen (pids). */
  readonly enabled: readonly number[];
  /** Asleep on entry. */
  readonly sleepIn: ReadonlySet<number>;
  readonly backtrack: Set<number>;
  readonly done: Set<number>;
  /** The first step each explored choice ran from here. */
  readonly evOf: Map<number, DporEvent>;
  chosen: number;
}

/** Two steps of one run. */
function dependent(a: DporEvent, b: DporEvent): boolean {
  if (a.pid === b.pid || a.opaque || b.opaque) return true;
  for (const w of a.writes) if (b.writes.includes(w) || b.reads.includes(w)) return true;
  for (const w of b.writes) if (a.reads.includes(w)) return true;
  return false;
}

/** A sleeping step `s` (perhaps of an earlier run) and a step `e` of this run. */
function sleepDependent(s: DporEvent, e: DporEvent): boolean {
  if (s.pid === e.pid || s.opaque || e.opaque) return true;
  const b = s.base;
  let fresh = false;
  for (const w of s.writes) {
    if (w >= b) fresh = true;
    else if (e.writes.includes(w) || e.reads.includes(w)) return true;
  }
  for (const r of s.reads) {
    if (r >= b) fresh = true;
    else if (e.writes.includes(r)) return true;
  }
  if (fresh) {
    for (const w of e.writes) if (w >= b) return true;
    for (const r of e.reads) if (r >= b) return true;
  }
  return false;
}

export class DporSearch {
  private readonly nodes: DporNode[] = [];
  private started = false;
  private finished = false;

  /** The chooser-and-observer of the next run, or null when the reduced space is covered. */
  next(): DporRun | null {
    if (this.finished) return null;
    if (!this.started) {
      this.started = true;
      return new DporRun(this.nodes);
    }
    for (let k = this.nodes.length - 1; k >= 0; k--) {
      const n = this.nodes[k]!;
      let pick = -1;
      for (const p of n.backtrack)
        if (!n.done.has(p) && !n.sleepIn.has(p)) {
          pick = p;
          break;
        }
      if (pick < 0) continue;
      this.nodes.length = k + 1;
      n.chosen = pick;
      n.done.add(pick);
      return new DporRun(this.nodes);
    }
    this.finished = true;
    return null;
  }

  get done(): boolean {
    return this.finished;
  }

  /** Race analysis of a finished (or aborted) run: grows the backtrack sets. */
  analyse(run: DporRun): void {
    run.close();
    const ev = run.events;
    const nodes = this.nodes;
    // Vector clocks: clock[j][pid] = 1 + index of the last event of pid that happens before j.
    let width = 1;
    for (const e of ev) if (e.pid + 1 > width) width = e.pid + 1;
    const clocks: Int32Array[] = [];
    const last = new Map<number, number>();
    for (let j = 0; j < ev.length; j++) {
      const ej = ev[j]!;
      const p = ej.pid;
      const lp = last.get(p);
      const base = lp === undefined ? new Int32Array(width) : clocks[lp]!;
      const c = Int32Array.from(base);
      let raced = p === 0; // timer events are no task's choice
      for (let i = j - 1; i >= 0; i--) {
        const ei = ev[i]!;
        if (ei.pid === p || !dependent(ei, ej)) continue;
        // e_i happens before e_j through the dependency.
        const ci = clocks[i]!;
        for (let x = 0; x < width; x++) if (ci[x]! > c[x]!) c[x] = ci[x]!;
        if (!raced && base[ei.pid]! <= i) {
          raced = true;
          if (ei.node >= 0) {
            const n = nodes[ei.node]!;
            if (n.enabled.includes(p)) n.backtrack.add(p);
            else for (const q of n.enabled) n.backtrack.add(q);
          }
        }
      }
      c[p] = j + 1;
      clocks.push(c);
      last.set(p, j);
    }
  }
}

/** One run of a DPOR search: its chooser and its step observer. */
export class DporRun implements Chooser, StepObserver {
  readonly events: DporEvent[] = [];
  private cur: DporEvent | null = null;
  private decision = 0;
  /** choose() just ran: the next step is the one chosen at node decision - 1. */
  private justChose = false;
  /** Sleeping tasks and the step each would run. */
  private sleep = new Map<number, DporEvent>();

  constructor(private readonly nodes: DporNode[]) {}

  /** End the current event: record it and wake the sleepers it depends on. */
  close(): void {
    const e = this.cur;
    if (e === null) return;
    this.cur = null;
    this.events.push(e);
    let z = this.sleep;
    if (e.node >= 0) {
      const n = this.nodes[e.node]!;
      if (!n.evOf.has(e.pid)) n.evOf.set(e.pid, e);
      // Siblings explored before this choice sleep too (FG: sleep(s) grows with done).
      z = new Map(z);
      for (const p of n.done) if (p !== e.pid) z.set(p, n.evOf.get(p)!);
    }
    const out = new Map<number, DporEvent>();
    for (const [p, s] of z) if (!sleepDependent(s, e)) out.set(p, s);
    this.sleep = out;
  }

  choose(
    rq: readonly task_struct[],
    prev: task_struct | null,
    _step: number,
    relaxed?: task_struct | null,
  ): task_struct {
    this.close();
    const d = this.decision++;
    this.justChose = true;
    let n = this.nodes[d];
    if (n === undefined) {
      const enabled: number[] = [];
      for (const t of rq) if (t !== relaxed) enabled.push(t.pid);
      const sleepIn = new Set(this.sleep.keys());
      let pick = -1;
      if (prev !== null && prev !== relaxed && !sleepIn.has(prev.pid)) pick = prev.pid;
      else
        for (const p of enabled)
          if (!sleepIn.has(p)) {
            pick = p;
            break;
          }
      if (pick < 0) throw new RunAbort('sleep set blocked');
      n = {
        enabled,
        sleepIn,
        backtrack: new Set([pick]),
        done: new Set([pick]),
        evOf: new Map(),
        chosen: pick,
      };
      this.nodes.push(n);
    }
    for (const t of rq) if (t.pid === n.chosen) return t;
    throw new Error(
      `lockstep internal error: DPOR replay diverged at decision ${d + 1} (pid ${n.chosen} not runnable); the scenario is not deterministic`,
    );
  }

  begin(t: task_struct): void {
    this.close();
    const node = this.justChose ? this.decision - 1 : -1;
    this.justChose = false;
    // Only this task can run, and its step is asleep: everything from here was seen.
    if (node < 0 && this.sleep.has(t.pid)) throw new RunAbort('sleep set blocked');
    this.cur = {
      pid: t.pid,
      node,
      reads: [],
      writes: [-t.pid],
      opaque: !t.tracked,
      base: this.nextName,
    };
  }

  private readonly names = new Map<object, number>();
  private nextName = 0;

  access(obj: object, write: boolean): void {
    const e = this.cur;
    if (e === null) return;
    // Tasks by pid, core objects by object_seq (the same in every run), others by first access.
    let n = this.names.get(obj);
    if (n === undefined) n = object_name(obj);
    if (n === undefined && obj instanceof task_struct) n = -obj.pid;
    else if (n === undefined) {
      n = this.nextName++;
      this.names.set(obj, n);
    }
    if (write) {
      if (!e.writes.includes(n)) e.writes.push(n);
    } else if (!e.reads.includes(n) && !e.writes.includes(n)) e.reads.push(n);
  }

  opaque(): void {
    if (this.cur !== null) this.cur.opaque = true;
  }
}
