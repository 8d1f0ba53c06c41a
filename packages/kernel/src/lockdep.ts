/**
 * lockdep (kernel/lockdep.c): lock classes, the held-lock stack of each task, the
 * dependency graph, and the circular / recursive dependency and lockdep_sys_exit reports.
 *
 * STUB INTERFACE: the implementation of the graph and the reports lives here.
 */
import { current, type task_struct } from './sched.js';
import { type Backtrace, capture_backtrace } from './stack.js';

/** struct lockdep_map: a lock instance's link to its class (keyed by name, like a lock_class_key). */
export class lockdep_map {
  constructor(
    readonly name: string,
    /** The class key: locks initialised at the same site share it; here, the same name. */
    readonly key: string = name,
  ) {}
}

/** A held lock: an entry of task_struct.held_locks. */
export interface held_lock {
  readonly map: lockdep_map;
  readonly read: number;
  readonly trylock: boolean;
  /** Where it was acquired (kernel frames, innermost first). */
  readonly acquire_bt: Backtrace;
}

const HELD = 'lockdep.held_locks';

/** The task's held-lock stack (current->held_locks). */
export function held_locks(t: task_struct = current): held_lock[] {
  let h = t.ext[HELD] as held_lock[] | undefined;
  if (h === undefined) {
    h = [];
    t.ext[HELD] = h;
  }
  return h;
}

/** lock_acquire(): record the acquisition and check it against the dependency graph. */
export function lock_acquire(
  map: lockdep_map,
  _subclass: number,
  trylock: boolean,
  read: number,
): void {
  held_locks().push({ map, read, trylock, acquire_bt: capture_backtrace() });
}

/** lock_release(). */
export function lock_release(map: lockdep_map): void {
  const h = held_locks();
  for (let i = h.length - 1; i >= 0; i--) {
    if (h[i]!.map === map) {
      h.splice(i, 1);
      return;
    }
  }
}

/** lockdep_sys_exit(): a task must not return to user space holding a lock. */
export function lockdep_sys_exit(_syscall = ''): void {}
