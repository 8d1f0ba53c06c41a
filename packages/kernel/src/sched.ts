/**
 * The deterministic scheduler: tasks are generators, and they can only be switched at
 * scheduling points (a `yield` inside a primitive). Virtual time (jiffies) moves only when
 * no task is runnable, so long sleeps and timeouts cost nothing.
 *
 * Model code reads `current` and `jiffies` like kernel code does: they are live ESM bindings
 * that the scheduler updates as it switches tasks and advances time.
 */
import { ERESTARTSYS } from './errno.js';
import { KernelReportAbort, LockstepUsageError, type Report } from './report.js';
// A cycle (signal.ts imports this module), safe: neither module uses the other at load time.
import { signal_pending } from './signal.js';
import { type Backtrace, capture_backtrace, title_function, title_skip } from './stack.js';

/** DPOR names given by object_seq (kept off the objects: fields would change their C layout). */
const objectNames = new WeakMap<object, number>();

/** Task states, with the kernel's values. */
export const TASK_RUNNING = 0;
export const TASK_INTERRUPTIBLE = 1;
export const TASK_UNINTERRUPTIBLE = 2;
/** Not a kernel state: spinning on a busy spinlock (another CPU holds it). */
export const TASK_SPINNING = 0x100;
export const TASK_DEAD = 64;

/** Task flags, with the kernel's values. */
export const PF_EXITING = 0x00000004;
export const PF_FROZEN = 0x00010000;
export const PF_NOFREEZE = 0x00008000;
export const PF_KTHREAD = 0x00200000;

export const HZ = 1000;
export const MAX_SCHEDULE_TIMEOUT = Number.MAX_SAFE_INTEGER;

/** What a task yields at a scheduling point. */
export const SP_PREEMPT = 0; // may be preempted; stays runnable whatever its state
export const SP_SCHEDULE = 1; // voluntary: leaves the runqueue unless TASK_RUNNING
export const SP_RELAX = 2; // cpu_relax() in a busy loop: lets the others run first

/** A kernel function that may sleep: a generator that yields at scheduling points. */
export type Kfn<T = void> = Generator<number, T, void>;
/** A task's body. Its return value is the thread's exit code. */
export type TaskBody = () => Kfn<unknown>;

export type TaskKind = 'kthread' | 'user' | 'idle';

/** task_struct: the parts of it that the model needs. */
export class task_struct {
  state = TASK_RUNNING;
  flags = 0;
  exit_code: unknown = undefined;
  /** On the runqueue (runnable or preempted while setting up a sleep). */
  on_rq = false;
  /** Pending signals and the blocked mask, one bit per signal number. */
  pending = 0;
  blocked = 0;
  /** TIF_FREEZE: the freezer asked this task to enter the refrigerator. */
  freeze_requested = false;
  /** BKL nesting depth, -1 when not held (task_struct.lock_depth). */
  lock_depth = -1;
  /** Spinlocks held: sleeping while this is non-zero is a bug. */
  preempt_count = 0;
  /** Where the task last went to sleep, for hung-task reports. */
  sleep_bt: Backtrace = [];
  /** What it waits for, for reports ("mutex nlmsvc_mutex"). */
  wchan = '';
  /** Callbacks to run on the way back to user space (task_work). */
  task_works: Array<() => void> = [];
  /**
   * Explorer opt-in: the task's code touches shared state only through primitives that
   * record their accesses (locks, atomics, READ_ONCE/WRITE_ONCE), so DPOR may reorder its
   * steps. An untracked task's every step counts as dependent on every other step.
   */
  tracked = false;
  /** The lock this task waits for (mutex, spinlock), for deadlock reports: its owner. */
  blocked_on: { readonly owner: task_struct | null; readonly name: string } | null = null;
  /** Tasks in sys_wait4() for this one (wait_chldexit). */
  readonly wait_chldexit: task_struct[] = [];
  /** What sys_wait4() and the exit record their access to (DPOR names it by pid). */
  readonly exit_key: object = {};
  /** Core objects this task created, for their DPOR names (object_seq). */
  objseq = 0;
  /** Per-subsystem slots (lockdep held locks, kthread info, ...). */
  readonly ext: Record<string, unknown> = {};
  gen: Kfn<unknown> | null = null;

