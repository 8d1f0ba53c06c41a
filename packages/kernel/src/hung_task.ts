/**
 * What is left when nothing can run and no timer is pending: spinners are a soft lockup
 * (v2.6.24:kernel/softlockup.c), tasks in D state are hung tasks, and user processes asleep
 * for good are a global deadlock. Frozen tasks and idle kernel threads are fine.
 *
 * The hung-task detector is a later tool than the 2.6.24 base: it arrived in 2.6.25, as
 * check_hung_task() in kernel/softlockup.c (kernel/hung_task.c came later still). The model
 * runs it on 2.6.24 in 2.6.25's words, and its report says so, as KASAN's does.
 */

import { debug_show_held_locks } from './lockdep.js';
import type { Report } from './report.js';
import {
  HZ,
  type Machine,
  on_quiescent,
  PF_FROZEN,
  TASK_DEAD,
  TASK_INTERRUPTIBLE,
  TASK_SPINNING,
  TASK_UNINTERRUPTIBLE,
  type task_struct,
} from './sched.js';
import { format_backtrace, title_function } from './stack.js';

export const HUNG_TASK_TIMEOUT = 120;

function stuck(m: Machine, state: number, kind?: task_struct['kind']): task_struct[] {
  return m.tasks.filter(
    (t) =>
      t.state === state && (t.flags & PF_FROZEN) === 0 && (kind === undefined || t.kind === kind),
  );
}

function taskReport(
  kind: Report['kind'],
  title: string,
  headline: string,
  lines: string[],
  t: task_struct,
): Report {
  return {
    kind,
    title,
    headline,
    text: [headline, ...lines, 'Call Trace:', ...format_backtrace(t.sleep_bt)].join('\n'),
    task: { pid: t.pid, comm: t.comm },
    backtrace: t.sleep_bt,
  };
}

/** A cycle of tasks each waiting for a lock (mutex, spinlock) the next one holds, or null. */
export function lock_cycle(m: Machine): task_struct[] | null {
  for (const t of m.tasks) {
    if (t.state === TASK_DEAD || t.blocked_on === null) continue;
    const path: task_struct[] = [];
    let u: task_struct | null = t;
    while (u !== null && u.blocked_on !== null && !path.includes(u)) {
      path.push(u);
      u = u.blocked_on.owner;
    }
    if (u !== null && path.includes(u)) return path.slice(path.indexOf(u));
  }
  return null;
}

function cycleLines(cycle: task_struct[] | null): string[] {
  if (cycle === null) return [];
  return [
    '(lockstep: lock cycle: ' +
      cycle
        .map(
          (t) =>
            `${t.comm}:${t.pid} waits for ${t.wchan} held by ${t.blocked_on!.owner!.comm}:${t.blocked_on!.owner!.pid}`,
        )
        .join('; ') +
      ')',
  ];
}

/** The task to name: the first of `list` in the lock cycle, else the first. */
function pick(list: task_struct[], cycle: task_struct[] | null): task_struct {
  if (cycle !== null) for (const t of list) if (cycle.includes(t)) return t;
  return list[0]!;
}

function check(m: Machine): void {
  if (!m.detectors) return;
  const cycle = lock_cycle(m);
  const spinning = stuck(m, TASK_SPINNING);
  if (spinning.length > 0) {
    const t = pick(spinning, cycle);
    // softlockup_tick(), v2.6.24:kernel/softlockup.c: "BUG: soft lockup - CPU#%d stuck for
    // %lus! [%s:%d]" once now > touch_timestamp + softlockup_thresh (10), so 11s.
    const headline = `BUG: soft lockup - CPU#0 stuck for 11s! [${t.comm}:${t.pid}]`;
    m.report = taskReport(
      'soft-lockup',
      `BUG: soft lockup in ${title_function(t.sleep_bt)}`,
      headline,
      [`waiting for ${t.wchan}`, ...cycleLines(cycle)],
      t,
    );
    return;
  }
  const hung = stuck(m, TASK_UNINTERRUPTIBLE);
  if (hung.length > 0) {
    m.jiffies += HUNG_TASK_TIMEOUT * HZ;
    const t = pick(hung, cycle);
    // check_hung_task(), v2.6.25:kernel/softlockup.c: two KERN_ERR lines, sched_show_task()
    // and __debug_show_held_locks().
    const headline = `INFO: task ${t.comm}:${t.pid} blocked for more than ${HUNG_TASK_TIMEOUT} seconds.`;
    m.report = {
      kind: 'hung-task',
      title: `INFO: task hung in ${title_function(t.sleep_bt)}`,
      headline,
      text: [
        headline,
        '"echo 0 > /proc/sys/kernel/hung_task_timeout_secs" disables this message.',
        sched_show_task(t),
        'Call Trace:',
        ...t.sleep_bt.map((f) => ` [<ffffffff00000000>] ${f}+0x0/0x0`),
        '',
        ...debug_show_held_locks(t),
        `(lockstep: wchan ${t.wchan || '-'}; the hung-task detector arrived in 2.6.25, a later tool than the 2.6.24 base)`,
        ...cycleLines(cycle),
        ...hung
          .filter((o) => o !== t)
          .map((o) => `(lockstep: also blocked: ${o.comm}:${o.pid} in ${o.wchan || '-'})`),
      ].join('\n'),
      task: { pid: t.pid, comm: t.comm },
      backtrace: t.sleep_bt,
    };
    return;
  }
  const asleep = stuck(m, TASK_INTERRUPTIBLE, 'user');
  if (asleep.length > 0) {
    const t = pick(asleep, cycle);
    const headline = `lockstep: global deadlock: every task sleeps and no timer is pending (${t.comm}:${t.pid} waits for ${t.wchan || '?'})`;
    m.report = taskReport(
      'deadlock',
      `deadlock: task ${t.comm} sleeps forever in ${title_function(t.sleep_bt)}`,
      headline,
      cycleLines(cycle),
      t,
    );
  }
}

/**
 * sched_show_task()'s line, v2.6.25:kernel/sched.c on 64-bit: "%-13.13s %c", " %016lx "
 * (thread_saved_pc) and "%5lu %5d %6d" (free stack, pid, parent's pid). The model has no saved
 * PC, stack usage (CONFIG_DEBUG_STACK_USAGE is off: 0) or parent, so it prints the model's
 * placeholder address and leaves out the father column; show_stack()'s raw stack words too.
 */
function sched_show_task(t: task_struct): string {
  return `${t.comm.slice(0, 13).padEnd(13)} D ffffffff00000000 ${'0'.padStart(5)} ${String(t.pid).padStart(5)}`;
}

/** Tasks not yet exited, for reports. */
export function live_tasks(m: Machine): task_struct[] {
  return m.tasks.filter((t) => t.state !== TASK_DEAD);
}

on_quiescent(check);
