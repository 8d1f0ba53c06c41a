/**
 * The kernel memory allocator (usr/src/uts/common/os/kmem.c) as a non-DEBUG kernel has it:
 * kmem_flags is 0, so a freed buffer is neither poisoned (no 0xdeadbeef, no KMF_DEADBEEF),
 * nor audited, nor redzoned: it keeps its contents (a destroyed mutex keeps its owner word,
 * thread | MUTEX_DEAD) until the cache hands it out again. The magazine layer hands back the
 * most recently freed buffer first, which the model keeps (LIFO per cache).
 *
 * Addresses: every buffer, and every struct embedded in one, has the address it would have on
 * x86_64 (kernel heap at ffffff01..., statics in the kernel's data at fffffffffb...), so
 * panics and the mdb view print pointers an illumos engineer would recognise.
 */
import { type Kfn, LockstepUsageError, sched_point, title_skip } from '@lockstep/kernel';

/** KM_SLEEP and KM_NOSLEEP, illumos 096e63b2^:usr/src/uts/common/sys/kmem.h. */
export const KM_SLEEP = 0x0000;
export const KM_NOSLEEP = 0x0001;

const HEAP_BASE = 0xffff_ff01_e5a0_0000n;
const CACHE_SPAN = 0x10_0000n;
const STATIC_BASE = 0xffff_ffff_fbc3_0000n;

interface placement {
  readonly container: object;
  readonly offset: number;
}
const direct = new WeakMap<object, bigint>();
const embedded = new WeakMap<object, placement>();
let nextStatic = STATIC_BASE;

/**
 * Model helper (illumos 096e63b2^:usr/src/uts/common/os/kmem.c lays out buffers): the
 * address of a buffer, of a struct embedded in one (container + offset), or of a static
 * (given on first use, in the kernel's data segment).
 */
export function addr_of(obj: object): bigint {
  const a = direct.get(obj);
  if (a !== undefined) return a;
  const e = embedded.get(obj);
  if (e !== undefined) return addr_of(e.container) + BigInt(e.offset);
  const s = nextStatic;
  nextStatic += 0x100n;
  direct.set(obj, s);
  return s;
}

/**
 * Model helper (x86_64 struct layout, illumos 096e63b2^:usr/src/uts/common/sys/*.h): `member`
 * is embedded in `container` at byte `offset` (a kmutex_t, kcondvar_t or TAILQ_ENTRY in a
 * struct), so its address follows the container's.
 */
export function addr_embed<T extends object>(member: T, container: object, offset: number): T {
  embedded.set(member, { container, offset });
  return member;
}

/** Model helper: an illumos %p: lower-case hex without 0x (illumos 096e63b2^:usr/src/uts/common/os/printf.c). */
export function fmt_ptr(a: bigint): string {
  return BigInt.asUintN(64, a).toString(16);
}

/** kmem_cache_t: the parts of it the model needs. */
export class kmem_cache_t {
  /** Buffers freed and not yet handed out again, most recent last. */
  readonly freelist: object[] = [];
  /** Buffers allocated now. */
  readonly allocated = new Set<object>();
  readonly chunksize: number;
  private nextChunk = 0n;
  constructor(
    readonly cache_name: string,
    readonly bufsize: number,
    readonly align: number,
    readonly base: bigint,
    readonly constructor_: () => object,
  ) {
    const a = Math.max(align, 8);
    this.chunksize = Math.ceil(bufsize / a) * a;
  }
  /** Model helper: a fresh buffer from a new slab, at the next chunk's address. */
  grow(): object {
    const buf = this.constructor_();
    direct.set(buf, this.base + this.nextChunk * BigInt(this.chunksize));
    this.nextChunk++;
    return buf;
  }
}

let nextCache = 0n;

/**
 * kmem_cache_create(), illumos 096e63b2^:usr/src/uts/common/os/kmem.c. Deviation: the model's
 * `ctor` builds a buffer's JavaScript object (its fields, as the memory a new slab
 * holds); illumos's constructor/destructor/reclaim callbacks, vmem source and cflags are not
 * modelled.
 */
export function kmem_cache_create<T extends object>(
  name: string,
  bufsize: number,
  align: number,
  ctor: () => T,
): kmem_cache_t {
  if (bufsize <= 0) throw new LockstepUsageError(`kmem_cache_create(${name}): bufsize ${bufsize}`);
  const base = HEAP_BASE + nextCache * CACHE_SPAN;
  nextCache++;
  return new kmem_cache_t(name, bufsize, align, base, ctor);
}

/**
 * kmem_cache_alloc(), illumos 096e63b2^:usr/src/uts/common/os/kmem.c: the most recently freed
 * buffer (the magazine layer's LIFO), with whatever it held when freed, else a new one. The
 * caller initialises it, as illumos callers do. KM_SLEEP may block: a scheduling point.
 */
export function* kmem_cache_alloc<T extends object>(cp: kmem_cache_t, kmflag: number): Kfn<T> {
  if ((kmflag & KM_NOSLEEP) === 0) yield* sched_point();
  const buf = cp.freelist.pop() ?? cp.grow();
  cp.allocated.add(buf);
  return buf as T;
}

/**
 * kmem_cache_free(), illumos 096e63b2^:usr/src/uts/common/os/kmem.c, non-DEBUG (kmem_flags 0):
 * no poisoning, no audit; the buffer keeps its contents. Freeing a buffer twice or one from
 * another cache is not checked (KMF_AUDIT/KMF_DEADBEEF would catch it), as on a production kernel.
 */
export function kmem_cache_free(cp: kmem_cache_t, buf: object): void {
  cp.allocated.delete(buf);
  cp.freelist.push(buf);
}

/** Model helper (the mdb ::whatis question, illumos 096e63b2^:usr/src/uts/common/os/kmem.c state): is the buffer free? */
export function kmem_buf_is_free(cp: kmem_cache_t, buf: object): boolean {
  return cp.freelist.includes(buf);
}

title_skip('kmem_cache_alloc', 'kmem_cache_free');