  constructor(
    readonly pid: number,
    public comm: string,
    readonly kind: TaskKind,
  ) {
    objectNames.set(this.exit_key, -(pid + 0.5));
  }

  toString(): string {
    return `${this.comm}/${this.pid}`;
  }
}

/** Picks the next task when more than one could run. */
export interface Chooser {
  /**
   * @param runnable tasks that can run, in runqueue order (length >= 2)
   * @param prev the task that ran last, when it is still runnable (continuing it is not a
   *   preemption); null when it blocked, exited or relaxed
   * @param relaxed the task that ran last when it busy-waited (cpu_relax); choosing it again
   *   only spins once more, so explorers may skip it while another task can run
   */
  choose(
    runnable: readonly task_struct[],
    prev: task_struct | null,
    step: number,
    relaxed?: task_struct | null,
  ): task_struct;
}

/** The default: never preempt; when the running task sleeps, run the longest-waiting task. */
export const nonPreemptive: Chooser = {
  choose: (rq, prev) => prev ?? rq[0]!,
};

export interface TimerEntry {
  expires: number;
  seq: number;
  fn: () => void;
  pending: boolean;
}

/**
 * What the explorer's DPOR sees of a run: one event per scheduling step (begin), the core
 * objects the step read or wrote (access), and steps whose effects the core cannot see
 * (opaque: dependent on every other step).
 */
export interface StepObserver {
  /** A step of `t` starts (pid 0: timers firing); ends the previous step. May throw. */
  begin(t: task_struct): void;
  access(obj: object, write: boolean): void;
  opaque(): void;
}

/** Thrown by a chooser or observer to stop a run that has nothing new to show. */
export class RunAbort {
  constructor(readonly reason: string) {}
}

export interface SpawnOptions {
  /** See task_struct.tracked. Default false. */
  tracked?: boolean;
}

export type TraceHook = (ev: TraceEvent) => void;

/** A recorded event; see trace.ts for the exporters. */
export interface TraceEvent {
  /** Scheduling step and jiffies at which it happened. */
  step: number;
  jiffies: number;
  pid: number;
  type: string;
  name: string;
  args?: Record<string, string | number>;
}

export interface MachineOptions {
  /** Record trace events (switches, locks, allocations, wake-ups, printk). */
  trace?: boolean;
  /** Capture a backtrace each time a task sleeps, for hung-task reports. Default true. */
  stacks?: boolean;
  /** Consecutive cpu_relax() steps, with nobody else making progress, that count as a livelock. */
  livelockSteps?: number;
  /**
   * panic_on_warn: a warning (lockdep, WARN_ON) stops the run like an oops. Default true,
   * as syzbot runs. When false, warnings go to dmesg and RunResult.warnings, lockdep turns
   * itself off after its first report (debug_locks_off), and the run goes on.
   */
  panic_on_warn?: boolean;
  /**
   * CONFIG_LOCKDEP: false runs without lockdep's bookkeeping (no held-lock stacks, no
   * dependency graph, no lockdep reports), at full speed. Default true.
   */
  lockdep?: boolean;
  /**
   * The clock rate the machine's ticks stand for (jiffies, or illumos lbolt): HZ (1000) for
   * the Linux models, 100 for illumos (hz, usr/src/uts/common/conf/param.c). It sets the
   * default time budget (an hour of ticks). Default HZ.
   */
  hz?: number;
  /**
   * Linux's end-of-run detectors: the hung-task detector, the soft-lockup watchdog and the
   * global-deadlock report (hung_task.ts). False for kernels that have none of them (illumos).
   * Default true.
   */
  detectors?: boolean;
}

export interface RunOptions {
  chooser?: Chooser;
  /** Scheduling-step budget for this run. */
  maxSteps?: number;
  /** Virtual-time budget, in jiffies. */
  maxJiffies?: number;
}

export type Outcome = 'clean' | 'crash' | 'budget' | 'error';

export interface RunResult {
  outcome: Outcome;
  report?: Report;
  /** For outcome 'error': a JavaScript error that is not a kernel oops, explained. */
  error?: string;
  /** For outcome 'budget': which budget ran out. */
  budget?: 'steps' | 'time';
  /** Warnings printed on the way, when panic_on_warn is off. */
  warnings: Report[];
  steps: number;
  jiffies: number;
  /** The task chosen at each decision point (where more than one could run). */
  decisions: number[];
  preemptions: number;
}

