/**
 * ASSERT and VERIFY (usr/src/uts/common/sys/debug.h) and assfail() (usr/src/uts/common/os/
 * printf.c). ASSERT is compiled in only on a DEBUG kernel (illumos_machine({ debug: true }));
 * VERIFY always.
 */
import { title_skip } from '@lockstep/kernel';
import { panic } from './panic.js';
import { illumos_config_of } from './param.js';

/**
 * assfail(), illumos 096e63b2^:usr/src/uts/common/os/printf.c: with aok == 0 and no panic yet,
 * panic("assertion failed: %s, file: %s, line: %d", a, f, l). Deviation: aask (print and enter
 * the debugger) is not modelled.
 */
export function assfail(a: string, f: string, l: number): never {
  return panic(`assertion failed: ${a}, file: ${f}, line: ${l}`, `assertion failed: ${a}`);
}

/**
 * ASSERT(), illumos 096e63b2^:usr/src/uts/common/sys/debug.h: `#if DEBUG` `((void)((EX) ||
 * assfail(#EX, __FILE__, __LINE__)))`, else nothing. The model passes #EX, __FILE__ and
 * __LINE__ itself; `ex` is evaluated by the caller either way (no side effects in the
 * assertions the model uses).
 */
export function ASSERT(ex: boolean, text: string, file: string, line: number): void {
  if (illumos_config_of().debug && !ex) assfail(text, file, line);
}

/** VERIFY(), illumos 096e63b2^:usr/src/uts/common/sys/debug.h: ASSERT on every kernel, DEBUG or not. */
export function VERIFY(ex: boolean, text: string, file: string, line: number): void {
  if (!ex) assfail(text, file, line);
}

title_skip('ASSERT', 'VERIFY');
