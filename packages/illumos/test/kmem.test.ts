/** kmem caches as a non-DEBUG kernel has them, and kernel threads. */
import { sched_point } from '@lockstep/kernel';
import { describe, expect, it } from 'vitest';
import {
  addr_of,
  curthread,
  illumos_machine,
  KM_NOSLEEP,
  KM_SLEEP,
  kmem_buf_is_free,
  kmem_cache_alloc,
  kmem_cache_create,
  kmem_cache_free,
  minclsyspri,
  TS_RUN,
  thread_create,
  thread_exit,
} from '../src/index.js';

describe('kmem_cache_alloc/kmem_cache_free (non-DEBUG)', () => {
  it('a freed buffer keeps its contents and is the next one handed out (LIFO)', () => {
    const m = illumos_machine();
    const cp = kmem_cache_create('buf_cache', 0x48, 8, () => ({ word: 0n, name: '' }));
    const seen: unknown[] = [];
    thread_create(
      null,
      0,
      function* user(_: null) {
        const a = yield* kmem_cache_alloc<{ word: bigint; name: string }>(cp, KM_SLEEP);
        const b = yield* kmem_cache_alloc<{ word: bigint; name: string }>(cp, KM_NOSLEEP);
        // Buffers of one cache lie a chunk apart (0x48 rounded up to 8 bytes).
        seen.push(addr_of(b) - addr_of(a));
        a.word = 0xffffff000f401006n;
        a.name = 'stale';
        kmem_cache_free(cp, a);
        seen.push(kmem_buf_is_free(cp, a), a.word, a.name);
        const c = yield* kmem_cache_alloc<{ word: bigint; name: string }>(cp, KM_SLEEP);
        seen.push(c === a, c.name, kmem_buf_is_free(cp, a));
      },
      null,
      0,
      null,
      TS_RUN,
      minclsyspri,
      m,
    );
    expect(m.run().outcome).toBe('clean');
    expect(seen).toEqual([0x48n, true, 0xffffff000f401006n, 'stale', true, 'stale', false]);
  });
});

describe('thread_create', () => {
  it('runs proc(arg) as a kernel thread named after proc; thread_exit ends it', () => {
    const m = illumos_machine();
    const out: string[] = [];
    const t = thread_create(
      null,
      0,
      function* nlm_gc(arg: string) {
        out.push(`${arg} on ${curthread().task.comm}`);
        yield* sched_point();
        thread_exit();
      },
      'globals',
      0,
      null,
      TS_RUN,
      minclsyspri,
      m,
    );
    expect(t.task.comm).toBe('nlm_gc');
    expect(t.task.kind).toBe('kthread');
    expect(m.run().outcome).toBe('clean');
    expect(out).toEqual(['globals on nlm_gc']);
    expect(t.toString()).toMatch(/^ffffff000f4[0-9a-f]{2}000$/);
  });
});