/** The running task: a live binding, updated at every switch. pid 0 (swapper) outside tasks. */
export let current: task_struct = new task_struct(0, 'swapper', 'idle');
/** Virtual time, a live binding. */
export let jiffies = 0;
let running: Machine | null = null;

/**
 * The machine that is running now; model code reaches per-machine state through it. To DPOR,
 * a step that calls it may touch any per-machine state: it counts as opaque. Primitives that
 * record their accesses use machine() instead.
 */
export function this_machine(): Machine {
  if (running === null) throw new LockstepUsageError('no simulated machine is running');
  running.observer?.opaque();
  return running;
}

/** this_machine() for primitives that record their own accesses (track_access). */
export function machine(): Machine {
  if (running === null) throw new LockstepUsageError('no simulated machine is running');
  return running;
}

let setupSeq = 0;

/**
 * A name for a core object (mutex, spinlock, atomic_t) that is the same in every run of a
 * scenario, for DPOR: creation order during setup, or (task, n-th object it created) while
 * running. Objects without one are named by first access.
 */
export function object_seq(obj: object): void {
  let n: number;
  if (running === null) n = -(1e9 + ++setupSeq);
  else n = -(2e9 + current.pid * 1e6 + ++current.objseq);
  objectNames.set(obj, n);
}

/** The name object_seq gave `obj`, if any. */
export function object_name(obj: object): number | undefined {
  return objectNames.get(obj);
}

/** Record that the running step read or wrote a core-owned object (for DPOR). */
export function track_access(obj: object, write: boolean): void {
  if (running !== null) running.observer?.access(obj, write);
}

/** Record that the running step touched state the core does not see (for DPOR). */
export function track_opaque(): void {
  if (running !== null) running.observer?.opaque();
}

const DEFAULT_LIVELOCK_STEPS = 100_000;

/** One simulated machine: its tasks, runqueue, clock and per-subsystem state. */
export class Machine {
  readonly tasks: task_struct[] = [];
  readonly idle: task_struct = new task_struct(0, 'swapper', 'idle');
  runqueue: task_struct[] = [];
  jiffies = 0;
  steps = 0;
  private nextPid = 1;
  private timers: TimerEntry[] = [];
  private timerSeq = 0;
  readonly trace: TraceEvent[] | null;
  readonly stacks: boolean;
  readonly livelockSteps: number;
  readonly panic_on_warn: boolean;
  /** CONFIG_LOCKDEP (MachineOptions.lockdep). */
  readonly lockdep: boolean;
  /** Ticks per second of virtual time (MachineOptions.hz). */
  readonly hz: number;
  /** Linux's end-of-run detectors (MachineOptions.detectors). */
  readonly detectors: boolean;
  /** DPOR's recorder of step accesses, or null (the explorer sets it). */
  observer: StepObserver | null = null;
  /** Warnings reported while panic_on_warn is off, in order. */
  readonly warnings: Report[] = [];
  /** dmesg: lines as printk wrote them, with the jiffies they were written at. */
  readonly log: Array<{ jiffies: number; step: number; level: string; text: string }> = [];
  /** The first report of the run, if any. */
  report: Report | null = null;
  /** Hooks run when the machine goes idle, before a report of hung tasks (freezer, ...). */
  private readonly state = new Map<symbol, unknown>();
  /** Checks run at the end of a clean run (leak check, ...). */
  readonly endChecks: Array<() => void> = [];

  constructor(opts: MachineOptions = {}) {
    setupSeq = 0; // a scenario builds its objects right after its machine
    this.trace = opts.trace ? [] : null;
    this.stacks = opts.stacks ?? true;
    this.livelockSteps = opts.livelockSteps ?? DEFAULT_LIVELOCK_STEPS;
    this.panic_on_warn = opts.panic_on_warn ?? true;
    this.lockdep = opts.lockdep ?? true;
    this.hz = opts.hz ?? HZ;
    checkBudget('hz', this.hz);
    this.detectors = opts.detectors ?? true;
  }

  /** Per-machine state of a subsystem, created on first use. */
  slot<T>(key: symbol, init: () => T): T {
    let v = this.state.get(key) as T | undefined;
    if (v === undefined) {
      v = init();
      this.state.set(key, v);
    }
    return v;
  }

