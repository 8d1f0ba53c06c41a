/** ASSERT (DEBUG kernels only), VERIFY (always), and assfail's panic message. */
import { sched_point } from '@lockstep/kernel';
import { describe, expect, it } from 'vitest';
import {
  ASSERT,
  fmt_ptr,
  illumos_machine,
  minclsyspri,
  TS_RUN,
  thread_create,
  VERIFY,
} from '../src/index.js';

const host = { nh_refs: 1, nh_flags: 0 };

function unregister(debug: boolean, check: 'ASSERT' | 'VERIFY') {
  const m = illumos_machine({ debug });
  const t = thread_create(
    null,
    0,
    function* nlm_host_unregister(_: null) {
      yield* sched_point();
      const f = check === 'ASSERT' ? ASSERT : VERIFY;
      f(host.nh_refs === 0, 'hostp->nh_refs == 0', '../../common/klm/nlm_impl.c', 1234);
    },
    null,
    0,
    null,
    TS_RUN,
    minclsyspri,
    m,
  );
  return { r: m.run(), t };
}

describe('ASSERT and assfail', () => {
  it('on a DEBUG kernel a failed ASSERT panics "assertion failed: %s, file: %s, line: %d"', () => {
    const { r, t } = unregister(true, 'ASSERT');
    expect(r.outcome).toBe('crash');
    expect(r.report?.kind).toBe('panic');
    expect(r.report?.headline).toBe(
      `panic[cpu0]/thread=${fmt_ptr(t.addr)}: assertion failed: hostp->nh_refs == 0, file: ../../common/klm/nlm_impl.c, line: 1234`,
    );
    expect(r.report?.title).toBe(
      'panic: assertion failed: hostp->nh_refs == 0 in nlm_host_unregister',
    );
    expect(r.report?.text).toContain(
      ['vpanic()', 'panic+0x0()', 'assfail+0x0()', 'nlm_host_unregister+0x0()'].join('\n'),
    );
  });

  it('on a non-DEBUG kernel (the default) ASSERT is compiled out', () => {
    expect(unregister(false, 'ASSERT').r.outcome).toBe('clean');
  });

  it('VERIFY panics on either kernel', () => {
    expect(unregister(false, 'VERIFY').r.report?.title).toBe(
      'panic: assertion failed: hostp->nh_refs == 0 in nlm_host_unregister',
    );
  });
});
