/** The sunrpc layouts (v2.6.24:include/linux/sunrpc/svc.h) and the reports that use them. */
import { offsetof } from '@lockstep/kernel';
import { describe, expect, it } from 'vitest';
import { svc_pool_layout, svc_serv_layout } from '../src/layouts.js';

describe('sunrpc struct layouts (x86_64 defconfig + PROVE_LOCKING)', () => {
  it('puts svc_pool.sp_lock at 8 and pads the cacheline-aligned pool to 128 bytes', () => {
    expect(offsetof(svc_pool_layout, 'sp_lock')?.offset).toBe(8);
    // spin_lock_bh(&pool->sp_lock) with pool NULL: __lock_acquire reads dep_map.class_cache.
    expect(offsetof(svc_pool_layout, 'sp_lock.dep_map.class_cache')?.offset).toBe(0x28);
    expect(svc_pool_layout.size).toBe(128);
  });

  it('gives svc_serv.sv_nrpools 4 bytes at 208 (after the 80-byte sv_temptimer)', () => {
    expect(offsetof(svc_serv_layout, 'sv_temptimer')).toEqual({
      offset: 120,
      size: 80,
      ctype: 'struct timer_list',
    });
    expect(offsetof(svc_serv_layout, 'sv_nrpools')).toEqual({
      offset: 208,
      size: 4,
      ctype: 'unsigned int',
    });
    expect(svc_serv_layout.size).toBe(256);
  });
});
