/**
 * The setup of the reproducers that need a block on lockd's nlm_blocked list: a local process
 * holds a lock on the export and an NLM client asks for it with a blocking LOCK, which lockd
 * answers BLOCKED.
 */
import type { Kfn, Machine } from '@lockstep/kernel';
import {
  type closeFile,
  fcntlLock,
  NlmClient,
  type NlmClientOptions,
  type NlmStatus,
  nfsMount,
  openExport,
} from '@lockstep/machine';
import { FH, Flag } from './util.js';

/** A file of the export as openExport opens it (the type lives in @lockstep/vfs-locks). */
export type ExportFile = Parameters<typeof closeFile>[0];

export interface BlockedClientSetup {
  /** Options of the blocked NLM client (host client-b). */
  clientOptions?: NlmClientOptions;
  /** What the holder (task app) does once lockd answered the client; it still holds `f`'s lock. */
  thenHolder: (f: ExportFile) => Kfn<void>;
  /** What the client's process (client-b:p) does next with lockd's answer to its LOCK. */
  thenClient?: (client: NlmClient, status: NlmStatus) => Kfn<void>;
}

/**
 * Spawn the holder and the client. Flags only order the steps a tester would run one after
 * the other (mount and lock, then the client's LOCK); no sleeps widen a window. The tasks,
 * flags and client are created in a fixed order, so schedules replay as before.
 */
export function spawnHolderAndBlockedClient(m: Machine, setup: BlockedClientSetup): void {
  const client = new NlmClient(m, 'client-b', setup.clientOptions);
  const locked = new Flag('locked');
  const answered = new Flag<NlmStatus>('answered');
  m.spawn_user('app', function* () {
    yield* nfsMount();
    const f = yield* openExport(FH);
    yield* fcntlLock(f);
    locked.set(true);
    yield* answered.wait();
    yield* setup.thenHolder(f);
  });
  client.spawn('p', function* () {
    yield* locked.wait();
    const status = yield* client.nlmLock({ fh: FH }, { block: true });
    answered.set(status);
    if (setup.thenClient !== undefined) yield* setup.thenClient(client, status);
  });
}
