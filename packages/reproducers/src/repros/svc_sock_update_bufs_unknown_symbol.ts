/**
 * 2. svc-sock-update-bufs-unknown-symbol: a module that calls svc_sock_update_bufs() cannot
 * load against 2.6.24's sunrpc; fixed by patch 2 (EXPORT_SYMBOL).
 */
import { this_machine, unknown_symbol_report } from '@lockstep/kernel';
import { insmodModule, scenario } from '@lockstep/machine';
import { single } from '../define.js';

const ID = 'svc-sock-update-bufs-unknown-symbol';
const MODULE = 'lockd_kthread';

/**
 * What an out-of-tree lockd that starts its thread with kthread_run() links against: the
 * svc calls it keeps, svc_sock_update_bufs() (which svc_create_thread() used to call for
 * it), and the kthread API.
 */
const NEEDS = {
  sunrpc: ['svc_create', 'svc_destroy', 'svc_exit_thread', 'svc_sock_update_bufs'],
  kernel: ['kthread_run', 'kthread_stop', 'kthread_should_stop'],
} as const;

const sc = scenario({}, (m) => {
  m.spawn_user('insmod', function* () {
    const res = yield* insmodModule(MODULE, NEEDS);
    // insmod fails with "Unknown symbol in module": that is this reproducer's crash.
    if (res.error !== 0) this_machine().raise(unknown_symbol_report(MODULE, res.missing));
  });
});

export const svcSockUpdateBufsUnknownSymbol = single({
  id: ID,
  title: 'a module using svc_sock_update_bufs fails to load: the symbol is not exported',
  expects: `Unknown symbol svc_sock_update_bufs in module ${MODULE}`,
  doc: [
    `insmod of an out-of-tree module (${MODULE}) that calls svc_sock_update_bufs().`,
    'Cause (2.6.24): svc_sock_update_bufs() is used only inside sunrpc (by __svc_create_thread)',
    'and is not exported, so load_module() prints "Unknown symbol" and insmod fails. A service',
    'that starts its threads with kthread_run() instead of svc_create_thread() needs it.',
    'Fix: patch 2 exports it (merged in 2.6.26). The failed insmod is reported as the crash.',
  ].join('\n'),
  scenario: sc,
  machine: { panic_on_warn: true },
});
