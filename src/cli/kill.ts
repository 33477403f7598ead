// `tsrun kill [--all] <id> [signal]` (default SIGTERM).
import type { GlobalOptions } from '../runtime/options';
import type { Parsed } from './commands';

export async function kill(g: GlobalOptions, p: Parsed): Promise<number> {
  const { parseSignal } = require('../linux/signals') as typeof import('../linux/signals');
  const lib = require('../runtime/kill') as typeof import('../runtime/kill');
  await lib.kill(g, p.args[0], parseSignal(p.args[1] ?? 'SIGTERM'), !!p.flags.all);
  return 0;
}
