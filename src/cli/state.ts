// `tsrun state <id>`: runc's JSON (2-space indent).
import type { GlobalOptions } from '../runtime/options';
import type { Parsed } from './commands';
import { write } from './output';

export async function state(g: GlobalOptions, p: Parsed): Promise<number> {
  const lib = require('../runtime/state') as typeof import('../runtime/state');
  write(1, JSON.stringify(lib.state(g, p.args[0]), null, 2) + '\n');
  return 0;
}
