/**
 * 6. grant-callback-svc-wake-up-uaf: rpciod's GRANTED_MSG callback wakes lockd's svc_serv
 * after the last umount freed it. Found by the explorer. Try #6's patch 6 (nlmsvc_ref) claims
 * to fix it and the model refutes that; upstream's d801b861 (2.6.25) leaves no failure found.
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
      'Try #6: patch 6 (nlmsvc_ref, not merged) claims the fix, and the model refutes it:',
      'nlmsvc_ref counts blocks on nlm_blocked, not calls in flight, so a GRANTED_RES that',
      'unlinks the block before rpciod runs the callback lets lockd exit and free the serv',
      'first; PCT finds that at patch 6 with no inserted delays.',
      "Merged series: d801b861 (2.6.25) shuts down each host's RPC client in",
      "nlm_shutdown_hosts(), on lockd's way out and before its serv is released; it waits for",
      'the calls in flight, callbacks included. From that step on the model finds no failure',
      '(searched, not exhausted).',
      'Runs with panic_on_warn on: 2.6.24 has no f_mutex / nlm_host_mutex inversion (255129d1),',
      'so no lockdep warning comes before the use-after-free.',
    ].join('\n'),
    scenario: sc,
    machine: { panic_on_warn: true },
  },
  {},
);
