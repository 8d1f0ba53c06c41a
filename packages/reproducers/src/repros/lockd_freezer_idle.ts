/**
 * 4. lockd-freezer-idle: suspend while lockd is idle. Patch 4 says lockd never calls
 * try_to_freeze(); in 2.6.24 svc_recv() does, so lockd freezes at every step.
 */
import { NlmClient, nfsMount, nfsUmount, pmSuspend, scenario } from '@lockstep/machine';
import { single } from '../define.js';
import { reproFinding } from '../run.js';
import { FH, Flag } from '../util.js';

const ID = 'lockd-freezer-idle';

const sc = scenario({}, (m) => {
  const client = new NlmClient(m, 'client-a');
  const mounted = new Flag('mounted');
  const served = new Flag<string>('served');
  m.spawn_user('app', function* () {
    yield* nfsMount();
    mounted.set(true);
    // Once lockd has served a request it is back in svc_recv(), idle.
    yield* served.wait();
    for (let i = 0; i < 2; i++) {
      const err = yield* pmSuspend();
      if (err !== 0) reproFinding('suspend failed with lockd idle', [`pm_suspend returned ${err}`]);
    }
    yield* nfsUmount();
  });
  client.spawn('p', function* () {
    yield* mounted.wait();
    served.set((yield* client.nlmTest({ fh: FH })).status);
  });
});

export const lockdFreezerIdle = single({
  id: ID,
  title: 'lockd never calls try_to_freeze (patch 4): suspend with lockd idle',
  expects: 'freezer: lockd refuses to freeze',
  doc: [
    'NFS is mounted, a client has sent lockd a request, and lockd is idle waiting for the next',
    'one; then the machine suspends twice.',
    'Claim (patch 4): lockd marks itself freezable but never calls try_to_freeze(), so it',
    'would refuse to freeze. Not so in 2.6.24: lockd sleeps in svc_recv(), which calls',
    "try_to_freeze() before and after its wait, so the freezer's wake-up puts lockd in the",
    'refrigerator. The model shows no failure at any step; patch 4 was never merged, and the',
    'merged kthread conversion (d751a7cd) relies on svc_recv() for the freezing.',
    'A lockd that is not idle is another story: see suspend-during-granted-ping.',
  ].join('\n'),
  scenario: sc,
  machine: { panic_on_warn: true },
});
