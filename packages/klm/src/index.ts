/**
 * @lockstep/klm: klmmod's NLM host management and garbage collector at illumos-gate
 * 096e63b2^ (the parent of "4872 system crash after nlm_gc hits bogus mutex"), on
 * @lockstep/illumos. File names follow illumos: nlm_impl.ts for
 * usr/src/uts/common/klm/nlm_impl.c (with the structures of nlm_impl.h), nlm_service.ts for
 * nlm_service.c; flock.ts holds the little of os/flock.c the lock path needs.
 */
export * from './flock.js';
export * from './nlm_impl.js';
export * from './nlm_service.js';