  /** Every subsystem's per-machine state, for checks that scan it (kmemleak's roots). */
  slotValues(): unknown[] {
    return [...this.state.values()];
  }

  /** Create a task in TASK_RUNNING on the runqueue (or parked, for kthread_create). */
  create_task(
    comm: string,
    kind: TaskKind,
    body: TaskBody,
    runnable = true,
    opts?: SpawnOptions,
  ): task_struct {
    // A task created while running changes what every later step may see.
    if (running === this) track_opaque();
    const t = new task_struct(this.nextPid++, comm, kind);
    if (opts?.tracked === true) t.tracked = true;
    if (kind === 'kthread') t.flags |= PF_KTHREAD | PF_NOFREEZE;
    t.gen = body();
    this.tasks.push(t);
    if (runnable) this.enqueue(t);
    else t.state = TASK_UNINTERRUPTIBLE;
    this.emit(t.pid, 'task_new', comm);
    return t;
  }

  /** Start a user process (its body makes syscalls). */
  spawn_user(comm: string, body: TaskBody, opts?: SpawnOptions): task_struct {
    return this.create_task(comm, 'user', body, true, opts);
  }

  enqueue(t: task_struct): void {
    if (!t.on_rq) {
      t.on_rq = true;
      this.runqueue.push(t);
    }
  }

  dequeue(t: task_struct): void {
    if (t.on_rq) {
      t.on_rq = false;
      const rq = this.runqueue;
      const i = rq.indexOf(t);
      if (i >= 0) rq.splice(i, 1);
    }
  }

  /** try_to_wake_up(): make a task runnable if its state is in `mask`. */
  wake(t: task_struct, mask: number): boolean {
    const o = this.observer;
    if (o !== null) o.access(t, true);
    if ((t.state & mask) === 0) return false;
    t.state = TASK_RUNNING;
    t.wchan = '';
    this.enqueue(t);
    if (this.trace) this.emit(current.pid, 'wakeup', t.comm, { target: t.pid });
    return true;
  }

  add_timer(expires: number, fn: () => void): TimerEntry {
    this.observer?.opaque();
    const e: TimerEntry = { expires, seq: this.timerSeq++, fn, pending: true };
    const ts = this.timers;
    let i = ts.length;
    while (i > 0 && ts[i - 1]!.expires > expires) i--;
    ts.splice(i, 0, e);
    return e;
  }

  del_timer(e: TimerEntry): boolean {
    this.observer?.opaque();
    if (!e.pending) return false;
    e.pending = false;
    const i = this.timers.indexOf(e);
    if (i >= 0) this.timers.splice(i, 1);
    return true;
  }

  /** Jump to the next timer and fire everything due. False when no timer is pending. */
  private advance_time(maxJiffies: number): boolean | 'budget' {
    const first = this.timers[0];
    if (first === undefined) return false;
    if (first.expires > maxJiffies) return 'budget';
    if (first.expires > this.jiffies) this.jiffies = jiffies = first.expires;
    const saved = current;
    current = this.idle; // timer functions run in softirq context
    const o = this.observer;
    if (o !== null) {
      o.begin(this.idle);
      o.opaque();
    }
    while (this.timers.length > 0 && this.timers[0]!.expires <= this.jiffies) {
      const e = this.timers.shift()!;
      e.pending = false;
      e.fn();
    }
    current = saved;
    return true;
  }

  emit(pid: number, type: string, name: string, args?: Record<string, string | number>): void {
    const tr = this.trace;
    if (tr === null) return;
    const ev: TraceEvent = { step: this.steps, jiffies: this.jiffies, pid, type, name };
    if (args !== undefined) ev.args = args;
    tr.push(ev);
  }

