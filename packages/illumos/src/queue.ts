/**
 * Tail queues of <sys/queue.h> (usr/src/uts/common/sys/queue.h, NetBSD 1.42's), with and
 * without QUEUEDEBUG, pointer for pointer:
 *
 * - an entry is `{ tqe_next, tqe_prev }`: tqe_next points to the next element, tqe_prev to
 *   the previous element's tqe_next (or to the head's tqh_first); the head is `{ tqh_first,
 *   tqh_last }`, tqh_last pointing to the last element's tqe_next (or to tqh_first).
 *   Both tqh_first and tqe_next are at offset 0 of their struct, which is what TAILQ_LAST and
 *   TAILQ_PREV rely on; the model's "pointer to a pointer" is therefore the head or the entry.
 * - QUEUEDEBUG (illumos_machine({ queuedebug: true })): TAILQ_REMOVE first runs
 *   QUEUEDEBUG_TAILQ_PREREMOVE and QUEUEDEBUG_TAILQ_OP, and afterwards POSTREMOVE sets both
 *   links to (void *)1. A second remove of the same element then reads
 *   `elm->field.tqe_next->field.tqe_prev` with tqe_next == 1: a page fault at
 *   1 + offsetof(type, field) + 8, with the register that held tqe_next equal to 1.
 * - Without QUEUEDEBUG nothing is checked: a second remove writes through stale links.
 *
 * The macros take the field's name as C does; an entry also knows its element and offset
 * (model metadata for addresses and the mdb walkers: C computes them from the type).
 */
import { addr_of, fmt_ptr } from './kmem.js';
import { die, panic } from './panic.js';
import { illumos_config_of } from './param.js';

/** A pointer value that points at no model object: QUEUEDEBUG's (void *)1, or garbage. */
export class bad_ptr {
  constructor(readonly addr: bigint) {}
  toString(): string {
    return fmt_ptr(this.addr);
  }
}

/** QUEUEDEBUG_TAILQ_POSTREMOVE's value, illumos 096e63b2^:usr/src/uts/common/sys/queue.h: `(void *)1L`. */
export const QUEUEDEBUG_TRASH = new bad_ptr(1n);

/** A pointer to an element: the element, NULL, or a bad value. */
export type elm_ptr<T> = T | null | bad_ptr;
/** A pointer to a `T *` (tqe_prev, tqh_last): the head (its tqh_first) or an entry (its tqe_next). */
export type link_ptr<T extends object> = TAILQ_HEAD<T> | TAILQ_ENTRY<T> | null | bad_ptr;

/** TAILQ_ENTRY(type), illumos 096e63b2^:usr/src/uts/common/sys/queue.h: two pointers, 16 bytes. */
export class TAILQ_ENTRY<T extends object> {
  tqe_next: elm_ptr<T> = null;
  tqe_prev: link_ptr<T> = null;
  /**
   * @param elm the element this entry is embedded in (model metadata)
   * @param offset offsetof(type, field) on x86_64 (model metadata: the fault address)
   */
  constructor(
    readonly elm: T,
    readonly offset: number,
  ) {}
}

/** TAILQ_HEAD(name, type), illumos 096e63b2^:usr/src/uts/common/sys/queue.h; initialised as TAILQ_HEAD_INITIALIZER. */
export class TAILQ_HEAD<T extends object> {
  tqh_first: elm_ptr<T> = null;
  tqh_last: link_ptr<T> = this;
  constructor(readonly name = 'tailq') {}
}

type field_of<T> = { [K in keyof T]: T[K] extends TAILQ_ENTRY<infer _> ? K : never }[keyof T];

/** Model helper: the address a pointer-to-pointer holds (illumos 096e63b2^:usr/src/uts/common/sys/queue.h layout). */
export function link_addr<T extends object>(p: link_ptr<T>): bigint {
  if (p === null) return 0n;
  if (p instanceof bad_ptr) return p.addr;
  if (p instanceof TAILQ_HEAD) return addr_of(p);
  return addr_of(p.elm) + BigInt(p.offset);
}

/** Model helper: the address an element pointer holds (illumos 096e63b2^:usr/src/uts/common/sys/queue.h). */
export function elm_addr<T extends object>(p: elm_ptr<T>): bigint {
  if (p === null) return 0n;
  if (p instanceof bad_ptr) return p.addr;
  return addr_of(p);
}

/**
 * Model helper: `p->field` for an element pointer, as the CPU does it (illumos 096e63b2^:usr/src/uts/common/sys/queue.h): NULL or a bad pointer faults at p + offset
 * + `member` (0 for tqe_next, 8 for tqe_prev), the register holding p.
 */
