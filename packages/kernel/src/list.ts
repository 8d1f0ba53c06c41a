/**
 * Doubly linked lists (include/linux/list.h) with CONFIG_DEBUG_LIST and
 * CONFIG_BUG_ON_DATA_CORRUPTION (lib/list_debug.c): list_add and list_del check the
 * neighbours' links first, and list_del leaves LIST_POISON1/LIST_POISON2 behind.
 *
 * container_of: a list_head is embedded in the struct it links. Inside a kmalloc'd struct
 * (created by the initialiser) slab.ts records the embedding, so list_entry() finds the struct
 * with no help. A list_head in any other struct (a class built with `new`, static data) names
 * its struct through `owner`: `new list_head(this)`. A list head that is not an entry needs
 * neither.
 *
 * The poison values are sentinel objects: any access through them is reported as the general
 * protection fault the kernel takes on their non-canonical addresses, never a JavaScript error.
 */
import { LockstepUsageError, type Report } from './report.js';
import { current, this_machine } from './sched.js';
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

/** POISON_POINTER_DELTA on x86_64 (CONFIG_ILLEGAL_POINTER_VALUE), include/linux/poison.h. */
const POISON_POINTER_DELTA = 0xdead_0000_0000_0000n;
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
export const LIST_POISON1: list_head = makePoison('LIST_POISON1', 0x100n + POISON_POINTER_DELTA);
export const LIST_POISON2: list_head = makePoison('LIST_POISON2', 0x122n + POISON_POINTER_DELTA);

function poisonValue(p: list_head): bigint {
  return p === LIST_POISON1 ? 0x100n + POISON_POINTER_DELTA : 0x122n + POISON_POINTER_DELTA;
}

/** LIST_HEAD(name): a new, empty list head. */
export function LIST_HEAD(owner: object | null = null): list_head {
  return new list_head(owner);
}

/** INIT_LIST_HEAD(): make `list` an empty list (re-initialises a deleted entry too). */
export function INIT_LIST_HEAD(list: list_head): void {
  list.next = list;
  list.prev = list;
}

/** __list_add_valid() (lib/list_debug.c, v4.10): check the neighbours before linking in. */
export function __list_add_valid(entry: list_head, prev: list_head, next: list_head): boolean {
  if (next.prev !== prev)
    listCorruption(
      () =>
        `list_add corruption. next->prev should be prev (${p(prev)}), but was ${p(next.prev)}. (next=${p(next)}).`,
      25,
    );
  if (prev.next !== next)
    listCorruption(
      () =>
        `list_add corruption. prev->next should be next (${p(next)}), but was ${p(prev.next)}. (prev=${p(prev)}).`,
      28,
    );
  if (entry === prev || entry === next)
    listCorruption(
      () => `list_add double add: new=${p(entry)}, prev=${p(prev)}, next=${p(next)}.`,
      31,
    );
  return true;
}

