/**
 * x86_64 layouts of the sunrpc structs the reports name, with their v2.6.24 field lists
 * (v2.6.24:include/linux/sunrpc/svc.h), in the configuration layout.ts states (x86_64
 * defconfig plus PROVE_LOCKING: spinlock_t is 48 bytes). Registering them under the names
 * kmalloc() is given ('svc_pool', 'svc_serv') lets KASAN and the NULL-dereference oops use
 * the real offsets and sizes. Fields the model leaves out (sv_temptimer, sv_module, ...) are
 * still here: they move the offsets of the fields after them.
 */
import { define_struct, SMP_CACHE_BYTES } from '@lockstep/kernel';

/** struct svc_pool, v2.6.24: ____cacheline_aligned_in_smp (128 bytes in this configuration). */
export const svc_pool_layout = define_struct(
  'svc_pool',
  [
    ['sp_id', 'unsigned int'],
    ['sp_lock', 'spinlock_t'],
    ['sp_threads', 'struct list_head'],
    ['sp_sockets', 'struct list_head'],
    ['sp_nrthreads', 'unsigned int'],
    ['sp_all_threads', 'struct list_head'],
  ],
  SMP_CACHE_BYTES,
);

/** struct svc_serv, v2.6.24. */
export const svc_serv_layout = define_struct('svc_serv', [
  ['sv_program', 'struct svc_program *'],
  ['sv_stats', 'struct svc_stat *'],
  ['sv_lock', 'spinlock_t'],
  ['sv_nrthreads', 'unsigned int'],
  ['sv_max_payload', 'unsigned int'],
  ['sv_max_mesg', 'unsigned int'],
  ['sv_xdrsize', 'unsigned int'],
  ['sv_permsocks', 'struct list_head'],
  ['sv_tempsocks', 'struct list_head'],
  ['sv_tmpcnt', 'int'],
  ['sv_temptimer', 'struct timer_list'],
  ['sv_name', 'char *'],
  ['sv_nrpools', 'unsigned int'],
  ['sv_pools', 'struct svc_pool *'],
  ['sv_shutdown', 'fn'],
  ['sv_module', 'struct module *'],
  ['sv_function', 'fn'],
  ['sv_kill_signal', 'int'],
]);