function entryOf<T extends object>(
  p: elm_ptr<T>,
  field: field_of<T>,
  offset: number,
  member: number,
): TAILQ_ENTRY<T> {
  if (p === null || p instanceof bad_ptr) {
    const a = elm_addr(p);
    return die(a + BigInt(offset + member), { name: '%rdx', value: a });
  }
  return p[field] as TAILQ_ENTRY<T>;
}

/** Model helper: `*pp` for a pointer to an element pointer (illumos 096e63b2^:usr/src/uts/common/sys/queue.h). */
function load<T extends object>(pp: link_ptr<T>): elm_ptr<T> {
  if (pp === null || pp instanceof bad_ptr)
    return die(link_addr(pp), { name: '%rax', value: link_addr(pp) });
  return pp instanceof TAILQ_HEAD ? pp.tqh_first : pp.tqe_next;
}

/** Model helper: `*pp = v` (illumos 096e63b2^:usr/src/uts/common/sys/queue.h). */
function store<T extends object>(pp: link_ptr<T>, v: elm_ptr<T>): void {
  if (pp === null || pp instanceof bad_ptr) {
    die(link_addr(pp), { name: '%rax', value: link_addr(pp) });
  }
  if (pp instanceof TAILQ_HEAD) pp.tqh_first = v;
  else pp.tqe_next = v;
}

/** Model helper: are these the same pointer value? (illumos 096e63b2^:usr/src/uts/common/sys/queue.h compares addresses). */
function same(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a instanceof bad_ptr && b instanceof bad_ptr) return a.addr === b.addr;
  return false;
}

/** Model helper: was the code built with QUEUEDEBUG (illumos 096e63b2^:usr/src/uts/common/sys/queue.h)? */
function queuedebug(): boolean {
  return illumos_config_of().queuedebug;
}

/** TAILQ_INIT(), illumos 096e63b2^:usr/src/uts/common/sys/queue.h. */
export function TAILQ_INIT<T extends object>(head: TAILQ_HEAD<T>): void {
  head.tqh_first = null;
  head.tqh_last = head;
}

/** TAILQ_EMPTY(), illumos 096e63b2^:usr/src/uts/common/sys/queue.h. */
export function TAILQ_EMPTY<T extends object>(head: TAILQ_HEAD<T>): boolean {
  return head.tqh_first === null;
}

/** TAILQ_FIRST(), illumos 096e63b2^:usr/src/uts/common/sys/queue.h. */
export function TAILQ_FIRST<T extends object>(head: TAILQ_HEAD<T>): elm_ptr<T> {
  return head.tqh_first;
}

/** TAILQ_NEXT(), illumos 096e63b2^:usr/src/uts/common/sys/queue.h. */
export function TAILQ_NEXT<T extends object>(elm: T, field: field_of<T>): elm_ptr<T> {
  return (elm[field] as TAILQ_ENTRY<T>).tqe_next;
}

/**
 * QUEUEDEBUG_TAILQ_INSERT_HEAD, illumos 096e63b2^:usr/src/uts/common/sys/queue.h:
 * panic("TAILQ_INSERT_HEAD %p %s:%d") if the first element's tqe_prev is not &tqh_first.
 */
function QUEUEDEBUG_TAILQ_INSERT_HEAD<T extends object>(
  head: TAILQ_HEAD<T>,
  field: field_of<T>,
  file: string,
  line: number,
): void {
  const first = head.tqh_first;
  if (first === null) return;
  const e = entryOf(first, field, 0, 8);
  if (!same(e.tqe_prev, head))
    panic(`TAILQ_INSERT_HEAD ${fmt_ptr(addr_of(head))} ${file}:${line}`, 'TAILQ_INSERT_HEAD');
}

/** TAILQ_INSERT_HEAD(), illumos 096e63b2^:usr/src/uts/common/sys/queue.h. `file`/`line` are __FILE__/__LINE__ for QUEUEDEBUG's panics. */
export function TAILQ_INSERT_HEAD<T extends object>(
  head: TAILQ_HEAD<T>,
  elm: T,
  field: field_of<T>,
  file = 'queue.h',
  line = 0,
): void {
  if (queuedebug()) QUEUEDEBUG_TAILQ_INSERT_HEAD(head, field, file, line);
  const e = elm[field] as TAILQ_ENTRY<T>;
  e.tqe_next = head.tqh_first;
  if (e.tqe_next !== null) entryOf(head.tqh_first, field, e.offset, 8).tqe_prev = e;
  else head.tqh_last = e;
  head.tqh_first = elm;
  e.tqe_prev = head;
}

