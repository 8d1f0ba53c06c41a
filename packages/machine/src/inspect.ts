/** Looking at a machine from outside (what ps and dmesg show), for tests and reproducers. */
import { type Machine, TASK_DEAD, type task_struct } from '@lockstep/kernel';

/** Every task that ever ran as lockd (renamed "lockd" by daemonize), oldest first. */
export function lockd_tasks(m: Machine): task_struct[] {
  return m.tasks.filter((t) => t.comm === 'lockd');
}

/** The lockd tasks that have not exited. */
export function live_lockd_tasks(m: Machine): task_struct[] {
  return lockd_tasks(m).filter((t) => t.state !== TASK_DEAD);
}
