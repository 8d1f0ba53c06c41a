/**
 * @lockstep/machine: stable entry points into a simulated Linux 2.6.24 NFS/NLM server, the
 * way a syzkaller program drives system calls. A reproducer boots a machine, creates NLM
 * client hosts and spawns user tasks that compose these operations; the same reproducer
 * runs at every step of a patch series, because nothing here is patched.
 */
export { type BootOptions, boot, install, scenario } from './boot.js';
export { gfs_controld_pid, gfsControldStop } from './gfs_controld.js';
export { live_lockd_tasks, lockd_tasks } from './inspect.js';
export { type ExportSpec, export_inode, nfsd_export, nlm4_stale_fh } from './nfsd.js';
export {
  type GrantedRecord,
  NlmClient,
  type NlmClientOptions,
  type NlmLockSpec,
  type NlmStatus,
} from './nlm_client.js';
export {
  closeFile,
  failSlab,
  fcntlLock,
  fcntlTest,
  fcntlUnlock,
  insmodModule,
  type LocalLockSpec,
  nfsMount,
  nfsUmount,
  openExport,
  pmSuspend,
  symbolExported,
  symbolProviders,
} from './ops.js';
