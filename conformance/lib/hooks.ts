// Hook fixtures: one shell script serves every hook. It records the state it got on stdin,
// its namespaces and env, appends "<name> <status> <pid>" to hooks.log, then succeeds, fails or hangs.
import fs from 'node:fs';
import path from 'node:path';
import type { Bundle, Config } from './harness';

const SCRIPT = `#!/bin/sh
# hook.sh NAME DIR [fail|sleep]
name=$1; dir=$2
state=$(cat)
printf '%s\\n' "$state" > "$dir/$name.json"
status=$(printf '%s' "$state" | sed -n 's/.*"status" *: *"\\([a-z]*\\)".*/\\1/p')
pid=$(printf '%s' "$state" | sed -n 's/.*"pid" *: *\\([0-9]*\\).*/\\1/p')
readlink /proc/self/ns/mnt > "$dir/$name.mntns" 2>/dev/null
readlink /proc/self/ns/pid > "$dir/$name.pidns" 2>/dev/null
printf '%s\\n' "$CONF_HOOK_ENV" > "$dir/$name.env"
echo "$name \${status:-none} \${pid:-none}" >> "$dir/hooks.log"
case "$3" in
fail) exit 3 ;;
sleep) echo $$ > "$dir/$name.pid"; exec sleep 30 ;;
esac
exit 0
`;

export type HookKind = 'prestart' | 'createRuntime' | 'createContainer' | 'startContainer' | 'poststart' | 'poststop';

export interface HookSpec {
  kind: HookKind;
  /** Name written to the log; defaults to kind. */
  name?: string;
  mode?: 'fail' | 'sleep';
  timeout?: number;
}

/** Write hook.sh into the bundle's host dir (seen as /m inside the container). */
export function installHookScript(b: Bundle): void {
  const p = path.join(b.host, 'hook.sh');
  fs.writeFileSync(p, SCRIPT);
  fs.chmodSync(p, 0o755);
}

/**
 * A config mutation adding the hooks. startContainer's path must resolve in the container,
 * so it uses /m/hook.sh (absent on the host); all others use the host path.
 */
export function withHooks(b: Bundle, hooks: HookSpec[]): (c: Config) => void {
  return (c) => {
    c.hooks = {};
    for (const h of hooks) {
      const inContainer = h.kind === 'startContainer';
      const dir = inContainer ? '/m' : b.host;
      const name = h.name ?? h.kind;
      const entry: Record<string, unknown> = {
        path: `${dir}/hook.sh`,
        args: ['hook.sh', name, dir, ...(h.mode ? [h.mode] : [])],
        env: ['PATH=/usr/sbin:/usr/bin:/sbin:/bin', `CONF_HOOK_ENV=env-of-${name}`],
      };
      if (h.timeout) entry.timeout = h.timeout;
      (c.hooks[h.kind] ??= []).push(entry);
    }
  };
}

export interface HookLine {
  name: string;
  status: string;
  pid: string;
}

export function hookLog(b: Bundle): HookLine[] {
  const f = path.join(b.host, 'hooks.log');
  if (!fs.existsSync(f)) return [];
  return fs
    .readFileSync(f, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const [name = '', status = '', pid = ''] = l.split(' ');
      return { name, status, pid };
    });
}

/** What a hook recorded in DIR/NAME.EXT, trimmed; undefined if it never wrote it. */
export function hookFile(b: Bundle, name: string, ext: 'json' | 'env' | 'mntns' | 'pidns' | 'pid'): string | undefined {
  const f = path.join(b.host, `${name}.${ext}`);
  return fs.existsSync(f) ? fs.readFileSync(f, 'utf8').trim() : undefined;
}
