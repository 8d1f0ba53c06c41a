/**
 * Doubly linked lists (v2.6.24:include/linux/list.h) with CONFIG_DEBUG_LIST
 * (v2.6.24:lib/list_debug.c): __list_add and list_del check the neighbours' links first and
 * BUG(), and list_del leaves LIST_POISON1/LIST_POISON2 behind. The model also checks where
 * 2.6.24 does not (list_del_init, list_move; a double add; an already poisoned entry): those
 * reports say so (see listCorruption).
 *
 * container_of: a list_head is embedded in the struct it links. Inside a kmalloc'd struct
 * (created by the initialiser) slab.ts records the embedding, so list_entry() finds the struct
 * with no help. A list_head in any other struct (a class built with `new`, static data) names
 * its struct through `owner`: `new list_head(this)`. A list head that is not an entry needs
 * neither.
 *
 * The poison values are sentinel objects: any access through them is reported as the page
 * fault oops 2.6.24 takes on their unmapped low addresses, never a JavaScript error.
 */
import { bug_report, page_fault_report } from './bug.js';
import { LockstepUsageError } from './report.js';
import { this_machine, track_opaque } from './sched.js';
import { obj_addr, slab_embeddable, slab_embedding } from './slab.js';
import { type Backtrace, capture_backtrace, title_function, title_skip } from './stack.js';

/** struct list_head. */
export class list_head {
  next: list_head;
  prev: list_head;
  /** The struct this entry is embedded in, when that struct is not kmalloc'd (see above). */
  readonly owner: object | null;

  constructor(owner: object | null = null) {
    this.next = this;
    this.prev = this;
    this.owner = owner;
  }
}

// An entry's next/prev point elsewhere: nothing inside a list_head is embedded in turn.
slab_embeddable(list_head, true);

/**
 * LIST_POISON1/2, v2.6.24:include/linux/poison.h: 0x00100100 and 0x00200200. (The
 * POISON_POINTER_DELTA of later kernels came with a29815a333c, after 2.6.24.)
 */
const POISON1_VALUE = 0x0010_0100n;
const POISON2_VALUE = 0x0020_0200n;
// ->next and ->prev of x86_64's struct list_head; `owner` is the model's own.
const FIELD_OFFSET: Record<string, bigint> = { next: 0n, prev: 8n, owner: 16n };

function makePoison(name: string, value: bigint): list_head {
  const p = Object.create(list_head.prototype) as list_head;
  for (const key of Object.keys(FIELD_OFFSET)) {
    const onRead = (): never => poisonFault(name, value, key, 'read');
    const onWrite = (_v: unknown): void => {
      poisonFault(name, value, key, 'write');
    };
    Object.defineProperty(p, key, { get: onRead, set: onWrite, enumerable: false });
  }
  return Object.freeze(p);
}

/** What list_del() leaves in ->next and ->prev (include/linux/poison.h). */
export const LIST_POISON1: list_head = makePoison('LIST_POISON1', POISON1_VALUE);
export const LIST_POISON2: list_head = makePoison('LIST_POISON2', POISON2_VALUE);

function poisonValue(p: list_head): bigint {
  return p === LIST_POISON1 ? POISON1_VALUE : POISON2_VALUE;
}

/** LIST_HEAD(name): a new, empty list head. */
export function LIST_HEAD(owner: object | null = null): list_head {
  track_opaque(); // DPOR: effects the core does not record
  return new list_head(owner);
}

/** INIT_LIST_HEAD(): make `list` an empty list (re-initialises a deleted entry too). */
export function INIT_LIST_HEAD(list: list_head): void {
  track_opaque(); // DPOR: effects the core does not record
  list.next = list;
  list.prev = list;
}

/**
 * The checks of __list_add(), v2.6.24:lib/list_debug.c: KERN_ERR "list_add corruption.
 * next->prev should be prev (%p), but was %p. (next=%p).\n" and BUG() at line 27, the
 * prev->next one at line 33. The double-add check is a later kernel's (lib/list_debug.c has
 * none up to v2.6.34); its report says so.
 */
export function __list_add_valid(entry: list_head, prev: list_head, next: list_head): boolean {
  track_opaque(); // DPOR: effects the core does not record
  if (next.prev !== prev)
    listCorruption(
      () =>
        `list_add corruption. next->prev should be prev (${p(prev)}), but was ${p(next.prev)}. (next=${p(next)}).`,
      '__list_add',
      27,
    );
  if (prev.next !== next)
    listCorruption(
      () =>
        `list_add corruption. prev->next should be next (${p(next)}), but was ${p(prev.next)}. (prev=${p(prev)}).`,
      '__list_add',
      33,
    );
  if (entry === prev || entry === next)
    listCorruption(
      () => `list_add double add: new=${p(entry)}, prev=${p(prev)}, next=${p(next)}.`,
      '__list_add',
      null,
    );
  return true;
}

