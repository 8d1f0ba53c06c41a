/**
 * @lockstep/illumos: the illumos kernel interfaces that klmmod uses, at illumos-gate
 * 096e63b2^ (the parent of "4872 system crash after nlm_gc hits bogus mutex"), on the
 * lockstep simulated core. File names follow illumos: mutex.ts for os/mutex.c, condvar.ts for
 * os/condvar.c, kmem.ts for os/kmem.c, queue.ts for sys/queue.h, debug.ts for sys/debug.h and
 * assfail, panic.ts for os/panic.c and the x86 trap, clock.ts for lbolt, thread.ts for
 * thread_create, param.ts for hz and the machine; mdb.ts holds the post-mortem views.
 */
export * from './clock.js';
export * from './condvar.js';
export * from './debug.js';
export * from './kmem.js';
export * from './mdb.js';
export * from './mutex.js';
export * from './panic.js';
export * from './param.js';
export * from './queue.js';
export * from './thread.js';
