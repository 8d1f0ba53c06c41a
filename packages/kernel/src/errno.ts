/** errno values and ERR_PTR (include/asm-generic/errno-base.h, include/linux/err.h). */
export const EPERM = 1;
export const ENOENT = 2;
export const ESRCH = 3;
export const EINTR = 4;
export const EIO = 5;
export const EBADF = 9;
export const EAGAIN = 11;
export const ENOMEM = 12;
export const EFAULT = 14;
export const EBUSY = 16;
export const EEXIST = 17;
export const EINVAL = 22;
export const EDEADLK = 35;
export const ENOLCK = 37;
export const EOVERFLOW = 75;
export const ETIMEDOUT = 110;
export const EINPROGRESS = 115;
export const ERESTARTSYS = 512;

/** An error pointer: what ERR_PTR(-ENOMEM) returns. */
export class ErrPtr {
  constructor(readonly error: number) {
    Object.freeze(this);
  }
}

export function ERR_PTR(error: number): ErrPtr {
  return new ErrPtr(error);
}

export function IS_ERR(p: unknown): p is ErrPtr {
  return p instanceof ErrPtr;
}

export function PTR_ERR(p: ErrPtr): number {
  return p.error;
}
