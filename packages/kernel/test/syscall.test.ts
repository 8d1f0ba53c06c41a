/** The syscall boundary: task_work on the way back to user space, freezing there. */
import { describe, expect, it } from 'vitest';
import {
  current,
  ESRCH,
  freeze_processes,
  frozen,
  jiffies,
  kthread_spawn,
  Machine,
  msleep,
  msleep_interruptible,
  schedule_timeout_interruptible,
  syscall,
  type task_struct,
  task_work_add,
  thaw_processes,
} from '../src/index.js';

describe('syscall boundary', () => {
  it('runs task_work on the return to user space, oldest first', () => {
    const m = new Machine();
    const log: string[] = [];
    m.spawn_user('proc', function* () {
      const ret = yield* syscall('close', function* () {
        task_work_add(current, () => void log.push('tw1'));
        task_work_add(current, function* () {
          yield* msleep(1); // task_work may sleep
          log.push(`tw2 @${jiffies}`);
        });
        task_work_add(current, () => void log.push('tw3'));
        log.push('syscall body done');
        return 0;
      });
      log.push(`user space again, ret ${ret}`);
    });
    expect(m.run().outcome).toBe('clean');
    expect(log).toEqual(['syscall body done', 'tw1', 'tw2 @2', 'tw3', 'user space again, ret 0']);
  });

  it('work queued on another task runs at that task’s next syscall exit; kthreads refuse it', () => {
    const m = new Machine();
    const log: string[] = [];
    const k = kthread_spawn(
      function* idle(_: null) {
        yield* schedule_timeout_interruptible(10);
        return 0;
      },
      null,
      'kidle',
      m,
    );
    let target: task_struct | null = null;
    target = m.spawn_user('target', function* () {
      yield* syscall('nanosleep', function* () {
        yield* msleep(9);
        log.push(`target syscall returns @${jiffies}`);
        return 0;
      });
      log.push('target in user space');
    });
    m.spawn_user('queuer', function* () {
      yield* msleep(4);
      log.push(`queue: ${task_work_add(target!, () => void log.push(`tw on ${current.comm}`))}`);
      log.push(`kthread: ${task_work_add(k, () => void log.push('never'))}`);
    });
    expect(m.run().outcome).toBe('clean');
    expect(log).toEqual([
      'queue: 0',
      `kthread: ${-ESRCH}`,
      'target syscall returns @10',
      'tw on target',
      'target in user space',
    ]);
  });

  it('a user process freezes on its way out of a syscall and resumes when thawed', () => {
    const m = new Machine();
    const returns: number[] = [];
    const daemon = m.spawn_user('daemon', function* () {
      for (let i = 0; i < 4; i++) {
        yield* syscall('read', function* () {
          return yield* msleep_interruptible(100); // cut short by the freezer's fake signal
        });
        returns.push(jiffies);
      }
    });
    const seen: Array<number | boolean> = [];
    m.spawn_user('pm', function* () {
      yield* msleep(149);
      seen.push(yield* freeze_processes(), frozen(daemon), jiffies);
      yield* msleep(999);
      seen.push(returns.length);
      thaw_processes();
    });
    const r = m.run();
    expect(r.outcome).toBe('clean');
    // The first read returns at 101. The second is interrupted at 150 (the user-space pass) and
    // the daemon freezes on the way out, before user space sees the return; it gets there only
    // after the thaw at 1153. Each freezer pass costs the caller a jiffy here.
    expect(seen).toEqual([0, true, 153, 1]);
    expect(returns).toEqual([101, 1153, 1254, 1355]);
  });
});
