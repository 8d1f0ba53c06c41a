import { describe, expect, it } from 'vitest';
import {
  INIT_LIST_HEAD,
  type Kfn,
  kfree,
  kmalloc,
  LIST_HEAD,
  LIST_POISON1,
  LIST_POISON2,
  LockstepUsageError,
  list_add,
  list_add_tail,
  list_del,
  list_del_init,
  list_empty,
  list_entry,
  list_first_entry,
  list_first_entry_or_null,
  list_for_each,
  list_for_each_entry,
  list_for_each_entry_safe,
  list_head,
  list_is_last,
  list_is_singular,
  list_last_entry,
  list_move,
  list_move_tail,
  list_splice_init,
  list_splice_tail_init,
  Machine,
  obj_addr,
  sched_point,
} from '../src/index.js';

/** A struct built with `new` names itself as the owner of its list_head. */
class nlm_host {
  readonly h_list = new list_head(this);
  constructor(readonly h_name: string) {}
}

function names(head: list_head): string[] {
  return [...list_for_each_entry<nlm_host>(head, 'h_list')].map((h) => h.h_name);
}

function hosts(...ns: string[]): nlm_host[] {
  return ns.map((n) => new nlm_host(n));
}

describe('list_head operations', () => {
  it('adds at the head or the tail and walks in order', () => {
    const head = LIST_HEAD();
    expect(list_empty(head)).toBe(true);
    expect(list_first_entry_or_null(head)).toBeNull();
    const [a, b, c] = hosts('a', 'b', 'c');
    list_add_tail(a!.h_list, head);
    expect(list_is_singular(head)).toBe(true);
    list_add_tail(b!.h_list, head);
    list_add(c!.h_list, head);
    expect(names(head)).toEqual(['c', 'a', 'b']);
    expect(list_first_entry<nlm_host>(head, 'h_list')).toBe(c);
    expect(list_last_entry<nlm_host>(head, 'h_list')).toBe(b);
    expect(list_is_last(b!.h_list, head)).toBe(true);
    expect([...list_for_each(head)]).toEqual([c!.h_list, a!.h_list, b!.h_list]);
  });

  it('deletes with poison, deletes with re-init, and moves', () => {
    const head = LIST_HEAD();
    const [a, b, c] = hosts('a', 'b', 'c');
    for (const h of [a, b, c]) list_add_tail(h!.h_list, head);
    list_del(b!.h_list);
    expect(b!.h_list.next).toBe(LIST_POISON1);
    expect(b!.h_list.prev).toBe(LIST_POISON2);
    expect(names(head)).toEqual(['a', 'c']);
    list_del_init(a!.h_list);
    expect(list_empty(a!.h_list)).toBe(true);
    list_del_init(a!.h_list); // deleting an empty entry again is fine
    expect(names(head)).toEqual(['c']);
    INIT_LIST_HEAD(b!.h_list);
    list_add(b!.h_list, head);
    list_add(a!.h_list, head);
    list_move_tail(a!.h_list, head);
    expect(names(head)).toEqual(['b', 'c', 'a']);
    list_move(c!.h_list, head);
    expect(names(head)).toEqual(['c', 'b', 'a']);
  });

  it('splices a whole list in and leaves the old head empty', () => {
    const head = LIST_HEAD();
    const other = LIST_HEAD();
    const [a, b, c, d] = hosts('a', 'b', 'c', 'd');
    list_add_tail(a!.h_list, head);
    list_add_tail(b!.h_list, other);
    list_add_tail(c!.h_list, other);
    list_splice_init(other, head);
    expect(names(head)).toEqual(['b', 'c', 'a']);
    expect(list_empty(other)).toBe(true);
    list_add_tail(d!.h_list, other);
    list_splice_tail_init(other, head);
    expect(names(head)).toEqual(['b', 'c', 'a', 'd']);
    list_splice_init(other, head); // empty: nothing happens
    expect(names(head)).toEqual(['b', 'c', 'a', 'd']);
  });

  it('lets the _safe walk delete the current entry', () => {
    const head = LIST_HEAD();
    for (const h of hosts('a', 'b', 'c')) list_add_tail(h.h_list, head);
    for (const h of list_for_each_entry_safe<nlm_host>(head, 'h_list'))
      if (h.h_name !== 'b') list_del(h.h_list);
    expect(names(head)).toEqual(['b']);
  });

  it('makes a wrong container_of a usage error', () => {
    const head = LIST_HEAD();
    const [a] = hosts('a');
    list_add(a!.h_list, head);
    expect(() => list_first_entry(head, 'h_other')).toThrow(LockstepUsageError);
    const orphan = LIST_HEAD();
    list_add(orphan, head);
    expect(() => list_entry(orphan)).toThrow(/has no owner/);
  });
});