/**
 * The checks of list_del(), v2.6.24:lib/list_debug.c: KERN_ERR "list_del corruption.
 * prev->next should be %p, but was %p\n" and BUG() at line 67, the next->prev one at line 72.
 * 2.6.24 has no LIST_POISON check: deleting a deleted entry reads LIST_POISON2->next and
 * faults (poisonFault). It checks in list_del() only; list_del_init() and list_move() call
 * __list_del() unchecked, so a report from them says the check is the model's.
 */
export function __list_del_entry_valid(entry: list_head): boolean {
  track_opaque(); // DPOR: effects the core does not record
  const prev = entry.prev;
  const next = entry.next;
  // entry->prev->next is read first: through LIST_POISON2 it faults at 0x00200200.
  if (prev === LIST_POISON2) poisonFault('LIST_POISON2', POISON2_VALUE, 'next', 'read', true);
  if (next === LIST_POISON1 && prev.next === entry)
    poisonFault('LIST_POISON1', POISON1_VALUE, 'prev', 'read', true);
  if (prev.next !== entry)
    listCorruption(
      () => `list_del corruption. prev->next should be ${p(entry)}, but was ${p(prev.next)}`,
      'list_del',
      67,
    );
  if (next.prev !== entry)
    listCorruption(
      () => `list_del corruption. next->prev should be ${p(entry)}, but was ${p(next.prev)}`,
      'list_del',
      72,
    );
  return true;
}

/** __list_add(): link `entry` between two known consecutive entries. */
function __list_add(entry: list_head, prev: list_head, next: list_head): void {
  if (!__list_add_valid(entry, prev, next)) return;
  next.prev = entry;
  entry.next = next;
  entry.prev = prev;
  prev.next = entry;
}

/** list_add(): insert `entry` right after `head` (a stack). */
export function list_add(entry: list_head, head: list_head): void {
  track_opaque(); // DPOR: effects the core does not record
  __list_add(entry, head, head.next);
}

/** list_add_tail(): insert `entry` right before `head` (a queue). */
export function list_add_tail(entry: list_head, head: list_head): void {
  track_opaque(); // DPOR: effects the core does not record
  __list_add(entry, head.prev, head);
}

function __list_del(prev: list_head, next: list_head): void {
  next.prev = prev;
  prev.next = next;
}

/** __list_del_entry(): unlink without touching the entry's own links. */
export function __list_del_entry(entry: list_head): void {
  track_opaque(); // DPOR: effects the core does not record
  if (!__list_del_entry_valid(entry)) return;
  __list_del(entry.prev, entry.next);
}

/** list_del(): unlink and poison; the entry must not be used as a list again until re-initialised. */
export function list_del(entry: list_head): void {
  track_opaque(); // DPOR: effects the core does not record
  __list_del_entry(entry);
  entry.next = LIST_POISON1;
  entry.prev = LIST_POISON2;
}

/** list_del_init(): unlink and make the entry an empty list (list_empty() is then true). */
export function list_del_init(entry: list_head): void {
  track_opaque(); // DPOR: effects the core does not record
  __list_del_entry(entry);
  INIT_LIST_HEAD(entry);
}

/** list_move(): move `list` to right after `head`. */
export function list_move(list: list_head, head: list_head): void {
  track_opaque(); // DPOR: effects the core does not record
  __list_del_entry(list);
  list_add(list, head);
}

/** list_move_tail(): move `list` to right before `head`. */
export function list_move_tail(list: list_head, head: list_head): void {
  track_opaque(); // DPOR: effects the core does not record
  __list_del_entry(list);
  list_add_tail(list, head);
}

/** list_empty(). */
export function list_empty(head: list_head): boolean {
  track_opaque(); // DPOR: effects the core does not record
  return head.next === head;
}

/** list_is_last(): is `list` the last entry of `head`? */
export function list_is_last(list: list_head, head: list_head): boolean {
  track_opaque(); // DPOR: effects the core does not record
  return list.next === head;
}

/** list_is_singular(): exactly one entry. */
export function list_is_singular(head: list_head): boolean {
  track_opaque(); // DPOR: effects the core does not record
  return !list_empty(head) && head.next === head.prev;
}

function __list_splice(list: list_head, prev: list_head, next: list_head): void {
  const first = list.next;
  const last = list.prev;
  first.prev = prev;
  prev.next = first;
  last.next = next;
  next.prev = last;
}

/** list_splice(): join `list` in after `head`; `list` itself is left stale. */
export function list_splice(list: list_head, head: list_head): void {
  track_opaque(); // DPOR: effects the core does not record
  if (!list_empty(list)) __list_splice(list, head, head.next);
}