  /** Run until every task has exited or sleeps with nothing pending, or a report. */
  run(opts: RunOptions = {}): RunResult {
    if (running !== null) throw new LockstepUsageError('a machine is already running');
    const chooser = opts.chooser ?? nonPreemptive;
    const maxSteps = opts.maxSteps ?? 10_000_000;
    const maxJiffies = opts.maxJiffies ?? 3600 * this.hz;
    checkBudget('maxSteps', maxSteps);
    checkBudget('maxJiffies', maxJiffies);
    const decisions: number[] = [];
    let preemptions = 0;
    let prev: task_struct | null = null;
    let relaxRun = 0;
    let relaxed: task_struct | null = null;
    let result: RunResult | null = null;
    const tracing = this.trace !== null;
    const obs = this.observer;
    // Tracing: the last task went to sleep, so running it again is a new 'switch' slice.
    let slept = false;
    running = this;
    jiffies = this.jiffies;
    try {
      for (;;) {
        const rq = this.runqueue;
        if (rq.length === 0) {
          const adv = this.advance_time(maxJiffies);
          if (adv === true) continue;
          if (adv === 'budget') {
            result = this.finish('budget', decisions, preemptions, 'time');
            break;
          }
          this.quiescent();
          result = this.finish(this.report ? 'crash' : 'clean', decisions, preemptions);
          break;
        }
        if (this.steps >= maxSteps) {
          result = this.finish('budget', decisions, preemptions, 'steps');
          break;
        }
        this.steps++;
        let next: task_struct;
        if (rq.length === 1) next = rq[0]!;
        else {
          // biome-ignore lint/complexity/useOptionalChain: prev?.on_rq narrows prev to never here
          const p: task_struct | null = prev !== null && prev.on_rq ? prev : null;
          next = chooser.choose(rq, p, this.steps, relaxed);
          decisions.push(next.pid);
          if (p !== null && next !== p) preemptions++;
        }
        if (tracing && (next !== prev || slept)) {
          this.emit(next.pid, 'switch', next.comm);
          slept = false;
        }
        current = next;
        if (obs !== null) obs.begin(next);
        let r: IteratorResult<number, unknown>;
        try {
          r = next.gen!.next();
        } catch (e) {
          if (!(e instanceof TaskExit)) throw e;
          r = { done: true, value: e.code };
        }
        if (r.done === true) {
          this.do_exit(next, r.value);
        } else if (r.value === SP_SCHEDULE) {
          if (next.state !== TASK_RUNNING) {
            this.dequeue(next);
            if (tracing) {
              this.emit(next.pid, 'sleep', next.wchan);
              slept = true;
            }
          }
          relaxRun = 0;
        } else if (r.value === SP_RELAX) {
          // Round-robin: a busy-waiting task lets everybody else run before it spins again.
          if (rq.length > 1) {
            rq.splice(rq.indexOf(next), 1);
            rq.push(next);
          }
          // A livelock: resume the spinner with a probe so the report sees its own frames.
          if (++relaxRun >= this.livelockSteps) next.gen!.throw(new SoftLockupProbe(relaxRun));
          prev = null;
          relaxed = next;
          continue;
        } else relaxRun = 0;
        prev = next;
        relaxed = null;
      }
    } catch (e) {
      if (e instanceof LockstepUsageError || e instanceof RunAbort) throw e;
      const oops = e instanceof KernelReportAbort ? e.report : oopsHook(e);
      if (oops !== null) {
        // raise() already recorded its report; an oops from a JavaScript error has not.
        if (this.report === null) {
          this.report = oops;
          this.emit(current.pid, 'report', oops.title);
        }
        result = this.finish('crash', decisions, preemptions);
      } else {
        result = this.finish('error', decisions, preemptions);
        result.error = explainScenarioError(e, current);
      }
    } finally {
      current = this.idle;
      running = null;
    }
    return result!;
  }

  private finish(
    outcome: Outcome,
    decisions: number[],
    preemptions: number,
    budget?: 'steps' | 'time',
  ): RunResult {
    const r: RunResult = {
      outcome,
      steps: this.steps,
      jiffies: this.jiffies,
      decisions,
      preemptions,
      warnings: this.warnings,
    };
    if (this.report) r.report = this.report;
    if (budget) r.budget = budget;
    return r;
  }

  private do_exit(t: task_struct, code: unknown): void {
    t.flags |= PF_EXITING;
    t.exit_code = code;
    for (const h of exitHooks) h(t);
    t.state = TASK_DEAD;
    this.dequeue(t);
    t.gen = null;
    this.observer?.access(t.exit_key, true);
    // exit_notify(): wake the tasks in sys_wait4() for this one.
    for (const w of t.wait_chldexit) this.wake(w, TASK_INTERRUPTIBLE);
    t.wait_chldexit.length = 0;
    this.emit(t.pid, 'task_exit', t.comm);
  }