// ---- CONFIG_DEBUG_LIST ----

interface nlm_block {
  b_list: list_head;
  b_flags: number;
}

function* nlmsvc_alloc_block(): Kfn<nlm_block> {
  const b = yield* kmalloc('nlm_block', () => ({ b_flags: 0, b_list: new list_head() }));
  return b!;
}

const hexOf = (l: list_head): string => obj_addr(l).toString(16).padStart(16, '0');

describe('list debugging', () => {
  function unlinkTwice(fixed: boolean): { m: Machine; seen: { addr: string } } {
    const m = new Machine();
    const blocked = LIST_HEAD();
    const seen = { addr: '' };
    function nlmsvc_remove_block(b: nlm_block): void {
      if (fixed) list_del_init(b.b_list);
      else list_del(b.b_list);
    }
    function* nlmsvc_unlink_block(b: nlm_block): Kfn {
      yield* sched_point();
      if (!fixed || !list_empty(b.b_list)) nlmsvc_remove_block(b);
    }
    m.spawn_user('lockd', function* () {
      const b = yield* nlmsvc_alloc_block();
      seen.addr = hexOf(b.b_list);
      list_add_tail(b.b_list, blocked);
      yield* nlmsvc_unlink_block(b);
      yield* nlmsvc_unlink_block(b);
      kfree(b);
    });
    return { m, seen };
  }

  it('catches a double list_del at the second one', () => {
    const { m, seen } = unlinkTwice(false);
    const r = m.run();
    const addr = seen.addr;
    expect(r.outcome).toBe('crash');
    const rep = r.report!;
    expect(rep.kind).toBe('list-corruption');
    expect(rep.title).toBe('BUG: corrupted list in nlmsvc_remove_block');
    // v2.6.24:lib/list_debug.c list_del() has no LIST_POISON check: it reads
    // entry->prev->next, LIST_POISON2 (0x00200200, v2.6.24:include/linux/poison.h), and
    // faults: v2.6.24:arch/x86/mm/fault_64.c "Unable to handle kernel paging request" + " at
    // %016lx RIP: \n".
    expect(rep.headline).toBe('Unable to handle kernel paging request at 0000000000200200 RIP: ');
    expect(rep.text).toContain('\nOops: 0000 [1] SMP \n');
    expect(rep.text).toContain('\nCR2: 0000000000200200');
    expect(rep.text).toContain('2.6.24 has no LIST_POISON check');
    expect(rep.backtrace.slice(0, 2)).toEqual(['list_del', 'nlmsvc_remove_block']);
    // The entry is embedded at offset 8 of the block, after b_flags.
    expect(addr.endsWith('08')).toBe(true);
  });

  it('is clean with list_del_init and a list_empty check', () => {
    expect(unlinkTwice(true).m.run().outcome).toBe('clean');
  });

  function corrupt(how: 'next-prev' | 'prev-next' | 'double-add' | 'del-prev'): Machine {
    const m = new Machine();
    m.spawn_user('t', function* nlm_traverse_locks() {
      const head = LIST_HEAD();
      const a = yield* nlmsvc_alloc_block();
      const b = yield* nlmsvc_alloc_block();
      const c = yield* nlmsvc_alloc_block();
      list_add_tail(a.b_list, head);
      list_add_tail(b.b_list, head);
      if (how === 'next-prev') {
        head.next.prev = c.b_list; // a->prev no longer points back at head
        list_add(c.b_list, head);
      } else if (how === 'prev-next') {
        head.prev.next = c.b_list; // b->next no longer points at head
        list_add_tail(c.b_list, head);
      } else if (how === 'double-add') list_add(a.b_list, head);
      else {
        a.b_list.next = c.b_list;
        list_del(b.b_list);
      }
    });
    return m;
  }

  it('reports the kernel messages for a broken list_add and list_del', () => {
    const r1 = corrupt('next-prev').run().report!;
    expect(r1.title).toBe('BUG: corrupted list in nlm_traverse_locks');
    expect(r1.headline).toMatch(
      /^list_add corruption\. next->prev should be prev \(([0-9a-f]{16})\), but was ([0-9a-f]{16})\. \(next=([0-9a-f]{16})\)\.$/,
    );
    // v2.6.24:lib/list_debug.c: the message, then BUG() at line 27 (report_bug(), lib/bug.c:
    // "kernel BUG at %s:%u!\n"; __die(), arch/x86/kernel/traps_64.c: "%s: %04lx [%u] ").
    expect(r1.text.split('\n').slice(1, 4)).toEqual([
      '------------[ cut here ]------------',
      'kernel BUG at lib/list_debug.c:27!',
      'invalid opcode: 0000 [1] SMP ',
    ]);
    expect(r1.text).toContain(
      'RIP: 0010:[<ffffffff00000000>]  [<ffffffff00000000>] __list_add+0x0/0x0',
    );
    const r2 = corrupt('prev-next').run().report!;
    expect(r2.headline).toMatch(
      /^list_add corruption\. prev->next should be next \([0-9a-f]{16}\), but was [0-9a-f]{16}\. \(prev=[0-9a-f]{16}\)\.$/,
    );
    expect(r2.text).toContain('kernel BUG at lib/list_debug.c:33!');
    const r3 = corrupt('double-add').run().report!;
    expect(r3.headline).toMatch(/^list_add double add: new=(\w+), prev=\w+, next=\1\.$/);
    // No such check in v2.6.24:lib/list_debug.c: the report says it is a later kernel's.
    expect(r3.text).toContain("(lockstep: a later kernel's check");
    const r4 = corrupt('del-prev').run().report!;
    expect(r4.headline).toMatch(/^list_del corruption\. prev->next should be \w+, but was \w+$/);
    expect(r4.title).toBe('BUG: corrupted list in nlm_traverse_locks');
    expect(r4.text).toContain('kernel BUG at lib/list_debug.c:67!');
    expect(r4.text).toContain('[<ffffffff00000000>] list_del+0x0/0x0');
    expect(r4.text).not.toContain('lockstep:');
  });

  it('catches a plain walk that deletes (or frees) the current entry', () => {
    for (const how of ['del', 'del+free', 'safe'] as const) {
      const m = new Machine();
      m.spawn_user('t', function* nlmsvc_traverse_blocks() {
        const head = LIST_HEAD();
        for (let i = 0; i < 3; i++) list_add_tail((yield* nlmsvc_alloc_block()).b_list, head);
        const walk = how === 'safe' ? list_for_each_entry_safe : list_for_each_entry;
        for (const b of walk<nlm_block>(head, 'b_list')) {
          list_del(b.b_list);
          if (how !== 'del') kfree(b);
        }
      });
      const r = m.run();
      if (how === 'safe') expect(r.outcome).toBe('clean');
      else if (how === 'del') {
        // The C loop goes on from pos->member.next, which list_del() poisoned.
        expect(r.report?.kind).toBe('list-corruption');
        expect(r.report?.title).toBe('general protection fault in nlmsvc_traverse_blocks');
      } else {
        // The C loop reads pos->member.next after the body freed pos: KASAN sees it first.
        expect(r.report?.title).toBe('KASAN: use-after-free Read in nlmsvc_traverse_blocks');
      }
    }
  });

  it('reports an access through LIST_POISON1 as 2.6.24 does: a paging request oops', () => {
    const m = new Machine();
    m.spawn_user('t', function* nlmsvc_traverse_blocks() {
      const head = LIST_HEAD();
      const b = yield* nlmsvc_alloc_block();
      list_add_tail(b.b_list, head);
      list_del(b.b_list);
      // A stale cursor: continuing from a deleted, still allocated entry.
      const stale = b.b_list;
      return stale.next.next;
    });
    const r = m.run();
    expect(r.outcome).toBe('crash');
    expect(r.report?.kind).toBe('list-corruption');
    expect(r.report?.title).toBe('general protection fault in nlmsvc_traverse_blocks');
    // LIST_POISON1 is 0x00100100 in v2.6.24:include/linux/poison.h, a low address nothing maps:
    // v2.6.24:arch/x86/mm/fault_64.c "Unable to handle kernel paging request" + " at %016lx RIP: ".
    expect(r.report?.headline).toBe(
      'Unable to handle kernel paging request at 0000000000100100 RIP: ',
    );
  });

  it('makes list corruption outside a run a usage error', () => {
    const [a] = hosts('a');
    const head = LIST_HEAD();
    list_add(a!.h_list, head);
    list_del(a!.h_list);
    expect(() => list_del(a!.h_list)).toThrow(LockstepUsageError);
    expect(() => LIST_POISON1.next).toThrow(LockstepUsageError);
  });
});
