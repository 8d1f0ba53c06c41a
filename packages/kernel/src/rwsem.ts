/**
 * Read/write semaphores (lib/rwsem-spinlock.c): FIFO wait list, and the releaser grants
 * the lock to the waiters at the head (all leading readers, or one writer).
 */
import { lock_acquire, lock_release, lockdep_map } from './lockdep.js';
import {
  current,
  type Kfn,
  SP_PREEMPT,
  schedule,
  set_current_state,
  TASK_RUNNING,
  TASK_UNINTERRUPTIBLE,
  type task_struct,
  this_machine,
  track_opaque,
  wake_up_process,
} from './sched.js';
import { title_skip } from './stack.js';

interface rwsem_waiter {
  task: task_struct;
  write: boolean;
  granted: boolean;
}

/** struct rw_semaphore: activity is the number of readers, or -1 for a writer. */
export class rw_semaphore {
  activity = 0;
  readonly wait_list: rwsem_waiter[] = [];
  readonly dep_map: lockdep_map;
  constructor(readonly name: string) {
    this.dep_map = new lockdep_map(name);
  }
}

export function DECLARE_RWSEM(name: string): rw_semaphore {
  track_opaque(); // DPOR: effects the core does not record
  return new rw_semaphore(name);
}

function* rwsem_wait(sem: rw_semaphore, write: boolean): Kfn {
  const t = current;
  const w: rwsem_waiter = { task: t, write, granted: false };
  sem.wait_list.push(w);
  this_machine().emit(t.pid, 'contend', sem.name);
  for (;;) {
    set_current_state(TASK_UNINTERRUPTIBLE);
    if (w.granted) break;
    t.wchan = `rwsem ${sem.name}`;
    yield* schedule();
  }
  set_current_state(TASK_RUNNING);
}

/** __rwsem_do_wake(): grant to the head of the queue. */
function rwsem_wake(sem: rw_semaphore): void {
  const q = sem.wait_list;
  if (sem.activity !== 0 || q.length === 0) return;
  if (q[0]!.write) {
    const w = q.shift()!;
    sem.activity = -1;
    w.granted = true;
    wake_up_process(w.task);
    return;
  }
  while (q.length > 0 && !q[0]!.write) {
    const w = q.shift()!;
    sem.activity++;
    w.granted = true;
    wake_up_process(w.task);
  }
}

export function* down_read(sem: rw_semaphore): Kfn {
  track_opaque(); // DPOR: effects the core does not record
  yield SP_PREEMPT;
  lock_acquire(sem.dep_map, 0, false, 1);
  if (sem.activity >= 0 && sem.wait_list.length === 0) sem.activity++;
  else yield* rwsem_wait(sem, false);
  this_machine().emit(current.pid, 'acquire', sem.name, { read: 1 });
}

export function* down_write(sem: rw_semaphore): Kfn {
  track_opaque(); // DPOR: effects the core does not record
  yield SP_PREEMPT;
  lock_acquire(sem.dep_map, 0, false, 0);
  if (sem.activity === 0 && sem.wait_list.length === 0) sem.activity = -1;
  else yield* rwsem_wait(sem, true);
  this_machine().emit(current.pid, 'acquire', sem.name);
}

/** down_read_trylock(): 1 when taken. */
export function* down_read_trylock(sem: rw_semaphore): Kfn<number> {
  track_opaque(); // DPOR: effects the core does not record
  yield SP_PREEMPT;
  if (sem.activity < 0 || sem.wait_list.length > 0) return 0;
  lock_acquire(sem.dep_map, 0, true, 1);
  sem.activity++;
  return 1;
}

export function* down_write_trylock(sem: rw_semaphore): Kfn<number> {
  track_opaque(); // DPOR: effects the core does not record
  yield SP_PREEMPT;
  if (sem.activity !== 0 || sem.wait_list.length > 0) return 0;
  lock_acquire(sem.dep_map, 0, true, 0);
  sem.activity = -1;
  return 1;
}

export function* up_read(sem: rw_semaphore): Kfn {
  track_opaque(); // DPOR: effects the core does not record
  lock_release(sem.dep_map);
  sem.activity--;
  this_machine().emit(current.pid, 'release', sem.name, { read: 1 });
  rwsem_wake(sem);
  yield SP_PREEMPT;
}

export function* up_write(sem: rw_semaphore): Kfn {
  track_opaque(); // DPOR: effects the core does not record
  lock_release(sem.dep_map);
  sem.activity = 0;
  this_machine().emit(current.pid, 'release', sem.name);
  rwsem_wake(sem);
  yield SP_PREEMPT;
}

/** downgrade_write(): become a reader and let the queued readers in. */
export function downgrade_write(sem: rw_semaphore): void {
  track_opaque(); // DPOR: effects the core does not record
  sem.activity = 1;
  const q = sem.wait_list;
  while (q.length > 0 && !q[0]!.write) {
    const w = q.shift()!;
    sem.activity++;
    w.granted = true;
    wake_up_process(w.task);
  }
}

title_skip(
  'down_read',
  'down_write',
  'up_read',
  'up_write',
  'down_read_trylock',
  'down_write_trylock',
  'rwsem_wait',
);
