// `tsrun kill [--all] <id> [signal]` (default SIGTERM).
import { parseSignal } from '../linux/signals';
import { kill as killContainer } from '../runtime/kill';
import type { GlobalOptions } from '../runtime/options';
import type { Parsed } from './parsed';

export async function kill(g: GlobalOptions, p: Parsed): Promise<number> {
  await killContainer(g, p.args[0], parseSignal(p.args[1] ?? 'SIGTERM'), !!p.flags.all);
  return 0;
}
