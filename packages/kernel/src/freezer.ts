/**
 * The freezer (kernel/power/process.c, 2.6.24). freeze_processes() marks every freezable
 * task and wakes interruptible sleepers; each task freezes itself in try_to_freeze(). Kernel
 * threads are not freezable unless they call set_freezable(). Tasks that do not freeze
 * within 20 seconds make it fail with the kernel's message.
 */
import { EBUSY } from './errno.js';
import { KERN_ERR, KERN_INFO, printk } from './printk.js';
import type { Report } from './report.js';
import {
  current,
  HZ,
  jiffies,
  type Kfn,
  type Machine,
  PF_EXITING,
  PF_FROZEN,
  PF_NOFREEZE,
  schedule,
  set_current_state,
  TASK_DEAD,
  TASK_INTERRUPTIBLE,
  TASK_RUNNING,
  TASK_SPINNING,
  TASK_UNINTERRUPTIBLE,
  type task_struct,
  this_machine,
  track_opaque,
  wake_up_process,
} from './sched.js';
import { capture_backtrace, title_skip } from './stack.js';
import { schedule_timeout_uninterruptible, time_after } from './timer.js';

/** TIMEOUT in try_to_freeze_tasks(). */
export const FREEZE_TIMEOUT = 20 * HZ;

/** set_freezable(): this kernel thread agrees to be frozen. */
export function set_freezable(): void {
  track_opaque(); // DPOR: effects the core does not record
  current.flags &= ~PF_NOFREEZE;
}

export function frozen(t: task_struct): boolean {
  track_opaque(); // DPOR: effects the core does not record
  return (t.flags & PF_FROZEN) !== 0;
}

export function freezing(t: task_struct): boolean {
  track_opaque(); // DPOR: effects the core does not record
  return t.freeze_requested;
}

function freezeable(t: task_struct): boolean {
  return (t.flags & (PF_NOFREEZE | PF_EXITING)) === 0 && t.state !== TASK_DEAD && t.kind !== 'idle';
}

/** refrigerator(): stay frozen (TASK_UNINTERRUPTIBLE) until thawed. */
export function* refrigerator(): Kfn {
  track_opaque(); // DPOR: effects the core does not record
  const t = current;
  if (!freezing(t)) return;
  t.flags |= PF_FROZEN;
  t.freeze_requested = false;
  const save = t.state;
  this_machine().emit(t.pid, 'frozen', t.comm);
  for (;;) {
    set_current_state(TASK_UNINTERRUPTIBLE);
    if (!frozen(t)) break;
    t.wchan = 'refrigerator';
    yield* schedule();
  }
  set_current_state(save === TASK_RUNNING ? TASK_RUNNING : save);
}

/** try_to_freeze(): freeze if asked to; 1 if the task was frozen. */
export function* try_to_freeze(): Kfn<number> {
  track_opaque(); // DPOR: effects the core does not record
  if (!freezing(current)) return 0;
  yield* refrigerator();
  return 1;
}

/**
 * freeze_task() (2.6.24): request (once) and wake on every pass, so a task that went back to
 * sleep since the last pass is woken again. User processes get a fake signal; kernel threads
 * are only woken from interruptible sleep.
 */
function freeze_task(t: task_struct): void {
  if (frozen(t)) return;
  t.freeze_requested = true;
  this_machine().wake(t, TASK_INTERRUPTIBLE);
}

/** try_to_freeze_tasks() (kernel/power/process.c, 2.6.24): 0, or raise the freezer report. */
function* try_to_freeze_tasks(user_space: boolean): Kfn<number> {
  const m = this_machine();
  const start = jiffies;
  const end_time = start + FREEZE_TIMEOUT;
  let todo: task_struct[];
  for (;;) {
    todo = [];
    for (const t of m.tasks) {
      if (t === current || frozen(t) || !freezeable(t)) continue;
      // The user-space pass leaves kernel threads (tasks without an mm) alone.
      if (user_space && t.kind !== 'user') continue;
      freeze_task(t);
      todo.push(t);
    }
    // 2.6.24 calls yield() here; time only moves when nothing runs, so sleep a jiffy instead.
    yield* schedule_timeout_uninterruptible(1);
    if (todo.length === 0 || time_after(jiffies, end_time)) break;
  }
  const csecs = Math.floor(((jiffies - start) * 100) / HZ);
  const elapsed = `${Math.floor(csecs / 100)}.${String(csecs % 100).padStart(2, '0')}`;
  if (todo.length === 0) {
    printk(`(elapsed ${elapsed} seconds) `);
    return 0;
  }
  const headline =
    `Freezing of tasks failed after ${elapsed} seconds ` +
    `(${todo.length} tasks refusing to freeze):`;
  // v2.6.24:kernel/power/process.c: "\n", KERN_ERR "Freezing of tasks failed after %d.%02d
  // seconds (%d tasks refusing to freeze):\n", show_state(), then KERN_ERR " %s\n" a task.
  printk('\n');
  printk(`${KERN_ERR}${headline}\n`);
  const state = show_state(m);
  for (const t of todo) printk(`${KERN_ERR} ${t.comm}\n`);
  // cancel_freezing(): drop the requests of those that did not make it.
  for (const t of todo) t.freeze_requested = false;
  printk('\n');
  return m.raise(freezerReport(headline, state, todo));
}