/** list_splice_tail(): join `list` in before `head`; `list` itself is left stale. */
export function list_splice_tail(list: list_head, head: list_head): void {
  track_opaque(); // DPOR: effects the core does not record
  if (!list_empty(list)) __list_splice(list, head.prev, head);
}

/** list_splice_init(): join `list` in after `head` and re-initialise `list`. */
export function list_splice_init(list: list_head, head: list_head): void {
  track_opaque(); // DPOR: effects the core does not record
  if (!list_empty(list)) {
    __list_splice(list, head, head.next);
    INIT_LIST_HEAD(list);
  }
}

/** list_splice_tail_init(): join `list` in before `head` and re-initialise `list`. */
export function list_splice_tail_init(list: list_head, head: list_head): void {
  track_opaque(); // DPOR: effects the core does not record
  if (!list_empty(list)) {
    __list_splice(list, head.prev, head);
    INIT_LIST_HEAD(list);
  }
}

/**
 * list_entry() / container_of(): the struct `ptr` is embedded in. With `member`, checks that
 * `ptr` is that member (a mismatch is a modelling mistake: LockstepUsageError).
 */
export function list_entry<T extends object>(ptr: list_head, member?: string): T {
  track_opaque(); // DPOR: effects the core does not record
  if (ptr === LIST_POISON1 || ptr === LIST_POISON2)
    poisonFault(
      ptr === LIST_POISON1 ? 'LIST_POISON1' : 'LIST_POISON2',
      poisonValue(ptr),
      '',
      'read',
    );
  const emb = slab_embedding(ptr);
  if (emb !== undefined) {
    if (member !== undefined && emb.member !== member)
      throw new LockstepUsageError(
        `list_entry(ptr, ${member}): the list_head is member '${emb.member}' of its struct`,
      );
    return emb.container as T;
  }
  const owner = ptr.owner;
  if (owner === null)
    throw new LockstepUsageError(
      "list_entry: this list_head is not embedded in a kmalloc'd struct and has no owner " +
        '(create it with new list_head(owner))',
    );
  if (member !== undefined && Object.getOwnPropertyDescriptor(owner, member)?.value !== ptr)
    throw new LockstepUsageError(`list_entry(ptr, ${member}): the owner's '${member}' is not ptr`);
  return owner as T;
}

/** list_first_entry(): the first entry of a list that must not be empty. */
export function list_first_entry<T extends object>(head: list_head, member?: string): T {
  track_opaque(); // DPOR: effects the core does not record
  return list_entry<T>(head.next, member);
}

/** list_last_entry(): the last entry of a list that must not be empty. */
export function list_last_entry<T extends object>(head: list_head, member?: string): T {
  track_opaque(); // DPOR: effects the core does not record
  return list_entry<T>(head.prev, member);
}

/** list_first_entry_or_null(). */
export function list_first_entry_or_null<T extends object>(
  head: list_head,
  member?: string,
): T | null {
  track_opaque(); // DPOR: effects the core does not record
  const pos = head.next;
  return pos === head ? null : list_entry<T>(pos, member);
}

/**
 * list_for_each(): the entries' list_heads. Lazy like the C loop: the next link is read after
 * the loop body ran, so the body must not delete the current entry (use the _safe variant).
 */
export function* list_for_each(head: list_head): Generator<list_head, void, undefined> {
  track_opaque(); // DPOR: effects the core does not record
  for (let pos = head.next; pos !== head; pos = pos.next) yield pos;
}

/** list_for_each_safe(): reads the next link before the body runs; the body may delete pos. */
export function* list_for_each_safe(head: list_head): Generator<list_head, void, undefined> {
  track_opaque(); // DPOR: effects the core does not record
  for (let pos = head.next, n = pos.next; pos !== head; pos = n, n = pos.next) yield pos;
}

/** list_for_each_entry(): the structs on the list, read lazily like the C loop. */
export function* list_for_each_entry<T extends object>(
  head: list_head,
  member?: string,
): Generator<T, void, undefined> {
  track_opaque(); // DPOR: effects the core does not record
  for (let pos = head.next; pos !== head; pos = pos.next) yield list_entry<T>(pos, member);
}

/** list_for_each_entry_safe(): the body may delete (and free) the current entry. */
export function* list_for_each_entry_safe<T extends object>(
  head: list_head,
  member?: string,
): Generator<T, void, undefined> {
  track_opaque(); // DPOR: effects the core does not record
  for (let pos = head.next, n = pos.next; pos !== head; pos = n, n = pos.next)
    yield list_entry<T>(pos, member);
}

function p(l: list_head): string {
  if (l === LIST_POISON1 || l === LIST_POISON2) return hex(poisonValue(l));
  return hex(obj_addr(l));
}

