/**
 * What is left when nothing can run and no timer is pending: spinners are a soft lockup,
 * tasks in D state are hung tasks (kernel/hung_task.c, 120 s), and user processes asleep
 * for good are a global deadlock. Frozen tasks and idle kernel threads are fine.
 */
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

function check(m: Machine): void {
  const spinning = stuck(m, TASK_SPINNING);
  if (spinning.length > 0) {
    const t = spinning[0]!;
    const headline = `BUG: soft lockup - CPU#0 stuck for 22s! [${t.comm}:${t.pid}]`;
    m.report = taskReport(
      'soft-lockup',
      `BUG: soft lockup in ${title_function(t.sleep_bt)}`,
      headline,
      [`waiting for ${t.wchan}`],
      t,
    );
    return;
  }
  const hung = stuck(m, TASK_UNINTERRUPTIBLE);
  if (hung.length > 0) {
    m.jiffies += HUNG_TASK_TIMEOUT * HZ;
    const t = hung[0]!;
    const headline = `INFO: task ${t.comm}:${t.pid} blocked for more than ${HUNG_TASK_TIMEOUT} seconds.`;
    m.report = taskReport(
      'hung-task',
      `INFO: task hung in ${title_function(t.sleep_bt)}`,
      headline,
      [
        '"echo 0 > /proc/sys/kernel/hung_task_timeout_secs" disables this message.',
        `${t.comm.padEnd(15)} D ${String(t.pid).padStart(5)}  wchan: ${t.wchan || '-'}`,
        ...hung.slice(1).map((o) => `also blocked: ${o.comm}:${o.pid} (${o.wchan || '-'})`),
      ],
      t,
    );
    return;
  }
  const asleep = stuck(m, TASK_INTERRUPTIBLE, 'user');
  if (asleep.length > 0) {
    const t = asleep[0]!;
    const headline = `lockstep: global deadlock: every task sleeps and no timer is pending (${t.comm}:${t.pid} waits for ${t.wchan || '?'})`;
    m.report = taskReport(
      'deadlock',
      `deadlock: task ${t.comm} sleeps forever in ${title_function(t.sleep_bt)}`,
      headline,
      [],
      t,
    );
  }
}

/** Tasks not yet exited, for reports. */
export function live_tasks(m: Machine): task_struct[] {
  return m.tasks.filter((t) => t.state !== TASK_DEAD);
}

on_quiescent(check);
