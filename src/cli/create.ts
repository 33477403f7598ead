// `tsrun create [-b bundle] <id>` and the options `run` shares with it.
import * as path from 'node:path';
import { TsrunError } from '../common/errors';
import type { CreateOptions, GlobalOptions } from '../runtime/options';
import type { Parsed } from './parsed';

export function createOptions(p: Parsed): CreateOptions {
  const f = p.flags;
  const fds = Number(f['preserve-fds'] ?? 0);
  if (!Number.isInteger(fds) || fds < 0) throw new TsrunError(`--preserve-fds ${String(f['preserve-fds'])}: expected a number >= 0`);
  return {
    id: p.args[0],
    bundle: path.resolve(String(f.bundle || '.')),
    consoleSocket: (f['console-socket'] as string | undefined) || undefined,
    pidFile: (f['pid-file'] as string | undefined) || undefined,
    noPivot: !!f['no-pivot'],
    noNewKeyring: !!f['no-new-keyring'],
    preserveFds: fds,
    pidfdSocket: (f['pidfd-socket'] as string | undefined) || undefined,
  };
}

export async function create(g: GlobalOptions, p: Parsed): Promise<number> {
  const lib = await import('../runtime/create');
  await lib.create(g, createOptions(p));
  return 0;
}
