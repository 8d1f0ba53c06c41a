/**
 * x86_64 struct layouts: the byte offset, size and alignment of the fields of the structs the
 * reports name, computed from C field lists the way gcc lays them out on x86_64 (LP64: int 4,
 * long and pointers 8; each field at the next multiple of its alignment, the struct padded to
 * a multiple of its largest alignment or of an explicit __aligned__).
 *
 * Configuration (the kernel the reports describe): v2.6.24:arch/x86/configs/x86_64_defconfig
 * (CONFIG_SMP=y, no CONFIG_PREEMPT, CONFIG_TIMER_STATS=y, CONFIG_X86_L1_CACHE_SHIFT=7) plus
 * CONFIG_PROVE_LOCKING=y, because the model runs lockdep. In v2.6.24:lib/Kconfig.debug
 * PROVE_LOCKING selects LOCKDEP, DEBUG_SPINLOCK, DEBUG_MUTEXES and DEBUG_LOCK_ALLOC, so
 * spinlock_t carries magic/owner_cpu/owner and a lockdep_map (48 bytes, not 4). CONFIG_LOCK_STAT
 * is off (lockdep_map has no cpu field).
 *
 * Model structs are JavaScript objects whose fields need not match C; a layout maps C field
 * names to bytes, and a model field with no C counterpart has no offset.
 */
import { LockstepUsageError } from './report.js';

/** One field of a struct: its C type and where it lies. */
export interface field_layout {
  readonly name: string;
  readonly ctype: string;
  readonly offset: number;
  readonly size: number;
  readonly align: number;
  /** The layout of an embedded struct (or array element struct), for paths through it. */
  readonly struct?: struct_layout;
}

export interface struct_layout {
  readonly name: string;
  readonly size: number;
  readonly align: number;
  readonly fields: readonly field_layout[];
}

/** Where a member path ends: offset from the start of the outer struct, size and C type. */
export interface member_loc {
  readonly offset: number;
  readonly size: number;
  readonly ctype: string;
}

const SCALARS: Readonly<Record<string, number>> = {
  char: 1,
  u8: 1,
  'unsigned char': 1,
  short: 2,
  u16: 2,
  int: 4,
  'unsigned int': 4,
  u32: 4,
  __be32: 4,
  long: 8,
  'unsigned long': 8,
  u64: 8,
  size_t: 8,
  loff_t: 8,
};

const registry = new Map<string, struct_layout>();

/** A typedef or struct name as registered: "struct list_head" and "list_head" are the same. */
function key(name: string): string {
  return name.replace(/^struct\s+/, '').trim();
}

/** Size, alignment and struct layout of a C type. */
function typeInfo(ctype: string): { size: number; align: number; struct?: struct_layout } {
  const t = ctype.trim();
  const arr = /^(.*)\[(\d+)\]$/.exec(t);
  if (arr) {
    const el = typeInfo(arr[1]!);
    const info = { size: el.size * Number(arr[2]), align: el.align };
    return el.struct ? { ...info, struct: el.struct } : info;
  }
  // Pointers (data or function) are 8 bytes on x86_64.
  if (t.endsWith('*') || t.startsWith('fn')) return { size: 8, align: 8 };
  const s = SCALARS[t.replace(/^(const|volatile)\s+/, '')];
  if (s !== undefined) return { size: s, align: s };
  const st = registry.get(key(t));
  if (st === undefined) throw new LockstepUsageError(`layout: unknown C type '${ctype}'`);
  return { size: st.size, align: st.align, struct: st };
}

/**
 * define_struct(): lay out `fields` ([name, C type] in declaration order) and register the
 * struct under `name`. `aligned` is an __aligned__ attribute (____cacheline_aligned_in_smp).
 * C types: the scalars above, "T *" or "fn" for pointers, "T[N]" arrays, registered structs.
 */
export function define_struct(
  name: string,
  fields: readonly (readonly [string, string])[],
  aligned = 1,
): struct_layout {
  let off = 0;
  let align = aligned;
  const out: field_layout[] = [];
  for (const [fname, ctype] of fields) {
    const ti = typeInfo(ctype);
    off = Math.ceil(off / ti.align) * ti.align;
    out.push({
      name: fname,
      ctype,
      offset: off,
      size: ti.size,
      align: ti.align,
      ...(ti.struct ? { struct: ti.struct } : {}),
    });
    off += ti.size;
    align = Math.max(align, ti.align);
  }
  const layout: struct_layout = {
    name: key(name),
    size: Math.ceil(Math.max(off, 1) / align) * align,
    align,
    fields: out,
  };
  registry.set(layout.name, layout);
  return layout;
}

/** The registered layout of a struct type, or undefined. */
export function struct_layout_of(name: string): struct_layout | undefined {
  return registry.get(key(name));
}

/** The registered layouts that have a field of this name (to place a field of unknown type). */
export function layouts_with_field(name: string): struct_layout[] {
  return [...registry.values()].filter((l) => l.fields.some((f) => f.name === name));
}

