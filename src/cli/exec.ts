// `tsrun exec [options] <id> <command> [args...]` or `exec -p process.json <id>`.
import type { Process } from '../oci/types';
import { TsrunError } from '../common/errors';
import type { GlobalOptions } from '../runtime/options';
import { callerIo } from './io';
import { Store } from '../runtime/store';
import type { Parsed } from './parsed';

/** Like runc: the process's own exit status, or 255 when it could not be started at all
 *  (so a caller can tell "exec failed" from a command that failed). */
export async function exec(g: GlobalOptions, p: Parsed): Promise<number> {
  try {
    return await execCommand(g, p);
  } catch (err) {
    throw new TsrunError(err instanceof Error ? err.message : String(err), EXEC_FAILED);
  }
}

const EXEC_FAILED = 255;

async function execCommand(g: GlobalOptions, p: Parsed): Promise<number> {
  const lib = await import('../runtime/exec');
  const f = p.flags;
  const [id, ...cmd] = p.args;
  let proc: Process;
  if (f.process) {
    proc = lib.loadProcessFile(String(f.process), new Store(g.root).load(id).config.process, g.logger);
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
    cgroups: (f.cgroup as string[] | undefined) ?? [],
    pidfdSocket: (f['pidfd-socket'] as string | undefined) || undefined,
    ignorePaused: !!f['ignore-paused'],
    io: await callerIo(),
  });
}