function hex(a: bigint): string {
  return a.toString(16).padStart(16, '0');
}

function reportingMachine(what: string) {
  try {
    return this_machine();
  } catch {
    throw new LockstepUsageError(`${what} outside a running machine`);
  }
}

// Model frames between the list primitive and the check: not in the kernel's trace.
const CHECK_FRAMES = new Set([
  '__list_add_valid',
  '__list_del_entry_valid',
  '__list_add',
  '__list_del_entry',
  'listCorruption',
  'poisonFault',
]);

/** The model's backtrace with its check helpers dropped, and whether 2.6.24 checks there. */
function checkedFrames(kfn: '__list_add' | 'list_del'): { bt: Backtrace; in_2624: boolean } {
  const all = capture_backtrace();
  const bt = all.filter((f) => !CHECK_FRAMES.has(f));
  // 2.6.24's __list_add is reached from list_add, list_add_tail and list_move*; its list_del
  // check only from list_del itself.
  const in_2624 = kfn === '__list_add' || bt[0] === 'list_del';
  return { bt: bt[0] === 'list_del' ? bt.slice(1) : bt, in_2624 };
}

/**
 * A failed list check: 2.6.24 printk()s the message at KERN_ERR and calls BUG() in
 * lib/list_debug.c (`line`), so the report is report_bug()'s and __die()'s (bug.ts
 * bug_report). A check 2.6.24 does not make (`line` null, or a list_del check reached from
 * list_del_init or list_move) prints the message and BUG in the same words, with a note.
 */
function listCorruption(
  message: () => string,
  kfn: '__list_add' | 'list_del',
  line: number | null,
): never {
  const m = reportingMachine(kfn === '__list_add' ? 'list_add corruption' : 'list_del corruption');
  const msg = message();
  const { bt, in_2624 } = checkedFrames(kfn);
  const fn = title_function(bt);
  const notes =
    line === null
      ? ["a later kernel's check: 2.6.24's __list_add() links the entry in again unchecked"]
      : in_2624
        ? []
        : [
            `2.6.24 checks only in list_del(); ${bt[0] ?? 'this caller'} calls __list_del() unchecked, so this check is the model's`,
          ];
  const site = { file: 'lib/list_debug.c', line: line ?? 0, fn: kfn };
  const r = bug_report(bt, '', site, 'list-corruption', `BUG: corrupted list in ${fn}`, notes);
  return m.raise({ ...r, headline: msg, text: `${msg}\n${r.text}` });
}

/**
 * An access through a list poison pointer. In 2.6.24 LIST_POISON1/2 are low user addresses
 * (0x00100100, 0x00200200) that nothing maps in kernel mode, so the access is a page fault
 * oops, "Unable to handle kernel paging request" (bug.ts page_fault_report), at the poison
 * plus the field's offset. The syzbot-style titles stay those of the later kernels the model
 * first followed: "general protection fault" (their non-canonical poison), and for list_del()
 * of a deleted entry (`in_list_del`) "BUG: corrupted list", their LIST_POISON check.
 */
function poisonFault(
  name: string,
  value: bigint,
  field: string,
  access: 'read' | 'write',
  in_list_del = false,
): never {
  const how = field === '' ? 'container_of()' : `${access} of ->${field}`;
  const m = reportingMachine(`${how} through ${name}`);
  const all = capture_backtrace();
  const bt = all.filter((f) => !CHECK_FRAMES.has(f));
  const fn = title_function(bt);
  const rip = bt[0] ?? fn;
  const addr = value + (FIELD_OFFSET[field] ?? 0n);
  return m.raise(
    page_fault_report(
      {
        address: addr,
        write: access === 'write',
        rip,
        inner: [],
        note: in_list_del
          ? `list_del() of an entry already deleted: ${how} through ${name}; 2.6.24 has no LIST_POISON check`
          : `${how} through ${name}: a list entry used after list_del()`,
        fn,
      },
      bt.slice(1),
      'list-corruption',
      in_list_del ? `BUG: corrupted list in ${fn}` : `general protection fault in ${fn}`,
    ),
  );
}

title_skip(
  '__list_add_valid',
  '__list_del_entry_valid',
  '__list_add',
  '__list_del',
  '__list_del_entry',
  '__list_splice',
  'list_add',
  'list_add_tail',
  'list_del',
  'list_del_init',
  'list_move',
  'list_move_tail',
  'list_empty',
  'list_is_last',
  'list_is_singular',
  'list_splice',
  'list_splice_tail',
  'list_splice_init',
  'list_splice_tail_init',
  'list_entry',
  'list_first_entry',
  'list_last_entry',
  'list_first_entry_or_null',
  'list_for_each',
  'list_for_each_safe',
  'list_for_each_entry',
  'list_for_each_entry_safe',
);
