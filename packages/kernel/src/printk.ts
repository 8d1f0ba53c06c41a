/** printk() into the machine's log buffer (kernel/printk.c), read back as dmesg. */
import { current, this_machine } from './sched.js';

export const KERN_EMERG = '<0>';
export const KERN_ALERT = '<1>';
export const KERN_CRIT = '<2>';
export const KERN_ERR = '<3>';
export const KERN_WARNING = '<4>';
export const KERN_NOTICE = '<5>';
export const KERN_INFO = '<6>';
export const KERN_DEBUG = '<7>';
const DEFAULT_LEVEL = KERN_WARNING;

/** printk(KERN_WARNING + "text\n"): the level prefix is optional, as in the kernel. */
export function printk(msg: string): void {
  const m = this_machine();
  const lv = /^<[0-7]>/.exec(msg);
  const level = lv ? lv[0] : DEFAULT_LEVEL;
  const body = lv ? msg.slice(3) : msg;
  for (const line of body.replace(/\n$/, '').split('\n')) {
    m.log.push({ jiffies: m.jiffies, step: m.steps, level, text: line });
    m.emit(current.pid, 'printk', line, { level });
  }
}

/** dprintk()/pr_debug(): compiled out, as without CONFIG_SYSCTL debugging. */
export function dprintk(_msg: string): void {}
