/**
 * Small pieces the reproducers share: the exported file, and a flag one simulated process
 * sets and another waits for (a pipe between test programs; it adds no delay of its own).
 */
import {
  type Kfn,
  type Machine,
  wait_event_interruptible,
  wait_queue_head_t,
  wake_up_all,
} from '@lockstep/kernel';
import { live_lockd_tasks } from '@lockstep/machine';
import { reproFinding } from './run.js';

/** The default export of a booted machine. */
export const FH = '/export/file';

/** A one-shot event between tasks of a run. Create it inside the scenario. */
export class Flag<T = true> {
  private readonly wq: wait_queue_head_t;
  value: T | undefined = undefined;

  constructor(name: string) {
    this.wq = new wait_queue_head_t(`repro:${name}`);
  }

  set(value: T): void {
    this.value = value;
    wake_up_all(this.wq);
  }

  /** Wait until set (a signal only restarts the wait); the value. */
  *wait(): Kfn<T> {
    while (this.value === undefined)
      yield* wait_event_interruptible(this.wq, () => this.value !== undefined);
    return this.value;
  }
}

/** Is any lockd task of the machine sleeping in `wchan` right now (what ps -o wchan shows)? */
export function lockdWaitsIn(m: Machine, wchan: string): boolean {
  return live_lockd_tasks(m).some((t) => t.wchan === wchan);
}

/** The finding of a lockd that outlives the last umount (lockd-survives-last-umount). */
export const LOCKD_SURVIVES = 'lockd: lockd still runs after the last umount';

/** Check, at the end of a run, that no lockd outlived the last umount. */
export function checkNoLockdLeft(m: Machine): void {
  const live = live_lockd_tasks(m);
  if (live.length > 0)
    reproFinding(LOCKD_SURVIVES, [
      `${live.map((t) => `${t} (wchan ${t.wchan || '-'})`).join(', ')} still running after the last umount`,
    ]);
}
