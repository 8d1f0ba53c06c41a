/** v2.6.24:fs/open.c: the part of close() that concerns POSIX locks. */
import type { Kfn } from '@lockstep/kernel';
import type { file, fl_owner_t } from './fs.js';
import { locks_remove_posix } from './locks.js';

/** filp_close(), v2.6.24:fs/open.c: drops the closer's POSIX locks; leaves out ->flush, dnotify and fput. */
export function* filp_close(filp: file, id: fl_owner_t): Kfn<number> {
  yield* locks_remove_posix(filp, id);
  return 0;
}
