/**
 * <sys/queue.h> TAILQ with and without QUEUEDEBUG: ordinary use, the second remove that faults
 * under QUEUEDEBUG, the same double remove corrupting the list silently without it, and the
 * mdb walks an engineer would take of the result.
 */
import { describe, expect, it } from 'vitest';
import {
  addr_embed,
  addr_of,
  fmt_ptr,
  illumos_machine,
  KM_SLEEP,
  kmem_cache_alloc,
  kmem_cache_create,
  mdb_print_entry,
  mdb_walk_tailq_backward,
  mdb_walk_tailq_forward,
  minclsyspri,
  QUEUEDEBUG_TRASH,
  TAILQ_ENTRY,
  TAILQ_FIRST,
  TAILQ_FOREACH,
  TAILQ_HEAD,
  TAILQ_INSERT_HEAD,
  TAILQ_INSERT_TAIL,
  TAILQ_NEXT,
  TAILQ_REMOVE,
  TS_RUN,
  thread_create,
} from '../src/index.js';

/** A host-like struct: the blog's nlm_host has its TAILQ_ENTRY nh_link at +0x10 (tqe_prev at +0x18). */
class host_t {
  nh_name = '';
  readonly nh_link: TAILQ_ENTRY<host_t>;
  constructor() {
    this.nh_link = addr_embed(new TAILQ_ENTRY<host_t>(this, 0x10), this, 0x10);
  }
}

const cache = kmem_cache_create('host_cache', 0x80, 8, () => new host_t());

/** Run `body` in a kernel thread (the GC's role) with three hosts A, H, B on an idle list. */
function run(
  queuedebug: boolean,
  body: (q: TAILQ_HEAD<host_t>, h: Record<string, host_t>) => void,
) {
  const m = illumos_machine({ queuedebug });
  const q = new TAILQ_HEAD<host_t>('nlm_idle_hosts');
  const hosts: Record<string, host_t> = {};
  thread_create(
    null,
    0,
    function* gc_thread(_: null) {
      for (const n of ['A', 'H', 'B']) {
        const h = yield* kmem_cache_alloc<host_t>(cache, KM_SLEEP);
        h.nh_name = n;
        hosts[n] = h;
        TAILQ_INSERT_TAIL(q, h, 'nh_link', 'nlm_impl.c', 100);
      }
      body(q, hosts);
    },
    null,
    0,
    null,
    TS_RUN,
    minclsyspri,
    m,
  );
  return { r: m.run(), q, hosts };
}

const names = (q: TAILQ_HEAD<host_t>) => [...TAILQ_FOREACH(q, 'nh_link')].map((h) => h.nh_name);

describe('TAILQ', () => {
  it('insert at head and tail, remove, walk: the same with and without QUEUEDEBUG', () => {
    for (const qd of [false, true]) {
      const { r, q, hosts } = run(qd, (q, h) => {
        TAILQ_REMOVE(q, h.H!, 'nh_link');
        TAILQ_INSERT_HEAD(q, h.H!, 'nh_link');
        TAILQ_REMOVE(q, h.B!, 'nh_link');
      });
      expect(r.outcome).toBe('clean');
      expect(names(q)).toEqual(['H', 'A']);
      expect(TAILQ_FIRST(q)).toBe(hosts.H);
      expect(TAILQ_NEXT(hosts.A!, 'nh_link')).toBeNull();
      expect(mdb_walk_tailq_backward(q)).toEqual({
        addrs: [fmt_ptr(addr_of(hosts.A!)), fmt_ptr(addr_of(hosts.H!))],
        end: 'end',
      });
      // QUEUEDEBUG_TAILQ_POSTREMOVE: a removed element's links are (void *)1; else left stale.
      const b = hosts.B!.nh_link;
      if (qd) expect([b.tqe_next, b.tqe_prev]).toEqual([QUEUEDEBUG_TRASH, QUEUEDEBUG_TRASH]);
      else expect(b.tqe_next).toBeNull();
    }
  });

  it('entries have x86_64 addresses: tqe_prev points at the previous tqe_next (+0x10)', () => {
    const { q, hosts } = run(false, () => {});
    const a = addr_of(hosts.A!);
    expect(addr_of(hosts.A!.nh_link)).toBe(a + 0x10n);
    expect(mdb_print_entry(hosts.H!.nh_link)).toBe(
      `${fmt_ptr(addr_of(hosts.H!) + 0x10n)} { tqe_next = 0x${fmt_ptr(addr_of(hosts.B!))}, tqe_prev = 0x${fmt_ptr(a + 0x10n)} }`,
    );
    expect(q.tqh_last).toBe(hosts.B!.nh_link);
  });
});

