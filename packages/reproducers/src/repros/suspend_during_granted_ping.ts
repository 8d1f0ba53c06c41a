/**
 * 9. suspend-during-granted-ping: suspend while lockd waits in the synchronous ping of an
 * unresponsive client it is granting a lock to. Present at every step of try #6; fixed by
 * 031fd3aa (no ping) in the merged series.
 */
import { HZ, msleep } from '@lockstep/kernel';
import { closeFile, fcntlUnlock, nfsUmount, pmSuspend, scenario } from '@lockstep/machine';
import { spawnHolderAndBlockedClient } from '../blocked-client.js';
import { single } from '../define.js';

const ID = 'suspend-during-granted-ping';

const sc = scenario({}, (m) =>
  spawnHolderAndBlockedClient(m, {
    // A client that stopped answering calls from the server (it still sends its own).
    clientOptions: { responsive: false },
    *thenHolder(f) {
      // lockd grants the blocked lock and, binding the client's host, pings it: the ping
      // retries for about a minute. Suspend two seconds into it.
      yield* fcntlUnlock(f);
      yield* msleep(2 * HZ);
      yield* pmSuspend();
      yield* closeFile(f);
      yield* nfsUmount();
    },
  }),
);

export const suspendDuringGrantedPing = single({
  id: ID,
  title: 'suspend fails while lockd pings an unresponsive client to grant it a lock',
  expects: 'freezer: lockd refuses to freeze',
  doc: [
    'A client blocks on a lock and then stops answering; the holder unlocks and the machine',
    'suspends two seconds later.',
    'Cause (2.6.24): granting the lock sends GRANTED_MSG through nlm_async_call(), whose',
    "nlm_bind_host() creates the host's RPC client with rpc_create(), which pings the host",
    'synchronously. lockd waits inside that RPC, not in svc_recv(), so it never reaches',
    'try_to_freeze() and the freezer gives up after 20 s ("Freezing of tasks failed").',
    "Try #6 does not fix it: patch 4's try_to_freeze() in lockd's main loop is never",
    'reached while lockd waits inside the ping; present at every step.',
    'Merged series: 031fd3aa (2.6.25) creates NLM clients with RPC_CLNT_CREATE_NOPING, so',
    'lockd queues the GRANTED_MSG and goes back to svc_recv(), where it freezes.',
  ].join('\n'),
  scenario: sc,
  machine: { panic_on_warn: true },
});