  /** Nothing runnable, no timer pending: the run is over. Look for tasks that cannot finish. */
  private quiescent(): void {
    for (const h of quiescentHooks) {
      h(this);
      if (this.report) break;
    }
    if (this.report === null && this.runqueue.length === 0) for (const c of this.endChecks) c();
    const r = this.report as Report | null;
    if (r !== null) this.emit(r.task?.pid ?? 0, 'report', r.title);
  }

  /**
   * A warning-class report (lockdep, WARN_ON): stops the run under panic_on_warn, else is
   * printed to dmesg and recorded, and the caller carries on.
   */
  warn(report: Report): void {
    if (this.panic_on_warn) this.raise(report);
    this.warnings.push(report);
    for (const text of report.text.split('\n'))
      this.log.push({ jiffies: this.jiffies, step: this.steps, level: '<4>', text });
    this.emit(report.task?.pid ?? 0, 'warning', report.title);
  }

  /** Called by primitives that raise a report; stops the run (panic_on_oops). */
  raise(report: Report): never {
    this.report ??= report;
    this.emit(report.task?.pid ?? 0, 'report', report.title);
    throw new KernelReportAbort(report);
  }
}

/** Thrown into a task stuck in cpu_relax() when the watchdog sees a soft lockup. */
class SoftLockupProbe {
  constructor(readonly steps: number) {}
}

/** Thrown by do_exit() to end the current task from any depth. */
class TaskExit {
  constructor(readonly code: unknown) {}
}

/** do_exit(): end the current task now (module_put_and_exit, a killed user process). */
export function do_exit(code: unknown): never {
  throw new TaskExit(code);
}

/** sys_exit(): a user task ends itself with an exit code (main returning). */
export function sys_exit(code: unknown = 0): never {
  throw new TaskExit(code);
}

/**
 * sys_wait4() (do_wait, kernel/exit.c), narrowed to one given task: sleep TASK_INTERRUPTIBLE
 * until `t` has exited, then return its exit code. A join for user tasks.
 */
export function* sys_wait4(t: task_struct): Kfn<unknown> {
  const self = current;
  if (t === self) throw new LockstepUsageError(`${self.comm}/${self.pid}: sys_wait4 on itself`);
  for (;;) {
    track_access(t.exit_key, true);
    if (t.state === TASK_DEAD) return t.exit_code;
    if (signal_pending(self)) return -ERESTARTSYS;
    if (!t.wait_chldexit.includes(self)) t.wait_chldexit.push(self);
    self.state = TASK_INTERRUPTIBLE;
    self.wchan = `wait4 ${t.comm}/${t.pid}`;
    yield* schedule();
    self.state = TASK_RUNNING;
  }
}

/** Turns a JavaScript error thrown by model code into an oops report (bug.ts installs it). */
let oopsHook: (e: unknown) => Report | null = () => null;
export function set_oops_hook(h: (e: unknown) => Report | null): void {
  oopsHook = h;
}

/** Hooks for subsystems: task exit (kthread, lockdep) and end-of-run checks (hung tasks). */
const exitHooks: Array<(t: task_struct) => void> = [];
const quiescentHooks: Array<(m: Machine) => void> = [];
export function on_task_exit(h: (t: task_struct) => void): void {
  exitHooks.push(h);
}
export function on_quiescent(h: (m: Machine) => void): void {
  quiescentHooks.push(h);
}

function checkBudget(name: string, v: number): void {
  if (!Number.isSafeInteger(v) || v <= 0)
    throw new LockstepUsageError(`${name} must be a positive integer, got ${String(v)}`);
}

function explainScenarioError(e: unknown, t: task_struct): string {
  const err = e instanceof Error ? e : new Error(String(e));
  const where = t.pid === 0 ? 'outside any task' : `in task ${t.comm}/${t.pid}`;
  return (
    `scenario error ${where}: ${err.name}: ${err.message}\n` +
    'This is a JavaScript error in the scenario or model, not a kernel oops ' +
    '(only dereferencing null is modelled as one).\n' +
    (err.stack ?? '')
  );
}

