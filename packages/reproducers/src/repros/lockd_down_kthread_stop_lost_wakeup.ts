/**
 * 10. lockd-down-kthread-stop-lost-wakeup: with patch 5, lockd_down() stops lockd with
 * kthread_stop() alone, and a stop that comes while lockd is on its way into svc_recv()'s
 * sleep is lost: umount hangs. Introduced by patch 5, gone with patch 6. In the merged series
 * the same hang comes from a stale nlmsvc_task (d751a7cd), and abd1ec4e ends it.
 */
import { nfsMount, nfsUmount, scenario } from '@lockstep/machine';
import { explored } from '../define.js';

const ID = 'lockd-down-kthread-stop-lost-wakeup';

const sc = scenario({}, (m) => {
  m.spawn_user('mount.nfs', function* () {
    for (let i = 0; i < 2; i++) {
      const err = yield* nfsMount();
      if (err !== 0) throw new Error(`mount failed with ${err}`);
      yield* nfsUmount();
    }
  });
});

export const lockdDownKthreadStopLostWakeup = explored(
  {
    id: ID,
    title: 'kthread_stop() of lockd is lost when it comes just before lockd sleeps in svc_recv',
    expects: 'INFO: task hung in lockd_down',
    doc: [
      'A process mounts and at once unmounts NFS, twice, under random schedules and all',
      'schedules with at most 2 preemptions.',
      "Cause (patch 5 of try #6): lockd's loop tests kthread_should_stop() and then sleeps in",
      'svc_recv() with no timeout. kthread_stop() sets the stop flag and wakes lockd; if that',
      "happens after lockd's test but before svc_recv() set TASK_INTERRUPTIBLE, the wake-up",
      'finds lockd running and is lost, lockd sleeps for good, and lockd_down() waits in',
      'kthread_stop() forever: the hung-task report names lockd_down.',
      'Absent at the base (lockd_down sends SIGKILL, which a sleep cannot miss). Patch 6 goes',
      'back to SIGKILL, so it is gone again. Upstream merged the kthread conversion (2.6.26)',
      'together with a check of kthread_should_stop() in svc_recv() after set_current_state(),',
      'which closes the window.',
      'Merged series: the same umount hangs in lockd_down() from d751a7cd on, for another',
      'reason. The first umount stops a lockd that never ran, so its exit path does not clear',
      'nlmsvc_task and nlmsvc_serv; the second mount takes lockd for running, and the second',
      'umount calls kthread_stop() on a task that has already exited and waits for ever.',
      'abd1ec4e (2.6.27) clears both in lockd_down() and ends it.',
    ].join('\n'),
    scenario: sc,
    machine: { panic_on_warn: true },
  },
  {},
);
