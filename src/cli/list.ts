// `tsrun list [--format table|json] [--quiet]`, laid out as runc's (json: "null" when empty).
import { list as listContainers } from '../runtime/list';
import { cliState, formatTable } from './format';
import type { GlobalOptions } from '../runtime/options';
import type { Parsed } from './parsed';
import { write } from './output';

export async function list(g: GlobalOptions, p: Parsed): Promise<number> {
  const states = listContainers(g).map(cliState);
  if (p.flags.quiet) write(1, states.map((s) => s.id + '\n').join(''));
  else if (p.flags.format === 'json') write(1, JSON.stringify(states.length ? states : null) + '\n');
  else write(1, formatTable(states));
  return 0;
}
