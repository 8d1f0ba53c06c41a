/**
 * 1. svc-exit-thread-null-deref: an allocation failure while lockd_up() creates lockd's svc
 * thread oopses in svc_exit_thread() (2.6.24); fixed by patch 1 (svc_prepare_thread).
 */
import { ENOMEM } from '@lockstep/kernel';
import { live_lockd_tasks, nfsMount, scenario } from '@lockstep/machine';
import { single } from '../define.js';
import { reproFinding } from '../run.js';

const ID = 'svc-exit-thread-null-deref';

/**
 * Fail the first allocation of the rqstp's argument buffer. Injection by struct type, not by
 * function name: rq_argp is allocated in __svc_create_thread() in 2.6.24 and in
 * svc_prepare_thread() from patch 1 on, so the same fault hits both.
 */
const FAULT = { type: 'rq_argp' } as const;

const sc = scenario({ failslab: FAULT }, (m) => {
  m.spawn_user('mount.nfs', function* () {
    const err = yield* nfsMount();
    if (err === 0)
      throw new Error(
        'failslab did not hit: lockd_up() succeeded, so no rq_argp allocation was failed; ' +
          'the reproducer no longer tests the error path',
      );
    // Reached only when the error path survives: it must report -ENOMEM and leave no lockd.
    if (err !== -ENOMEM || live_lockd_tasks(m).length > 0)
      reproFinding('lockd_up: bad cleanup after a failed thread allocation', [
        `mount returned ${err} (expected ${-ENOMEM}) with ${live_lockd_tasks(m).length} lockd tasks alive`,
      ]);
  });
});

export const svcExitThreadNullDeref = single({
  id: ID,
  title: 'NULL dereference in svc_exit_thread when lockd_up fails to allocate its svc thread',
  expects: 'BUG: unable to handle kernel NULL pointer dereference in svc_exit_thread',
  doc: [
    "A mount starts lockd; failslab fails the allocation of the new svc thread's rq_argp buffer.",
    'Cause (2.6.24): __svc_create_thread() allocates the rqstp, then rq_argp, rq_resp and the',
    'pages, and on a failure jumps to svc_exit_thread() before rq_server and rq_pool are set;',
    'svc_exit_thread() takes rq_pool->sp_lock through the NULL pool and oopses.',
    'Fix: patch 1 (svc_prepare_thread, merged in 2.6.25) ties the rqstp to its serv and pool',
    'before allocating the buffers; lockd_up() then fails cleanly with -ENOMEM.',
    'The fault is injected by struct type (rq_argp), which both versions allocate.',
  ].join('\n'),
  scenario: sc,
  machine: { panic_on_warn: true },
});
