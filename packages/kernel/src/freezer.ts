/**
 * The freezer (kernel/power/process.c, 2.6.24). freeze_processes() marks every freezable
 * task and wakes interruptible sleepers; each task freezes itself in try_to_freeze(). Kernel
 * threads are not freezable unless they call set_freezable(). Tasks that do not freeze
 * within 20 seconds make it fail with the kernel's message.
 */
import { EBUSY } from './errno.js';
import { printk, KERN_ERR } from './printk.js';
import type { Report } from './report.js';
import {
  current,
  HZ,
  jiffies,
  type Kfn,
  PF_EXITING,
  PF_FROZEN,
  PF_NOFREEZE,
  schedule,
  set_current_state,
  type task_struct,
  TASK_DEAD,
  TASK_INTERRUPTIBLE,
  TASK_RUNNING,
  TASK_UNINTERRUPTIBLE,
  this_machine,
  wake_up_process,
} from './sched.js';
import { capture_backtrace, title_skip } from './stack.js';
import { schedule_timeout_uninterruptible } from './timer.js';

/** TIMEOUT in try_to_freeze_tasks(). */
export const FREEZE_TIMEOUT = 20 * HZ;

/** set_freezable(): this kernel thread agrees to be frozen. */
export function set_freezable(): void {
  current.flags &= ~PF_NOFREEZE;
}

export function frozen(t: task_struct): boolean {
  return (t.flags & PF_FROZEN) !== 0;
}

export function freezing(t: task_struct): boolean {
  return t.freeze_requested;
}

function freezeable(t: task_struct): boolean {
  return (t.flags & (PF_NOFREEZE | PF_EXITING)) === 0 && t.state !== TASK_DEAD && t.kind !== 'idle';
}

/** refrigerator(): stay frozen (TASK_UNINTERRUPTIBLE) until thawed. */
export function* refrigerator(): Kfn {
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
  if (!freezing(current)) return 0;
  yield* refrigerator();
  return 1;
}

function freeze_task(t: task_struct): void {
  if (frozen(t) || freezing(t)) return;
  t.freeze_requested = true;
  // User processes get a fake signal; kernel threads are only woken from interruptible sleep.
  this_machine().wake(t, TASK_INTERRUPTIBLE);
}

/** try_to_freeze_tasks(): 0, or the number of tasks that refused to freeze by the timeout. */
function* try_to_freeze_tasks(user_space: boolean): Kfn<number> {
  const m = this_machine();
  const end_time = jiffies + FREEZE_TIMEOUT;
  let todo: task_struct[];
  for (;;) {
    todo = [];
    for (const t of m.tasks) {
      if (t === current || frozen(t) || !freezeable(t)) continue;
      if (user_space && t.kind !== 'user') continue;
      freeze_task(t);
      todo.push(t);
    }
    if (todo.length === 0 || jiffies > end_time) break;
    // 2.6.24 calls yield() here; time only moves when nothing runs, so sleep a jiffy instead.
    yield* schedule_timeout_uninterruptible(1);
  }
  if (todo.length === 0) return 0;
  printk('\n');
  printk(
    `${KERN_ERR}Freezing of ${user_space ? 'user space ' : 'tasks '}timed out after ` +
      `${FREEZE_TIMEOUT / HZ} seconds (${todo.length} tasks refusing to freeze):\n`,
  );
  for (const t of todo)
    printk(` task ${t.comm}:${t.pid} state ${stateChar(t)} wchan ${t.wchan || '-'}\n`);
  for (const t of todo) t.freeze_requested = false;
  return m.raise(freezerReport(user_space, todo));
}

function stateChar(t: task_struct): string {
  return t.state === TASK_RUNNING ? 'R' : t.state === TASK_INTERRUPTIBLE ? 'S' : 'D';
}

function freezerReport(user_space: boolean, todo: task_struct[]): Report {
  const headline =
    `Freezing of ${user_space ? 'user space ' : 'tasks '}timed out after ${FREEZE_TIMEOUT / HZ} ` +
    `seconds (${todo.length} tasks refusing to freeze):`;
  const first = todo[0]!;
  const bt = first.sleep_bt.length > 0 ? first.sleep_bt : capture_backtrace();
  return {
    kind: 'freezer',
    title: `freezer: ${first.comm} refuses to freeze`,
    headline,
    text: [
      headline,
      ...todo.map(
        (t) =>
          `${t.comm.padEnd(15)} ${stateChar(t)} ${String(t.pid).padStart(5)}  wchan: ${t.wchan || '-'}`,
      ),
      'Call Trace:',
      ...bt.map((f) => ` ${f}`),
    ].join('\n'),
    task: { pid: first.pid, comm: first.comm },
    backtrace: bt,
  };
}

/** freeze_processes(): user space first, then kernel threads; 0 or -EBUSY. */
export function* freeze_processes(): Kfn<number> {
  printk('Stopping tasks ... ');
  if ((yield* try_to_freeze_tasks(true)) !== 0) return -EBUSY;
  if ((yield* try_to_freeze_tasks(false)) !== 0) return -EBUSY;
  printk('done.\n');
  return 0;
}

/** thaw_processes(). */
export function thaw_processes(): void {
  printk('Restarting tasks ... ');
  for (const t of this_machine().tasks) {
    t.freeze_requested = false;
    if (frozen(t)) {
      t.flags &= ~PF_FROZEN;
      wake_up_process(t);
    }
  }
  printk('done.\n');
}

title_skip('try_to_freeze', 'refrigerator', 'freeze_processes', 'try_to_freeze_tasks');