/** __list_del_entry_valid() (lib/list_debug.c, v4.10): check the links before unlinking. */
export function __list_del_entry_valid(entry: list_head): boolean {
  const prev = entry.prev;
  const next = entry.next;
  if (next === LIST_POISON1)
    listCorruption(
      () => `list_del corruption, ${p(entry)}->next is LIST_POISON1 (${p(LIST_POISON1)})`,
      47,
    );
  if (prev === LIST_POISON2)
    listCorruption(
      () => `list_del corruption, ${p(entry)}->prev is LIST_POISON2 (${p(LIST_POISON2)})`,
      50,
    );
  if (prev.next !== entry)
    listCorruption(
      () => `list_del corruption. prev->next should be ${p(entry)}, but was ${p(prev.next)}`,
      53,
    );
  if (next.prev !== entry)
    listCorruption(
      () => `list_del corruption. next->prev should be ${p(entry)}, but was ${p(next.prev)}`,
      56,
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
  __list_add(entry, head, head.next);
}

/** list_add_tail(): insert `entry` right before `head` (a queue). */
export function list_add_tail(entry: list_head, head: list_head): void {
  __list_add(entry, head.prev, head);
}

function __list_del(prev: list_head, next: list_head): void {
  next.prev = prev;
  prev.next = next;
}

/** __list_del_entry(): unlink without touching the entry's own links. */
export function __list_del_entry(entry: list_head): void {
  if (!__list_del_entry_valid(entry)) return;
  __list_del(entry.prev, entry.next);
}

/** list_del(): unlink and poison; the entry must not be used as a list again until re-initialised. */
export function list_del(entry: list_head): void {
  __list_del_entry(entry);
  entry.next = LIST_POISON1;
  entry.prev = LIST_POISON2;
}

/** list_del_init(): unlink and make the entry an empty list (list_empty() is then true). */
export function list_del_init(entry: list_head): void {
  __list_del_entry(entry);
  INIT_LIST_HEAD(entry);
}

/** list_move(): move `list` to right after `head`. */
export function list_move(list: list_head, head: list_head): void {
  __list_del_entry(list);
  list_add(list, head);
}

/** list_move_tail(): move `list` to right before `head`. */
export function list_move_tail(list: list_head, head: list_head): void {
  __list_del_entry(list);
  list_add_tail(list, head);
}

/** list_empty(). */
export function list_empty(head: list_head): boolean {
  return head.next === head;
}

/** list_is_last(): is `list` the last entry of `head`? */
export function list_is_last(list: list_head, head: list_head): boolean {
  return list.next === head;
}

/** list_is_singular(): exactly one entry. */
export function list_is_singular(head: list_head): boolean {
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
  if (!list_empty(list)) __list_splice(list, head, head.next);
}

/** list_splice_tail(): join `list` in before `head`; `list` itself is left stale. */
export function list_splice_tail(list: list_head, head: list_head): void {
  if (!list_empty(list)) __list_splice(list, head.prev, head);
}

/** list_splice_init(): join `list` in after `head` and re-initialise `list`. */
export function list_splice_init(list: list_head, head: list_head): void {
  if (!list_empty(list)) {
    __list_splice(list, head, head.next);
    INIT_LIST_HEAD(list);
  }
}

/** list_splice_tail_init(): join `list` in before `head` and re-initialise `list`. */
export function list_splice_tail_init(list: list_head, head: list_head): void {
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
  return list_entry<T>(head.next, member);
}

/** list_last_entry(): the last entry of a list that must not be empty. */
export function list_last_entry<T extends object>(head: list_head, member?: string): T {
  return list_entry<T>(head.prev, member);
}

/** list_first_entry_or_null(). */
export function list_first_entry_or_null<T extends object>(
  head: list_head,
  member?: string,
): T | null {
  const pos = head.next;
  return pos === head ? null : list_entry<T>(pos, member);
}

/**
 * list_for_each(): the entries' list_heads. Lazy like the C loop: the next link is read after
 * the loop body ran, so the body must not delete the current entry (use the _safe variant).
 */
export function* list_for_each(head: list_head): Generator<list_head, void, undefined> {
  for (let pos = head.next; pos !== head; pos = pos.next) yield pos;
}

/** list_for_each_safe(): reads the next link before the body runs; the body may delete pos. */
export function* list_for_each_safe(head: list_head): Generator<list_head, void, undefined> {
  for (let pos = head.next, n = pos.next; pos !== head; pos = n, n = pos.next) yield pos;
}

/** list_for_each_entry(): the structs on the list, read lazily like the C loop. */
export function* list_for_each_entry<T extends object>(
  head: list_head,
  member?: string,
): Generator<T, void, undefined> {
  for (let pos = head.next; pos !== head; pos = pos.next) yield list_entry<T>(pos, member);
}

/** list_for_each_entry_safe(): the body may delete (and free) the current entry. */
export function* list_for_each_entry_safe<T extends object>(
  head: list_head,
  member?: string,
): Generator<T, void, undefined> {
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

function taskLines(bt: Backtrace): string[] {
  return [
    `CPU: 0 PID: ${current.pid} Comm: ${current.comm} Not tainted 2.6.24 #1`,
    `RIP: 0010:${bt[0] ?? 'unknown'}+0x0/0x0`,
    'Call Trace:',
    ...bt.map((f) => ` ${f}+0x0/0x0`),
  ];
}

/** CHECK_DATA_CORRUPTION() with CONFIG_BUG_ON_DATA_CORRUPTION: pr_err() the message, BUG(). */
function listCorruption(message: () => string, line: number): never {
  const m = reportingMachine(line < 40 ? 'list_add corruption' : 'list_del corruption');
  const msg = message();
  const bt = capture_backtrace();
  const fn = title_function(bt);
  const report: Report = {
    kind: 'list-corruption',
    title: `BUG: corrupted list in ${fn}`,
    headline: msg,
    text: [
      msg,
      '------------[ cut here ]------------',
      `kernel BUG at lib/list_debug.c:${line}!`,
      'invalid opcode: 0000 [#1] PREEMPT SMP KASAN',
      ...taskLines(bt),
    ].join('\n'),
    task: { pid: current.pid, comm: current.comm },
    backtrace: bt,
  };
  return m.raise(report);
}

/** An access through a list poison pointer: the non-canonical address faults. */
function poisonFault(name: string, value: bigint, field: string, access: 'read' | 'write'): never {
  const how = field === '' ? 'container_of()' : `${access} of ->${field}`;
  const m = reportingMachine(`${how} through ${name}`);
  const bt = capture_backtrace();
  const fn = title_function(bt);
  const addr = value + (FIELD_OFFSET[field] ?? 0n);
  const headline = `general protection fault, probably for non-canonical address 0x${hex(addr)}: 0000 [#1] PREEMPT SMP KASAN`;
  return m.raise({
    kind: 'list-corruption',
    title: `general protection fault in ${fn}`,
    headline,
    text: [
      headline,
      ...taskLines(bt),
      `(lockstep: ${how} through ${name}: a list entry used after list_del())`,
    ].join('\n'),
    task: { pid: current.pid, comm: current.comm },
    backtrace: bt,
  });
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
