/**
 * @lockstep/vfs-locks: fs/locks.c of Linux 2.6.24 on @lockstep/kernel.
 *
 * The functions exported here are the fs/locks.c EXPORT_SYMBOLs that the model implements
 * (the FL_FLOCK, lease, mandatory-lock and lock_may_* ones are not modelled), then the
 * syscall entry points that built-in code calls (fs/fcntl.c, fs/open.c), then model helpers
 * that stand in for VFS paths the model does not have. Internal helpers stay unexported.
 */

// Types and constants of include/linux/fs.h and include/asm-generic/fcntl.h.
// Model helpers.
export {
  type dentry,
  F_CANCELLK,
  F_GETLK,
  F_LINUX_SPECIFIC_BASE,
  F_RDLCK,
  F_SETLK,
  F_SETLKW,
  F_UNLCK,
  F_WRLCK,
  FL_ACCESS,
  FL_CLOSE,
  FL_EXISTS,
  FL_FLOCK,
  FL_LEASE,
  FL_POSIX,
  FL_SLEEP,
  FMODE_READ,
  FMODE_WRITE,
  type file,
  type file_lock,
  type file_lock_operations,
  file_lock_struct,
  type file_operations,
  files_struct,
  type fl_owner_t,
  type flock,
  type fown_struct,
  type inode,
  type lock_manager_operations,
  new_inode,
  OFFSET_MAX,
  open_file,
  SEEK_CUR,
  SEEK_END,
  SEEK_SET,
  task_files,
} from './fs.js';
// EXPORT_SYMBOL / EXPORT_SYMBOL_GPL of fs/locks.c (2.6.24), the modelled ones.
// Syscall entry points: fcntl(F_GETLK/F_SETLK/F_SETLKW) and close() reach these.
export {
  fcntl_getlk,
  fcntl_setlk,
  locks_copy_lock,
  locks_init_lock,
  locks_remove_posix,
  posix_lock_file,
  posix_lock_file_wait,
  posix_test_lock,
  posix_unblock_lock,
  proc_locks,
  vfs_cancel_lock,
  vfs_lock_file,
  vfs_test_lock,
} from './locks.js';
export { filp_close } from './open.js';
