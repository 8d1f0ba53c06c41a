/**
 * 8. nlm-file-host-mutex-inversion: lockdep's report of file->f_mutex against
 * nlm_host_mutex in 2.6.24's lockd. Present at every step: this series does not touch it.
 */
import { HZ, msleep } from '@lockstep/kernel';
import { NlmClient, nfsMount, nfsUmount, scenario } from '@lockstep/machine';
import { single } from '../define.js';
import { FH, Flag } from '../util.js';

const ID = 'nlm-file-host-mutex-inversion';
/** NLM_HOST_COLLECT: host garbage collection runs at most this often (60 s). */
const HOST_GC_INTERVAL = 60 * HZ;

const sc = scenario({}, (m) => {
  const a = new NlmClient(m, 'client-a');
  const b = new NlmClient(m, 'client-b');
  const mounted = new Flag('mounted');
  const held = new Flag<string>('held');
  const done = new Flag('done');
  m.spawn_user('mount.nfs', function* () {
    yield* nfsMount();
    mounted.set(true);
    yield* done.wait();
    yield* nfsUmount();
  });
  a.spawn('p', function* () {
    yield* mounted.wait();
    held.set(yield* a.nlmLockWait({ fh: FH }));
  });
  b.spawn('p', function* () {
    yield* held.wait();
    // The next request after the GC interval makes nlm_lookup_host() collect garbage while
    // client-a's lock keeps the file open.
    yield* msleep(HOST_GC_INTERVAL + HZ);
    yield* b.nlmLock({ fh: FH });
    done.set(true);
  });
});

export const nlmFileHostMutexInversion = single({
  id: ID,
  title: 'lockdep: file->f_mutex and nlm_host_mutex taken in both orders',
  expects: 'possible deadlock in nlmsvc_traverse_blocks',
  doc: [
    'Client a takes a lock; more than a minute later client b asks for one.',
    'Cause (2.6.24): nlmsvc_lock() holds file->f_mutex while nlmsvc_create_block() looks up',
    'the host, which takes nlm_host_mutex. nlm_lookup_host() runs host garbage collection',
    'under nlm_host_mutex, and nlm_gc_hosts() -> nlmsvc_mark_resources() ->',
    "nlm_traverse_files() -> nlmsvc_traverse_blocks() takes each open file's f_mutex: the",
    'other order. lockdep reports the inversion of the two lock classes.',
    'Not fixed by this series; upstream (2.6.27) moved the host lookup out from under f_mutex.',
    'Present at every step. Runs with panic_on_warn on, so the lockdep report is the crash.',
  ].join('\n'),
  scenario: sc,
  machine: { panic_on_warn: true },
});
