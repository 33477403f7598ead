// `tsrun ps [--format table|json] <id> [ps options]`: json is the bare pid array containerd's
// shim reads (`null` when there are none, as runc's encoder writes an empty list).
import { containerPids, psTable } from '../runtime/ps';
import type { GlobalOptions } from '../runtime/options';
import type { Parsed } from './parsed';
import { write } from './output';

export async function ps(g: GlobalOptions, p: Parsed): Promise<number> {
  const [id, ...psArgs] = p.args;
  const pids = containerPids(g, id);
  if (p.flags.format === 'json') write(1, `${pids.length ? JSON.stringify(pids) : 'null'}\n`);
  else write(1, psTable(pids, psArgs));
  return 0;
}