describe('a second TAILQ_REMOVE of the same element', () => {
  it('with QUEUEDEBUG: a page fault at 1 + offsetof(tqe_prev) = 0x19, a register holding 1', () => {
    const { r } = run(true, function nlm_gc(q, h) {
      TAILQ_REMOVE(q, h.H!, 'nh_link'); // nlm_host_find_locked, the first remove
      TAILQ_REMOVE(q, h.H!, 'nh_link'); // nlm_gc's stale remove
    });
    expect(r.outcome).toBe('crash');
    const rep = r.report!;
    expect(rep.kind).toBe('panic');
    expect(rep.headline).toMatch(
      /^panic\[cpu0\]\/thread=[0-9a-f]+: BAD TRAP: type=e \(#pf Page fault\) rp=[0-9a-f]+ addr=19 occurred in module "<unknown>" due to a NULL pointer dereference$/,
    );
    expect(rep.title).toBe('panic: BAD TRAP: type=e (#pf Page fault) in nlm_gc');
    expect(rep.text).toContain('Bad kernel fault at addr=0x19');
    expect(rep.text).toContain('%rdx = 0x0000000000000001');
    expect(rep.text).toContain(
      ['> ::stack', 'vpanic()', 'die+0x0()', 'trap+0x0()', 'cmntrap+0x0()', 'nlm_gc+0x0()'].join(
        '\n',
      ),
    );
  });

  it('with QUEUEDEBUG: removing an element that is not last but claims to be panics TAILQ_PREREMOVE', () => {
    const { r, hosts } = run(true, function nlm_gc(q, h) {
      h.A!.nh_link.tqe_next = null; // a corrupted entry
      TAILQ_REMOVE(q, h.A!, 'nh_link', 'nlm_impl.c', 200);
    });
    expect(r.report?.headline).toMatch(
      new RegExp(
        `: TAILQ_PREREMOVE head [0-9a-f]+ elm ${fmt_ptr(addr_of(hosts.A!))} nlm_impl\\.c:200$`,
      ),
    );
    expect(r.report?.title).toBe('panic: TAILQ_PREREMOVE in nlm_gc');
  });

  it('with QUEUEDEBUG: a link that does not point back panics "TAILQ_* back"', () => {
    const { r } = run(true, function nlm_gc(q, h) {
      h.B!.nh_link.tqe_prev = h.B!.nh_link; // B's tqe_prev should point into H
      TAILQ_REMOVE(q, h.B!, 'nh_link', 'nlm_impl.c', 300);
    });
    expect(r.report?.title).toBe('panic: TAILQ_* back in nlm_gc');
  });

  it('without QUEUEDEBUG: silent; after the GC re-inserts it and the holder releases it, the list walks forward in a loop and backward sanely', () => {
    const { r, q, hosts } = run(false, (q, h) => {
      TAILQ_REMOVE(q, h.H!, 'nh_link'); // T: nlm_host_find_locked takes H off the idle list
      TAILQ_REMOVE(q, h.A!, 'nh_link'); // the list changes meanwhile (A is taken too)
      TAILQ_REMOVE(q, h.H!, 'nh_link'); // GC: the second remove, through H's stale links
      TAILQ_INSERT_TAIL(q, h.H!, 'nh_link'); // GC: re-queue with a new timeout
      TAILQ_INSERT_TAIL(q, h.H!, 'nh_link'); // T: nlm_host_release queues H again
      TAILQ_REMOVE(q, h.B!, 'nh_link'); // GC: the first host goes
    });
    expect(r.outcome).toBe('clean'); // nothing checked, nothing noticed
    const { A, H, B } = hosts as Record<string, host_t>;
    // H is linked to itself: tqe_next = H, and the next element's tqe_prev chain is broken.
    expect(H!.nh_link.tqe_next).toBe(H);
    const fwd = mdb_walk_tailq_forward(q, 'nh_link');
    expect(fwd).toEqual({
      addrs: [fmt_ptr(addr_of(B!)), fmt_ptr(addr_of(H!))],
      end: 'loop',
      at: fmt_ptr(addr_of(H!)),
    });
    const back = mdb_walk_tailq_backward(q);
    expect(back.end).toBe('end');
    expect(back.addrs).toEqual([fmt_ptr(addr_of(H!)), fmt_ptr(addr_of(A!))]);
    // The head still points at B, which was removed: the walks disagree on who is first.
    expect(TAILQ_FIRST(q)).toBe(B);
  });
});
