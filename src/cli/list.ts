// `tsrun list [--format table|json] [--quiet]`, laid out as runc's (json: "null" when empty).
import type { GlobalOptions } from '../runtime/options';
import type { Parsed } from './commands';
import { write } from './output';

export async function list(g: GlobalOptions, p: Parsed): Promise<number> {
  const lib = require('../runtime/list') as typeof import('../runtime/list');
  const states = lib.list(g);
  if (p.flags.quiet) write(1, states.map((s) => s.id + '\n').join(''));
  else if (p.flags.format === 'json') write(1, JSON.stringify(states.length ? states : null) + '\n');
  else write(1, lib.formatTable(states));
  return 0;
}
