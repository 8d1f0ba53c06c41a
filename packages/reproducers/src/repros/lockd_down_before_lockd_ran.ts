/**
 * 7. lockd-down-before-lockd-ran: lockd_down() right after lockd_up(). Upstream's merged
 * kthread conversion (d751a7cd) can stop lockd before lockd() ran (fixed by abd1ec4e, 2.6.27);
 * try #6 cannot.
 */
import { type Machine, slab_live_objects, slab_meta } from '@lockstep/kernel';
import { nfsMount, nfsUmount, scenario } from '@lockstep/machine';
import { explored } from '../define.js';
import { reproFinding } from '../run.js';
import { checkNoLockdLeft } from '../util.js';

const ID = 'lockd-down-before-lockd-ran';
const TITLE = "lockd: lockd's cleanup did not run after the last umount";

/** What lockd's exit path frees (svc_exit_thread, svc_destroy), as /proc/slabinfo counts it. */
const SERVICE_TYPES = new Set(['svc_serv', 'svc_rqst']);

function checkCleanedUp(m: Machine): void {
  // A lockd still alive is another bug (lockd-survives-last-umount); this one is a lockd
  // that exited without running its cleanup.
  checkNoLockdLeft(m);
  const left = slab_live_objects(m)
    .map((o) => slab_meta(o)!.type)
    .filter((t) => SERVICE_TYPES.has(t));
  if (left.length > 0)
    reproFinding(TITLE, [
      `still allocated after the last umount: ${left.join(', ')}`,
      'lockd frees its svc_rqst and the svc_serv on its way out; it never got there',
    ]);
}

const sc = scenario({ kmemleak: true }, (m) => {
  m.spawn_user('mount.nfs', function* () {
    for (let i = 0; i < 2; i++) {
      const err = yield* nfsMount();
      if (err !== 0) throw new Error(`mount failed with ${err}`);
      yield* nfsUmount();
    }
  });
  m.endChecks.push(() => checkCleanedUp(m));
});

export const lockdDownBeforeLockdRan = explored(
  {
    id: ID,
    title: 'lockd_down right after lockd_up: lockd stopped before it ever ran',
    expects: TITLE,
    doc: [
      'A process mounts and at once unmounts NFS, twice, under random schedules and all',
      'schedules with at most 2 preemptions. Checks at the end: with no lockd task alive, no',
      'svc_serv or svc_rqst is left allocated (lockd frees them on its way out), and kmemleak',
      'finds no leak.',
      'Upstream: the kthread conversion as merged (2.6.26) no longer waited for lockd to start;',
      'kthread_stop() on a thread that has not run yet makes it exit without running its',
      "function, so lockd's cleanup (host shutdown, svc_exit_thread) never ran. Fixed in 2.6.27.",
      'Try #6 is immune: lockd_up() still waits for lockd_start_done after kthread_run(), and',
      'lockd() completes it only once it runs; lockd_down() needs nlmsvc_mutex, which',
      'lockd_up() holds until then. So lockd() has always run before kthread_stop() can come.',
      'The model shows no failure at any step of try #6. In the merged series it fails from',
      'd751a7cd on (lockd_up() returns before lockd runs, and the umount can stop it at once),',
      'and abd1ec4e, which moves svc_exit_thread() into lockd_down(), ends it. Other reports',
      "met while exploring (such as kthread-stop-lost-wakeup's hang) are listed, not counted.",
    ].join('\n'),
    scenario: sc,
    machine: { panic_on_warn: true },
  },
  {},
  // The check's own finding, or kmemleak's: both mean lockd's cleanup did not run.
  (title) => title === TITLE || title.startsWith('memory leak in '),
);
