/**
 * Post-mortem views as an engineer takes them with mdb (usr/src/cmd/mdb) on a crash dump:
 * walking a TAILQ forward by tqe_next and backward by tqe_prev, printing an entry's links,
 * and a mutex's lock word. They read the model's state without running kernel code (no
 * scheduling points, no faults: a bad pointer ends a walk, as mdb reports a read error).
 */
import { addr_of, fmt_ptr } from './kmem.js';
import {
  type kmutex_t,
  MUTEX_DEAD,
  MUTEX_OWNER,
  MUTEX_TYPE_ADAPTIVE,
  MUTEX_WAITERS,
} from './mutex.js';
import { bad_ptr, elm_addr, link_addr, TAILQ_ENTRY, type TAILQ_HEAD } from './queue.js';

/** The result of a walk: the element addresses visited, and how it ended. */
export interface mdb_walk {
  readonly addrs: readonly string[];
  /** 'end': reached NULL (forward) or the head (backward); 'loop': came back to an element already walked; 'bad': a pointer to nothing (mdb: "failed to read"). */
  readonly end: 'end' | 'loop' | 'bad';
  /** For 'loop', the element it came back to; for 'bad', the bad address. */
  readonly at?: string;
}

/**
 * Model helper: the forward walk of a TAILQ, `addr::walk` by tqe_next from tqh_first (an mdb
 * walk over the links of illumos 096e63b2^:usr/src/uts/common/sys/queue.h).
 * `field` names the entry in the element.
 */
export function mdb_walk_tailq_forward<T extends object>(
  head: TAILQ_HEAD<T>,
  field: keyof T,
  limit = 64,
): mdb_walk {
  const out: string[] = [];
  const seen = new Set<T>();
  let p = head.tqh_first;
  while (p !== null) {
    if (p instanceof bad_ptr) return { addrs: out, end: 'bad', at: fmt_ptr(p.addr) };
    if (seen.has(p) || out.length >= limit)
      return { addrs: out, end: 'loop', at: fmt_ptr(addr_of(p)) };
    seen.add(p);
    out.push(fmt_ptr(addr_of(p)));
    p = (p[field] as TAILQ_ENTRY<T>).tqe_next;
  }
  return { addrs: out, end: 'end' };
}

/**
 * Model helper: the backward walk, as the blog did it by hand: start from tqh_last (the last
 * element's tqe_next, so the element is tqh_last - offset), then follow each element's tqe_prev
 * (its predecessor's tqe_next) until it points at the head's tqh_first (illumos 096e63b2^:usr/src/uts/common/sys/queue.h layout).
 */
export function mdb_walk_tailq_backward<T extends object>(
  head: TAILQ_HEAD<T>,
  limit = 64,
): mdb_walk {
  const out: string[] = [];
  const seen = new Set<object>();
  let p = head.tqh_last;
  while (p !== head) {
    if (p === null || p instanceof bad_ptr)
      return { addrs: out, end: 'bad', at: fmt_ptr(link_addr(p)) };
    if (!(p instanceof TAILQ_ENTRY)) return { addrs: out, end: 'bad', at: fmt_ptr(link_addr(p)) };
    const elm = p.elm;
    if (seen.has(elm) || out.length >= limit)
      return { addrs: out, end: 'loop', at: fmt_ptr(addr_of(elm)) };
    seen.add(elm);
    out.push(fmt_ptr(addr_of(elm)));
    p = p.tqe_prev;
  }
  return { addrs: out, end: 'end' };
}

/**
 * Model helper: `addr::print -t struct <type> <field>` for a TAILQ entry (illumos 096e63b2^:usr/src/uts/common/sys/queue.h layout): its address and both links.
 */
export function mdb_print_entry<T extends object>(e: TAILQ_ENTRY<T>): string {
  const at = fmt_ptr(addr_of(e.elm) + BigInt(e.offset));
  return `${at} { tqe_next = 0x${fmt_ptr(elm_addr(e.tqe_next))}, tqe_prev = 0x${fmt_ptr(link_addr(e.tqe_prev))} }`;
}

/**
 * Model helper: `addr::mutex`, decoding the lock word as illumos 096e63b2^:usr/src/uts/intel/sys/mutex_impl.h lays it out: its type and owner. A destroyed mutex shows the raw word,
 * thread | 6, as the blog saw it ("opaque").
 */
export function mdb_mutex(lp: kmutex_t): string {
  const word = fmt_ptr(lp.m_owner);
  if (!MUTEX_TYPE_ADAPTIVE(lp))
    return `${fmt_ptr(addr_of(lp))} type=unknown opaque=${word} (MUTEX_DEAD: owner bits ${fmt_ptr(MUTEX_OWNER(lp))}, type bits ${fmt_ptr(lp.m_owner & MUTEX_DEAD)})`;
  const waiters = (lp.m_owner & MUTEX_WAITERS) !== 0n ? 'yes' : 'no';
  return `${fmt_ptr(addr_of(lp))} adapt owner=${fmt_ptr(MUTEX_OWNER(lp))} waiters=${waiters}`;
}