/**
 * softlockup_tick(), v2.6.24:kernel/softlockup.c: KERN_ERR "BUG: soft lockup - CPU#%d stuck
 * for %lus! [%s:%d]\n" once the watchdog has not run for more than softlockup_thresh (10)
 * seconds, so 11s at the first report; then show_regs() of the interrupted task
 * (v2.6.24:arch/x86/kernel/process_64.c: "CPU %d:", __show_regs()'s "\n", "Modules linked
 * in:", "Pid: %d, comm: %.20s %s %s %.*s", "RIP: %04lx:[<%016lx>] " and printk_address(),
 * then show_trace()'s "\nCall Trace:\n"). The model counts busy-wait steps, not seconds, and
 * leaves out the register values. RIP is the spinning function: cpu_relax() is inline.
 */
function softLockupReport(t: task_struct, steps: number): Report {
  const bt = capture_backtrace();
  const fn = title_function(bt);
  const trace = bt.slice(bt.indexOf(fn) + 1);
  const at = `[<ffffffff00000000>] ${fn}+0x0/0x0`;
  const headline = `BUG: soft lockup - CPU#0 stuck for 11s! [${t.comm}:${t.pid}]`;
  return {
    kind: 'soft-lockup',
    title: `BUG: soft lockup in ${fn}`,
    headline,
    text: [
      headline,
      'CPU 0:',
      'Modules linked in:',
      `Pid: ${t.pid}, comm: ${t.comm} Not tainted 2.6.24 #1`,
      `RIP: 0010:[<ffffffff00000000>]  ${at}`,
      `(lockstep: ${steps} consecutive busy-wait steps with no other progress)`,
      '',
      'Call Trace:',
      ...trace.map((f) => ` [<ffffffff00000000>] ${f}+0x0/0x0`),
      '',
    ].join('\n'),
    task: { pid: t.pid, comm: t.comm },
    backtrace: bt,
  };
}

/** A scheduling point where the running task may be preempted. */
export function* sched_point(): Kfn {
  yield SP_PREEMPT;
}

/** set_current_state(). */
export function set_current_state(state: number): void {
  current.state = state;
}
export const __set_current_state = set_current_state;

/** Hooks run around a voluntary sleep (BKL release and re-take, sleep-in-atomic check). */
export const sleepHooks: {
  before: Array<(t: task_struct) => void>;
  after: Array<(t: task_struct) => Kfn | null>;
} = { before: [], after: [] };

/** schedule(): give up the CPU; if the state is not TASK_RUNNING, sleep until woken. */
export function* schedule(): Kfn {
  const t = current;
  const m = running!;
  if (t.state !== TASK_RUNNING) {
    for (const h of sleepHooks.before) h(t);
    // 2.6.24 schedule(): an interruptible sleeper with a signal pending is not dequeued.
    if (t.state === TASK_INTERRUPTIBLE && signal_pending(t)) t.state = TASK_RUNNING;
    else if (m.stacks) t.sleep_bt = capture_backtrace();
  }
  yield SP_SCHEDULE;
  for (const h of sleepHooks.after) {
    const g = h(t);
    if (g !== null) yield* g;
  }
}

/** cond_resched(): a voluntary preemption point. */
export function* cond_resched(): Kfn {
  yield SP_PREEMPT;
}

/** cpu_relax() in a busy-wait loop: lets other tasks run; spinning forever is a soft lockup. */
export function* cpu_relax(): Kfn {
  try {
    yield SP_RELAX;
  } catch (e) {
    if (e instanceof SoftLockupProbe) running!.raise(softLockupReport(current, e.steps));
    throw e;
  }
}

/** wake_up_process(). */
export function wake_up_process(t: task_struct): boolean {
  return machine().wake(t, TASK_INTERRUPTIBLE | TASK_UNINTERRUPTIBLE);
}

/** wake_up_state(). */
export function wake_up_state(t: task_struct, state: number): boolean {
  return machine().wake(t, state);
}

/** find_task_by_pid(): a live task with this pid, or null. */
export function find_task_by_pid(pid: number): task_struct | null {
  for (const t of this_machine().tasks) if (t.pid === pid && t.state !== TASK_DEAD) return t;
  return null;
}

title_skip('schedule', 'sched_point', 'cond_resched', 'cpu_relax', 'sys_wait4');