/**
 * TAILQ_INSERT_TAIL(), illumos 096e63b2^:usr/src/uts/common/sys/queue.h: with QUEUEDEBUG,
 * panic("TAILQ_INSERT_TAIL %p %s:%d", head) if `*head->tqh_last != NULL`.
 */
export function TAILQ_INSERT_TAIL<T extends object>(
  head: TAILQ_HEAD<T>,
  elm: T,
  field: field_of<T>,
  file = 'queue.h',
  line = 0,
): void {
  if (queuedebug() && load(head.tqh_last) !== null)
    panic(`TAILQ_INSERT_TAIL ${fmt_ptr(addr_of(head))} ${file}:${line}`, 'TAILQ_INSERT_TAIL');
  const e = elm[field] as TAILQ_ENTRY<T>;
  e.tqe_next = null;
  e.tqe_prev = head.tqh_last;
  store(head.tqh_last, elm);
  head.tqh_last = e;
}

/**
 * QUEUEDEBUG_TAILQ_PREREMOVE, illumos 096e63b2^:usr/src/uts/common/sys/queue.h: the last
 * element must be the one tqh_last points into: panic("TAILQ_PREREMOVE head %p elm %p %s:%d").
 */
function QUEUEDEBUG_TAILQ_PREREMOVE<T extends object>(
  head: TAILQ_HEAD<T>,
  elm: T,
  e: TAILQ_ENTRY<T>,
  file: string,
  line: number,
): void {
  if (e.tqe_next === null && !same(head.tqh_last, e))
    panic(
      `TAILQ_PREREMOVE head ${fmt_ptr(addr_of(head))} elm ${fmt_ptr(addr_of(elm))} ${file}:${line}`,
      'TAILQ_PREREMOVE',
    );
}

/**
 * QUEUEDEBUG_TAILQ_OP, illumos 096e63b2^:usr/src/uts/common/sys/queue.h: `if (elm->tqe_next &&
 * elm->tqe_next->tqe_prev != &elm->tqe_next) panic("TAILQ_* forw %p %s:%d")`, then `if
 * (*elm->tqe_prev != elm) panic("TAILQ_* back %p %s:%d")`. With tqe_next == (void *)1 the
 * first test faults reading 1->field.tqe_prev.
 */
function QUEUEDEBUG_TAILQ_OP<T extends object>(
  elm: T,
  e: TAILQ_ENTRY<T>,
  field: field_of<T>,
  file: string,
  line: number,
): void {
  if (e.tqe_next !== null && !same(entryOf(e.tqe_next, field, e.offset, 8).tqe_prev, e))
    panic(`TAILQ_* forw ${fmt_ptr(addr_of(elm))} ${file}:${line}`, 'TAILQ_* forw');
  if (!same(load(e.tqe_prev), elm))
    panic(`TAILQ_* back ${fmt_ptr(addr_of(elm))} ${file}:${line}`, 'TAILQ_* back');
}

/**
 * TAILQ_REMOVE(), illumos 096e63b2^:usr/src/uts/common/sys/queue.h: PREREMOVE and OP checks
 * under QUEUEDEBUG, unlink through the element's own links, then POSTREMOVE sets both links to
 * (void *)1 under QUEUEDEBUG. Without QUEUEDEBUG the links are left as they were (stale).
 */
export function TAILQ_REMOVE<T extends object>(
  head: TAILQ_HEAD<T>,
  elm: T,
  field: field_of<T>,
  file = 'queue.h',
  line = 0,
): void {
  const e = elm[field] as TAILQ_ENTRY<T>;
  const qd = queuedebug();
  if (qd) {
    QUEUEDEBUG_TAILQ_PREREMOVE(head, elm, e, file, line);
    QUEUEDEBUG_TAILQ_OP(elm, e, field, file, line);
  }
  if (e.tqe_next !== null) entryOf(e.tqe_next, field, e.offset, 8).tqe_prev = e.tqe_prev;
  else head.tqh_last = e.tqe_prev;
  store(e.tqe_prev, e.tqe_next);
  if (qd) {
    e.tqe_next = QUEUEDEBUG_TRASH;
    e.tqe_prev = QUEUEDEBUG_TRASH;
  }
}

/** TAILQ_FOREACH(), illumos 096e63b2^:usr/src/uts/common/sys/queue.h: follows tqe_next until NULL (forever on a cycle, as in C). */
export function* TAILQ_FOREACH<T extends object>(
  head: TAILQ_HEAD<T>,
  field: field_of<T>,
): Generator<T, void, void> {
  let v = head.tqh_first;
  while (v !== null) {
    const e = entryOf(v, field, 0, 0);
    yield v as T;
    v = e.tqe_next;
  }
}