const STAT_NAM = 'RSDTtZX';

function stateChar(t: task_struct): string {
  if (t.state === TASK_RUNNING || t.state === TASK_SPINNING) return 'R';
  if (t.state === TASK_DEAD) return 'X';
  for (let i = 0; i < STAT_NAM.length - 1; i++) if (t.state & (1 << i)) return STAT_NAM[i + 1]!;
  return '?';
}

/**
 * show_state() and show_task(), v2.6.24:kernel/sched.c (64-bit): KERN_INFO "  task
 * PC stack   pid father\n"; per task "%-13.13s %c", then "  running task    " or " %016lx "
 * (the saved PC, which the model has not), then "%5lu %5d %6d\n" (free stack 0 without
 * DEBUG_STACK_USAGE, pid, father: 0, the model has no parent), and for a sleeper show_stack():
 * its stack words (left out) and show_trace()'s "\nCall Trace:\n", entries and "\n".
 * Returns the lines it printed.
 */
function show_state(m: Machine): string[] {
  const out: string[] = [];
  const say = (level: string, line: string): void => {
    printk(`${level}${line}\n`);
    out.push(line);
  };
  say(KERN_INFO, '  task                        PC stack   pid father');
  for (const t of m.tasks) {
    if (t.state === TASK_DEAD) continue;
    const running = t.state === TASK_RUNNING || t.state === TASK_SPINNING;
    const pc = running ? '  running task    ' : ' 0000000000000000 ';
    say(
      KERN_INFO,
      `${t.comm.slice(0, 13).padEnd(13)} ${stateChar(t)}${pc}${'0'.padStart(5)} ${String(t.pid).padStart(5)} ${'0'.padStart(6)}`,
    );
    if (running) continue;
    say('', '');
    say('', 'Call Trace:');
    for (const f of t.sleep_bt) say('', ` [<ffffffff00000000>] ${f}+0x0/0x0`);
    say('', '');
  }
  return out;
}

/** The report: the lines try_to_freeze_tasks() printed from its headline on. */
function freezerReport(headline: string, state: string[], todo: task_struct[]): Report {
  const first = todo[0]!;
  const bt = first.sleep_bt.length > 0 ? first.sleep_bt : capture_backtrace();
  return {
    kind: 'freezer',
    title: `freezer: ${first.comm} refuses to freeze`,
    headline,
    text: [headline, ...state, ...todo.map((t) => ` ${t.comm}`)].join('\n'),
    task: { pid: first.pid, comm: first.comm },
    backtrace: bt,
  };
}

/**
 * freeze_processes() (kernel/power/process.c, 2.6.24): user space first, then the freezable
 * kernel threads; 0, or the run stops at the freezer report (where 2.6.24 returns -EBUSY).
 */
export function* freeze_processes(): Kfn<number> {
  track_opaque(); // DPOR: effects the core does not record
  printk('Freezing user space processes ... ');
  if ((yield* try_to_freeze_tasks(true)) !== 0) return -EBUSY;
  printk('done.\n');
  printk('Freezing remaining freezable tasks ... ');
  if ((yield* try_to_freeze_tasks(false)) !== 0) return -EBUSY;
  printk('done.');
  printk('\n');
  return 0;
}

/** thaw_processes() (2.6.24): kernel threads first, then user space; omits the final schedule(). */
export function thaw_processes(): void {
  track_opaque(); // DPOR: effects the core does not record
  printk('Restarting tasks ... ');
  const tasks = this_machine().tasks;
  for (const user of [false, true]) {
    for (const t of tasks) {
      if ((t.kind === 'user') !== user || !freezeable(t)) continue;
      t.freeze_requested = false;
      if (frozen(t)) {
        t.flags &= ~PF_FROZEN;
        wake_up_process(t);
      }
    }
  }
  printk('done.\n');
}

title_skip('try_to_freeze', 'refrigerator', 'freeze_processes', 'try_to_freeze_tasks');
