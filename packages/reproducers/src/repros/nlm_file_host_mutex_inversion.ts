/**
 * 8. nlm-file-host-mutex-inversion: a check that 2.6.24's lockd takes file->f_mutex and
 * nlm_host_mutex in one order only. Older kernels took them in both; 255129d1 (2.6.23-rc9)
 * fixed it, so the base of the series is clean here at every step.
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
    const status = yield* a.nlmLockWait({ fh: FH }, { timeout: 60 * HZ });
    if (status !== 'granted')
      throw new Error(`client-a's LOCK: ${status}; the check needs it held`);
    held.set(status);
  });
  b.spawn('p', function* () {
    yield* held.wait();
    // The next request after the GC interval makes nlm_lookup_host() collect garbage while
    // client-a's lock keeps the file open.
    yield* msleep(HOST_GC_INTERVAL + HZ);
    const status = yield* b.nlmLock({ fh: FH });
    // Without an answer the LOCK path did not run to the end, and clean would prove nothing.
    if (status === 'timeout') throw new Error("client-b's LOCK got no answer");
    done.set(true);
  });
});

export const nlmFileHostMutexInversion = single({
  id: ID,
  title: 'lockdep: file->f_mutex and nlm_host_mutex in one order only (255129d1, in 2.6.24)',
  expects: 'possible deadlock in nlmsvc_traverse_blocks',
  doc: [
    'Client a takes a lock; more than a minute later client b asks for one on the same file.',
    "Client b's LOCK looks its host up with nlm_lookup_host(), which collects host garbage",
    'under nlm_host_mutex: nlm_gc_hosts() -> nlmsvc_mark_resources() -> nlm_traverse_files()',
    "-> nlmsvc_traverse_blocks() takes each open file's f_mutex (nlm_host_mutex, then f_mutex).",
    'Before 255129d1 ("NLM: Fix a circular lock dependency in lockd", 2.6.23-rc9),',
    'nlmsvc_create_block() looked the host up while nlmsvc_lock() held f_mutex: the other',
    'order, and lockdep reported it. In 2.6.24 nlmsvc_lock() and nlmsvc_testlock() look the',
    'host up before f_mutex and pass it to nlmsvc_create_block(), so the report does not come:',
    'the check stays clean at every step (the series does not touch these paths). It runs with',
    'panic_on_warn on, so any lockdep report would end the run as a crash.',
  ].join('\n'),
  scenario: sc,
  machine: { panic_on_warn: true },
});
