// `tsrun state <id>`: runc's JSON (2-space indent).
import type { GlobalOptions } from '../runtime/options';
import { state as stateOf } from '../runtime/state';
import type { Parsed } from './parsed';
import { cliState } from './format';
import { write } from './output';

export async function state(g: GlobalOptions, p: Parsed): Promise<number> {
  write(1, JSON.stringify(cliState(stateOf(g, p.args[0])), null, 2) + '\n');
  return 0;
}
