/**
 * printk() into the machine's log buffer (kernel/printk.c), read back as dmesg. As in the
 * kernel, a message that does not end in a newline leaves the line open, and the next
 * printk continues it; a level prefix counts only at the start of a line.
 */
import { current, type Machine, this_machine } from './sched.js';

export const KERN_EMERG = '<0>';
export const KERN_ALERT = '<1>';
export const KERN_CRIT = '<2>';
export const KERN_ERR = '<3>';
export const KERN_WARNING = '<4>';
export const KERN_NOTICE = '<5>';
export const KERN_INFO = '<6>';
export const KERN_DEBUG = '<7>';
const DEFAULT_LEVEL = KERN_WARNING;

type LogRecord = Machine['log'][number];
const PRINTK = Symbol('printk');

/** printk(KERN_WARNING + "text\n"): the level prefix is optional, as in the kernel. */
export function printk(msg: string): void {
  const m = this_machine();
  const st = m.slot(PRINTK, () => ({ open: null as LogRecord | null }));
  const lines = msg.split('\n');
  for (let i = 0; i < lines.length; i++) {
    let text = lines[i]!;
    const terminated = i < lines.length - 1;
    if (!terminated && text === '') break;
    // Continue the open line only if nothing else was logged since (failslab writes directly).
    const open = st.open !== null && m.log[m.log.length - 1] === st.open ? st.open : null;
    if (open !== null) {
      open.text += text;
    } else {
      const lv = /^<[0-7]>/.exec(text);
      const level = lv ? lv[0] : DEFAULT_LEVEL;
      if (lv) text = text.slice(3);
      m.log.push({ jiffies: m.jiffies, step: m.steps, level, text });
    }
    const rec = m.log[m.log.length - 1]!;
    if (text !== '') m.emit(current.pid, 'printk', text, { level: rec.level });
    st.open = terminated ? null : rec;
  }
}

/** dprintk()/pr_debug(): compiled out, as without CONFIG_SYSCTL debugging. */
export function dprintk(_msg: string): void {}
