/**
 * 6. grant-callback-svc-wake-up-uaf: rpciod's GRANTED_MSG callback wakes lockd's svc_serv
 * after the last umount freed it. Found by the explorer; fixed by patch 6 (nlmsvc_ref).
 */
import { HZ } from '@lockstep/kernel';
import { closeFile, fcntlUnlock, nfsUmount, scenario } from '@lockstep/machine';
import { spawnHolderAndBlockedClient } from '../blocked-client.js';
import { explored } from '../define.js';
import { FH } from '../util.js';

const ID = 'grant-callback-svc-wake-up-uaf';

/**
 * Every task just runs: no sleeps to widen a window. Once the client is blocked, the holder
 * unlocks and umounts; the client waits for its GRANTED.
 */
const sc = scenario({}, (m) =>
  spawnHolderAndBlockedClient(m, {
    *thenHolder(f) {
      yield* fcntlUnlock(f);
      yield* nfsUmount();
      yield* closeFile(f);
    },
    *thenClient(client, status) {
      if (status === 'blocked') yield* client.waitGranted({ fh: FH }, 60 * HZ);
    },
  }),
);

/** Bounded exhaustive search after the fix: about 3.5 s at step 6 on the 2-core machine. */
export const UAF_SCHEDULES = 3000;

export const grantCallbackSvcWakeUpUaf = explored(
  {
    id: ID,
    title: 'nlmsvc_grant_callback wakes a freed svc_serv after lockd went down',
    expects: 'KASAN: use-after-free Read in svc_wake_up',
    doc: [
      'A local process holds a lock on an export; an NLM client asks for it and blocks; the',
      'process unlocks and the last NFS mount goes away. Found by bounded exhaustive search',
      '(at most 2 preemptions) of that scenario; no delays are inserted.',
      'Cause (2.6.24): on the unlock lockd grants the blocked lock and sends GRANTED_MSG',
      'asynchronously. If lockd_down() takes lockd down before the reply, lockd frees its',
      "svc_serv on exit, and rpciod's nlmsvc_grant_callback() then calls",
      'svc_wake_up(block->b_daemon) on the freed serv.',
      'Fix: patch 6 (nlmsvc_ref, not merged) keeps lockd up while blocks are queued on',
      'nlm_blocked; from then on the outcome is clean with the number of schedules covered.',
      "Upstream fixed it in 2.6.25 instead, by shutting down each host's RPC client in",
      'nlm_shutdown_hosts().',
      'Runs with panic_on_warn on: 2.6.24 has no f_mutex / nlm_host_mutex inversion (255129d1),',
      'so no lockdep warning comes before the use-after-free.',
    ].join('\n'),
    scenario: sc,
    machine: { panic_on_warn: true },
  },
  {},
);
