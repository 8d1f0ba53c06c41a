/**
 * @lockstep/kernel: a deterministic simulated Linux kernel core. These exports are the
 * core's EXPORT_SYMBOLs; model packages (sunrpc, lockd, vfs-locks, ...) build on them.
 */
export * from './atomic.js';
export * from './bug.js';
export * from './completion.js';
export * from './daemonize.js';
export * from './errno.js';
export * from './explore/index.js';
export * from './freezer.js';
export * from './hung_task.js';
export * from './kmemleak.js';
export * from './kthread.js';
export * from './layout.js';
export * from './list.js';
export * from './lockdep.js';
export * from './module.js';
export * from './mutex.js';
export * from './once.js';
export * from './printk.js';
export * from './report.js';
export * from './rwsem.js';
export * from './sched.js';
export * from './signal.js';
export * from './slab.js';
export * from './smp_lock.js';
export {
  DEFINE_SPINLOCK,
  spin_is_locked,
  spin_lock,
  spin_lock_bh,
  spin_lock_irq,
  spin_lock_irqsave,
  spin_trylock,
  spin_unlock,
  spin_unlock_bh,
  spin_unlock_irq,
  spin_unlock_irqrestore,
  spinlock_t,
} from './spinlock.js';
export {
  type Backtrace,
  capture_backtrace,
  format_backtrace,
  title_function,
  title_skip,
} from './stack.js';
export * from './syscall.js';
export * from './task_work.js';
export * from './timer.js';
export * from './trace.js';
export * from './wait.js';
export * from './workqueue.js';
