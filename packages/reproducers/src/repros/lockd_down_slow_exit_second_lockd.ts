/**
 * 5. lockd-down-slow-exit-second-lockd: lockd_down() gives up on a lockd that sleeps
 * uninterruptibly in GFS2's gdlm_punlock after SIGKILL, and the next mount starts a second
 * lockd beside it; fixed by patch 5 of try #6 and by d751a7cd in the merged series (kthreads).
 */
import { HZ, type Machine, msleep } from '@lockstep/kernel';
import {
  gfsControldStop,
  live_lockd_tasks,
  NlmClient,
  nfsMount,
  nfsUmount,
  scenario,
} from '@lockstep/machine';
import { single } from '../define.js';
import { reproFinding } from '../run.js';
import { Flag } from '../util.js';

const ID = 'lockd-down-slow-exit-second-lockd';
const TITLE = 'lockd: second lockd started while the old one still runs';
const GFS = '/export/gfs';
/** How long gfs_controld takes to answer a plock request: well over lockd_down's HZ. */
const PLOCK_DELAY = 10 * HZ;

function checkOneLockd(m: Machine): void {
  const live = live_lockd_tasks(m);
  if (live.length > 1)
    reproFinding(TITLE, [
      `lockd tasks alive at once: ${live.map((t) => `${t} (wchan ${t.wchan || '-'})`).join(', ')}`,
    ]);
}

const sc = scenario({ exports: [{ path: GFS, fs: 'gfs2', plockDelay: PLOCK_DELAY }] }, (m) => {
  const client = new NlmClient(m, 'client-a');
  const mounted = new Flag('mounted');
  const locked = new Flag('locked');
  m.spawn_user('mount.nfs', function* () {
    yield* nfsMount();
    mounted.set(true);
    yield* locked.wait();
    // lockd_down: SIGKILL, lockd leaves its loop and drops client-a's lock
    // (nlmsvc_invalidate_all); the unlock waits in gdlm_punlock for gfs_controld.
    yield* nfsUmount();
    yield* nfsMount();
    checkOneLockd(m);
    yield* nfsUmount();
    // Stop the cluster daemon once lockd is gone, or after 60 s (a lockd that survives the
    // last umount is lockd-survives-last-umount's finding): an unanswered plock would hang.
    for (let s = 0; s < 60 && live_lockd_tasks(m).length > 0; s++) yield* msleep(HZ);
    yield* gfsControldStop();
  });
  client.spawn('p', function* () {
    yield* mounted.wait();
    // Blocking LOCK: gdlm_plock defers it (-EINPROGRESS), lockd answers BLOCKED, and the
    // GRANTED callback follows gfs_controld's answer (gdlm_plock_callback -> fl_grant).
    const st = yield* client.nlmLockWait({ fh: GFS });
    if (st !== 'granted') throw new Error(`client-a's lock on ${GFS} ended ${st}`);
    locked.set(true);
  });
});

export const lockdDownSlowExitSecondLockd = single({
  id: ID,
  title: 'lockd_down gives up on a busy lockd; the next lockd_up starts a second one',
  expects: TITLE,
  doc: [
    'A client holds a lock on a GFS2 file (lock_dlm); the userspace plock daemon, gfs_controld,',
    'takes 10 s to answer each request. NFS is unmounted, then mounted again.',
    'Cause (2.6.24): lockd_down() sends SIGKILL and waits at most one second (HZ) for lockd to',
    'exit. lockd leaves its loop and drops every client lock (nlmsvc_invalidate_all ->',
    'nlm_traverse_locks -> vfs_lock_file(F_UNLCK) -> gfs2_lock -> gdlm_punlock), which sleeps in',
    'wait_event (TASK_UNINTERRUPTIBLE, so the SIGKILL does not end it) until gfs_controld answers.',
    'lockd_down prints "lockd failed to exit, clearing pid" and clears nlmsvc_pid, and the next',
    'lockd_up() starts a second lockd while the first still runs.',
    'The lock itself is taken the 2.6.24 way: gdlm_plock sees fl_lmops->fl_grant and returns',
    '-EINPROGRESS, lockd answers LCK_BLOCKED (blocking request), and gdlm_plock_callback grants',
    'it through nlmsvc_grant_deferred when the daemon answers.',
    'Detector: the reproducer checks, after the second mount, that at most one lockd task is',
    `alive; two at once is its finding "${TITLE}". The kernel itself prints only the warning.`,
    'Fix: patch 5 of try #6, and d751a7cd in the merged series (2.6.26): lockd_down() waits',
    'in kthread_stop() until lockd has exited, so the next lockd_up() finds none running.',
  ].join('\n'),
  scenario: sc,
  machine: { panic_on_warn: true },
});