/** The field of a layout with this C name, or undefined. */
export function field_of(layout: struct_layout, name: string): field_layout | undefined {
  return layout.fields.find((f) => f.name === name);
}

/** offsetof(type, member) with sizeof the member; undefined when the layout has no such field. */
export function offsetof(layout: struct_layout, member: string): member_loc | undefined {
  return resolve_member(layout, member.split('.')).loc;
}

/**
 * Walk a member path ("sp_lock.dep_map.class_cache", or "0.sv_nrpools" in an array of the
 * struct) through the layouts. Returns the deepest location reached and the path segments no
 * layout names (model fields without a C counterpart).
 */
export function resolve_member(
  layout: struct_layout,
  path: readonly string[],
): { loc: member_loc | undefined; rest: readonly string[] } {
  let cur: struct_layout | undefined = layout;
  let loc: member_loc | undefined;
  let base = 0;
  for (let i = 0; i < path.length; i++) {
    const seg = path[i]!;
    if (cur === undefined) return { loc, rest: path.slice(i) };
    if (/^\d+$/.test(seg)) {
      // An element of an array of `cur` (kcalloc'd, or an embedded array field).
      base += Number(seg) * cur.size;
      loc = { offset: base, size: cur.size, ctype: `struct ${cur.name}` };
      continue;
    }
    const f = field_of(cur, seg);
    if (f === undefined) return { loc, rest: path.slice(i) };
    base += f.offset;
    loc = { offset: base, size: f.size, ctype: f.ctype };
    cur = f.struct;
  }
  return { loc, rest: [] };
}

// ---- the core's own structs, as 2.6.24 declares them ----

/** struct list_head, v2.6.24:include/linux/list.h. */
export const list_head_layout = define_struct('list_head', [
  ['next', 'struct list_head *'],
  ['prev', 'struct list_head *'],
]);
/** atomic_t, v2.6.24:include/asm-x86/atomic_64.h. */
export const atomic_t_layout = define_struct('atomic_t', [['counter', 'int']]);
/** struct kref, v2.6.24:include/linux/kref.h. */
export const kref_layout = define_struct('kref', [['refcount', 'atomic_t']]);
/** raw_spinlock_t, v2.6.24:include/asm-x86/spinlock_types.h (not yet the 2.6.25 ticket lock). */
export const raw_spinlock_t_layout = define_struct('raw_spinlock_t', [['slock', 'unsigned int']]);
/** struct lockdep_map, v2.6.24:include/linux/lockdep.h, without CONFIG_LOCK_STAT's cpu. */
export const lockdep_map_layout = define_struct('lockdep_map', [
  ['key', 'struct lock_class_key *'],
  ['class_cache', 'struct lock_class *'],
  ['name', 'const char *'],
]);
/**
 * spinlock_t, v2.6.24:include/linux/spinlock_types.h with DEBUG_SPINLOCK and DEBUG_LOCK_ALLOC
 * (no break_lock: that needs CONFIG_PREEMPT). 48 bytes.
 */
export const spinlock_t_layout = define_struct('spinlock_t', [
  ['raw_lock', 'raw_spinlock_t'],
  ['magic', 'unsigned int'],
  ['owner_cpu', 'unsigned int'],
  ['owner', 'void *'],
  ['dep_map', 'struct lockdep_map'],
]);
/** wait_queue_head_t, v2.6.24:include/linux/wait.h. */
export const wait_queue_head_t_layout = define_struct('wait_queue_head_t', [
  ['lock', 'spinlock_t'],
  ['task_list', 'struct list_head'],
]);
/** struct timer_list, v2.6.24:include/linux/timer.h with CONFIG_TIMER_STATS (defconfig). */
export const timer_list_layout = define_struct('timer_list', [
  ['entry', 'struct list_head'],
  ['expires', 'unsigned long'],
  ['function', 'fn'],
  ['data', 'unsigned long'],
  ['base', 'struct tvec_t_base_s *'],
  ['start_site', 'void *'],
  ['start_comm', 'char[16]'],
  ['start_pid', 'int'],
]);

/**
 * The member of a spinlock_t that a lock function reads first (its path inside spinlock_t).
 * With lockdep on, _spin_lock*() calls lock_acquire(&lock->dep_map), and __lock_acquire()
 * reads lock->class_cache (v2.6.24:kernel/spinlock.c, kernel/lockdep.c); once a report has
 * turned lockdep off (debug_locks 0) __lock_acquire() returns early and _raw_spin_lock()'s
 * debug_spin_lock_before() reads lock->magic (v2.6.24:lib/spinlock_debug.c).
 */
export function spin_lock_first_touch(debug_locks: boolean): readonly string[] {
  return debug_locks ? ['dep_map', 'class_cache'] : ['magic'];
}

/** L1_CACHE_BYTES of the configuration: ____cacheline_aligned_in_smp aligns to it. */
export const SMP_CACHE_BYTES = 128;
