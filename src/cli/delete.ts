// `tsrun delete [--force] <id>`
import type { GlobalOptions } from '../runtime/options';
import type { Parsed } from './commands';

export async function del(g: GlobalOptions, p: Parsed): Promise<number> {
  const lib = require('../runtime/delete') as typeof import('../runtime/delete');
  await lib.deleteContainer(g, p.args[0], !!p.flags.force);
  return 0;
}
