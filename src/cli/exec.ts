// `tsrun exec [options] <id> <command> [args...]` or `exec -p process.json <id>`.
import type { Process } from '../oci/types';
import { TsrunError } from '../common/errors';
import { readJsonFile } from '../common/read-input';
import type { GlobalOptions } from '../runtime/options';
import { Store } from '../runtime/store';
import type { Parsed } from './commands';

export async function exec(g: GlobalOptions, p: Parsed): Promise<number> {
  const lib = await import('../runtime/exec');
  const f = p.flags;
  const [id, ...cmd] = p.args;
  let proc: Process;
  if (f.process) {
    const file = String(f.process);
    try {
      proc = JSON.parse(readJsonFile(file, '--process ')) as Process;
    } catch (err) {
      if (err instanceof TsrunError) throw err;
      throw new TsrunError(`--process ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  } else {
    if (!cmd.length) throw new TsrunError('exec: no command given (usage: tsrun exec <container-id> <command> [args...])');
    const base = new Store(g.root).load(id).config.process;
    if (!base) throw new TsrunError(`container ${id} has no process in its config`);
    const gids = (f['additional-gids'] as string[]).map((x) => {
      const n = Number(x);
      if (!Number.isInteger(n) || n < 0) throw new TsrunError(`--additional-gids ${x}: expected a number`);
      return n;
    });
    proc = lib.processFromFlags(base, {
      args: cmd,
      cwd: f.cwd as string | undefined,
      env: f.env as string[],
      user: f.user as string | undefined,
      additionalGids: gids,
      caps: f.cap as string[],
      noNewPrivs: !!f['no-new-privs'],
      tty: !!f.tty,
    });
    if (f.apparmor) proc.apparmorProfile = String(f.apparmor);
    if (f['process-label']) proc.selinuxLabel = String(f['process-label']);
  }
  return lib.exec(g, {
    id,
    process: proc,
    consoleSocket: (f['console-socket'] as string | undefined) || undefined,
    pidFile: (f['pid-file'] as string | undefined) || undefined,
    detach: !!f.detach,
    preserveFds: Number(f['preserve-fds'] ?? 0),
  });
}
