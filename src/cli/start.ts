// `tsrun start <id>`
import type { GlobalOptions } from '../runtime/options';
import type { Parsed } from './commands';

export async function start(g: GlobalOptions, p: Parsed): Promise<number> {
  const lib = require('../runtime/start') as typeof import('../runtime/start');
  await lib.start(g, p.args[0]);
  return 0;
}
