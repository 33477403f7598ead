// The command-line surface, as data: runc's global flags, commands, their flags and how many
// arguments each takes. Both parsers read this table: the fast one (fastparse.ts, no
// dependencies, used for every well-formed command line) and yargs (yargs-cli.ts, loaded
// only for help, --version and usage errors), so they cannot drift apart.
// Each command's entry also names its module (load), so one entry holds all of a command.
import type { GlobalOptions } from '../runtime/options';
import type { FlagValue, Parsed } from './parsed';

/** A command's entry point: flags parsed, global options resolved, returns the exit code. */
export type Handler = (g: GlobalOptions, p: Parsed) => Promise<number>;

export type FlagType = 'boolean' | 'string' | 'number' | 'array';

export interface FlagDef {
  /** Long name without dashes; also the key in Parsed.flags. */
  name: string;
  /** One-letter alias. */
  alias?: string;
  type: FlagType;
  desc: string;
  default?: string | number | boolean;
  choices?: readonly string[];
  /** Accepted for compatibility, not shown in help. */
  hidden?: boolean;
}

export interface CommandDef {
  name: string;
  /** Argument synopsis for help: "<container-id> [signal]". */
  args: string;
  desc: string;
  /** Allowed number of positional arguments. */
  min: number;
  max: number;
  /** Everything after the first argument is arguments, never flags (exec's command line). */
  haltAtArgs?: boolean;
  flags: FlagDef[];
  /** The command's module, imported on first use only (literal import(): esbuild bundles each
   *  module but initialises it when it runs, so `state` never evaluates yargs, ajv or koffi). */
  load: () => Promise<Handler>;
}

export const GLOBAL_FLAGS: FlagDef[] = [
  { name: 'debug', type: 'boolean', desc: 'enable debug logging' },
  { name: 'log', type: 'string', desc: "set the log file to write tsrun logs to (default is '/dev/stderr')" },
  { name: 'log-format', type: 'string', desc: "set the log format ('text' (default), or 'json')", default: 'text', choices: ['text', 'json'] },
  { name: 'root', type: 'string', desc: 'root directory for storage of container state (this should be located in tmpfs) (default: "/run/tsrun", for a non-root user "$XDG_RUNTIME_DIR/tsrun")' },
  { name: 'systemd-cgroup', type: 'boolean', desc: 'enable systemd cgroup support, expects cgroupsPath to be of form "slice:prefix:name"' },
  { name: 'rootless', type: 'string', desc: "ignore cgroup permission errors ('true', 'false', or 'auto')", default: 'auto', choices: ['true', 'false', 'auto'] },
  // Default (unset) is "criu" from PATH, as runc's.
  { name: 'criu', type: 'string', desc: 'path to the criu binary used for checkpoint and restore (default: "criu")' },
];

const ID = '<container-id>';

const createFlags: FlagDef[] = [
  { name: 'bundle', alias: 'b', type: 'string', desc: 'path to the root of the bundle directory, defaults to the current directory', default: '' },
  { name: 'console-socket', type: 'string', desc: "path to an AF_UNIX socket which will receive a file descriptor referencing the master end of the console's pseudoterminal" },
  { name: 'pid-file', type: 'string', desc: 'specify the file to write the process id to' },
  { name: 'no-pivot', type: 'boolean', desc: 'do not use pivot root to jail process inside rootfs' },
  { name: 'no-new-keyring', type: 'boolean', desc: 'do not create a new session keyring for the container' },
  { name: 'preserve-fds', type: 'number', desc: 'pass N additional file descriptors to the container (stdio + $LISTEN_FDS + N in total)', default: 0 },
  { name: 'pidfd-socket', type: 'string', desc: 'path to an AF_UNIX socket which will receive a file descriptor referencing the init process (runc 1.2)' },
];

/** The CRIU flags checkpoint and restore share (same name, meaning and help in runc), in
 *  runc's help order: slices place them where runc lists them. */
const criuFlags: FlagDef[] = [
  { name: 'work-path', type: 'string', desc: 'path for saving work files and logs' },
  { name: 'tcp-established', type: 'boolean', desc: 'allow open tcp connections' },
  { name: 'ext-unix-sk', type: 'boolean', desc: 'allow external unix sockets' },
  { name: 'shell-job', type: 'boolean', desc: 'allow shell jobs' },
  { name: 'file-locks', type: 'boolean', desc: 'handle file locks, for safety' },
  { name: 'manage-cgroups-mode', type: 'string', desc: "cgroups mode: 'soft' (default), 'full' and 'strict'" },
  { name: 'empty-ns', type: 'array', desc: "create a namespace, but don't restore its properties" },
  { name: 'auto-dedup', type: 'boolean', desc: 'enable auto deduplication of memory images' },
];

export const COMMANDS: CommandDef[] = [
  { name: 'create', load: async () => (await import('./create')).create, args: ID, desc: 'create a container', min: 1, max: 1, flags: createFlags },
  {
    name: 'run',
    load: async () => (await import('./run')).run,
    args: ID,
    desc: 'create and run a container',
    min: 1,
    max: 1,
    flags: [
      ...createFlags,
      { name: 'detach', alias: 'd', type: 'boolean', desc: 'detach from the container\'s process' },
      { name: 'keep', type: 'boolean', desc: 'do not delete the container after it exits' },
      { name: 'no-subreaper', type: 'boolean', desc: 'disable the use of the subreaper used to reap reparented processes' },
    ],
  },
  { name: 'start', load: async () => (await import('./start')).start, args: ID, desc: 'executes the user defined process in a created container', min: 1, max: 1, flags: [] },
  { name: 'state', load: async () => (await import('./state')).state, args: ID, desc: 'output the state of a container', min: 1, max: 1, flags: [] },
  {
    name: 'kill',
    load: async () => (await import('./kill')).kill,
    args: `${ID} [signal]`,
    desc: "kill sends the specified signal (default: SIGTERM) to the container's init process",
    min: 1,
    max: 2,
    flags: [{ name: 'all', alias: 'a', type: 'boolean', desc: 'send the specified signal to all processes inside the container' }],
  },
  {
    name: 'delete',
    load: async () => (await import('./delete')).del,
    args: ID,
    desc: 'delete any resources held by the container often used with detached container',
    min: 1,
    max: 1,
    flags: [{ name: 'force', alias: 'f', type: 'boolean', desc: 'forcibly deletes the container if it is still running (uses SIGKILL)' }],
  },
  {
    name: 'list',
    load: async () => (await import('./list')).list,
    args: '',
    desc: 'lists containers started by tsrun with the given root',
    min: 0,
    max: 0,
    flags: [
      { name: 'format', alias: 'f', type: 'string', desc: 'select one of: table or json', default: 'table', choices: ['table', 'json'] },
      { name: 'quiet', alias: 'q', type: 'boolean', desc: 'display only container IDs' },
    ],
  },
  { name: 'pause', load: async () => (await import('./pause')).pause, args: ID, desc: 'pause suspends all processes inside the container', min: 1, max: 1, flags: [] },
  { name: 'resume', load: async () => (await import('./pause')).resume, args: ID, desc: 'resumes all processes that have been previously paused', min: 1, max: 1, flags: [] },
  {
    name: 'exec',
    load: async () => (await import('./exec')).exec,
    args: `${ID} <command> [command options]`,
    desc: 'execute new process inside the container',
    min: 1,
    max: Infinity,
    haltAtArgs: true,
    flags: [
      { name: 'console-socket', type: 'string', desc: "path to an AF_UNIX socket which will receive a file descriptor referencing the master end of the console's pseudoterminal" },
      { name: 'cwd', type: 'string', desc: 'current working directory in the container' },
      { name: 'env', alias: 'e', type: 'array', desc: 'set environment variables' },
      { name: 'tty', alias: 't', type: 'boolean', desc: 'allocate a pseudo-TTY' },
      { name: 'user', alias: 'u', type: 'string', desc: 'UID (format: <uid>[:<gid>])' },
      { name: 'additional-gids', alias: 'g', type: 'array', desc: 'additional gids' },
      { name: 'process', alias: 'p', type: 'string', desc: 'path to the process.json' },
      { name: 'detach', alias: 'd', type: 'boolean', desc: 'detach from the container\'s process' },
      { name: 'pid-file', type: 'string', desc: 'specify the file to write the process id to' },
      { name: 'process-label', type: 'string', desc: 'set the asm process label for the process commonly used with selinux' },
      { name: 'apparmor', type: 'string', desc: 'set the apparmor profile for the process' },
      { name: 'no-new-privs', type: 'boolean', desc: 'set the no new privileges value for the process' },
      { name: 'cap', alias: 'c', type: 'array', desc: 'add a capability to the bounding set for the process' },
      { name: 'preserve-fds', type: 'number', desc: 'pass N additional file descriptors to the container (stdio + $LISTEN_FDS + N in total)', default: 0 },
      { name: 'ignore-paused', type: 'boolean', desc: 'allow exec in a paused container (refused by tsrun with a clear error: the process would freeze before it starts)' },
      { name: 'pidfd-socket', type: 'string', desc: 'path to an AF_UNIX socket which will receive a file descriptor referencing the exec process (runc 1.2)' },
      { name: 'cgroup', type: 'array', desc: 'run the process in an (existing) sub-cgroup(s). Format is [<controller>:]<cgroup>.' },
    ],
  },
  {
    name: 'spec',
    load: async () => (await import('./spec')).spec,
    args: '',
    desc: 'create a new specification file',
    min: 0,
    max: 0,
    flags: [
      { name: 'bundle', alias: 'b', type: 'string', desc: 'path to the root of the bundle directory', default: '' },
      { name: 'rootless', type: 'boolean', desc: 'generate a configuration for a rootless container' },
    ],
  },
  { name: 'features', load: async () => (await import('./features')).features, args: '', desc: 'show the enabled features', min: 0, max: 0, flags: [] },
  {
    name: 'update',
    load: async () => (await import('./update')).update,
    args: ID,
    desc: 'update container resource constraints',
    min: 1,
    max: 1,
    // Values are strings, parsed as runc parses them (sizes like 64m, -1 for unlimited).
    flags: [
      { name: 'resources', alias: 'r', type: 'string', desc: "path to the file containing the resources to update or '-' to read from the standard input (a linux.resources document; 0 or omitted = unchanged; all other options are then ignored)" },
      { name: 'blkio-weight', type: 'string', desc: 'Specifies per cgroup weight, range is from 10 to 1000' },
      { name: 'cpu-period', type: 'string', desc: 'CPU CFS period to be used for hardcapping (in usecs). 0 to use system default' },
      { name: 'cpu-quota', type: 'string', desc: 'CPU CFS hardcap limit (in usecs). Allowed cpu time in a given period' },
      { name: 'cpu-share', type: 'string', desc: 'CPU shares (relative weight vs. other containers)' },
      { name: 'cpu-rt-period', type: 'string', desc: 'CPU realtime period to be used for hardcapping (in usecs). 0 to use system default' },
      { name: 'cpu-rt-runtime', type: 'string', desc: 'CPU realtime hardcap limit (in usecs). Allowed cpu time in a given period' },
      { name: 'cpuset-cpus', type: 'string', desc: 'CPU(s) to use' },
      { name: 'cpuset-mems', type: 'string', desc: 'Memory node(s) to use' },
      { name: 'kernel-memory', type: 'string', desc: '(obsolete: ignored with a warning, as runc 1.1 does)', hidden: true },
      { name: 'kernel-memory-tcp', type: 'string', desc: '(obsolete: ignored with a warning, as runc 1.1 does)', hidden: true },
      { name: 'memory', type: 'string', desc: 'Memory limit (in bytes)' },
      { name: 'memory-reservation', type: 'string', desc: 'Memory reservation or soft_limit (in bytes)' },
      { name: 'memory-swap', type: 'string', desc: "Total memory usage (memory + swap); set '-1' to enable unlimited swap" },
      { name: 'pids-limit', type: 'string', desc: 'Maximum number of pids allowed in the container (-1: unlimited)' },
      { name: 'l3-cache-schema', type: 'string', desc: 'The string of Intel RDT/CAT L3 cache schema' },
      { name: 'mem-bw-schema', type: 'string', desc: 'The string of Intel RDT/MBA memory bandwidth schema' },
    ],
  },
  {
    name: 'checkpoint',
    load: async () => (await import('./checkpoint')).checkpoint,
    args: ID,
    desc: 'checkpoint a running container (CRIU; refused with criu check\'s complaint where CRIU cannot work)',
    min: 1,
    max: 1,
    flags: [
      { name: 'image-path', type: 'string', desc: 'path for saving criu image files' },
      criuFlags[0],
      { name: 'parent-path', type: 'string', desc: 'path for previous criu image files in pre-dump' },
      { name: 'leave-running', type: 'boolean', desc: 'leave the process running after checkpointing' },
      ...criuFlags.slice(1, 4),
      { name: 'lazy-pages', type: 'boolean', desc: 'use userfaultfd to lazily restore memory pages' },
      { name: 'status-fd', type: 'string', desc: 'criu writes \\0 to this FD once lazy-pages is ready (default: -1)' },
      { name: 'page-server', type: 'string', desc: 'ADDRESS:PORT of the page server' },
      criuFlags[4],
      { name: 'pre-dump', type: 'boolean', desc: "dump container's memory information only, leave the container running after this" },
      ...criuFlags.slice(5),
    ],
  },
  {
    name: 'restore',
    load: async () => (await import('./checkpoint')).restore,
    args: ID,
    desc: 'restore a container from a previous checkpoint (CRIU; refused with criu check\'s complaint where CRIU cannot work)',
    min: 1,
    max: 1,
    flags: [
      { name: 'console-socket', type: 'string', desc: "path to an AF_UNIX socket which will receive a file descriptor referencing the master end of the console's pseudoterminal" },
      { name: 'image-path', type: 'string', desc: 'path to criu image files for restoring' },
      ...criuFlags.slice(0, 6),
      { name: 'bundle', alias: 'b', type: 'string', desc: 'path to the root of the bundle directory', default: '' },
      { name: 'detach', alias: 'd', type: 'boolean', desc: "detach from the container's process" },
      { name: 'pid-file', type: 'string', desc: 'specify the file to write the process id to' },
      { name: 'no-subreaper', type: 'boolean', desc: 'disable the use of the subreaper used to reap reparented processes (tsrun never uses one: criu restores the init as its child)' },
      { name: 'no-pivot', type: 'boolean', desc: 'do not use pivot root to jail process inside rootfs (refused: criu always pivots)' },
      ...criuFlags.slice(6),
      { name: 'lazy-pages', type: 'boolean', desc: 'use userfaultfd to lazily restore memory pages' },
      { name: 'lsm-profile', type: 'string', desc: 'Specify an LSM profile to be used during restore in the form of TYPE:NAME' },
      { name: 'lsm-mount-context', type: 'string', desc: 'Specify an LSM mount context to be used during restore' },
    ],
  },
  {
    name: 'events',
    load: async () => (await import('./events')).events,
    args: ID,
    desc: 'display container events such as OOM notifications, cpu, memory, and IO usage statistics',
    min: 1,
    max: 1,
    flags: [
      { name: 'interval', type: 'string', desc: 'set the stats collection interval (a duration: 5s, 500ms, 1m)', default: '5s' },
      { name: 'stats', type: 'boolean', desc: "display the container's stats then exit" },
    ],
  },
  {
    name: 'ps',
    load: async () => (await import('./ps')).ps,
    args: `${ID} [ps options]`,
    desc: 'ps displays the processes running inside a container',
    min: 1,
    max: Infinity,
    // Everything after the id goes to ps(1), as runc passes it (`tsrun ps ID -o pid,comm`).
    haltAtArgs: true,
    flags: [{ name: 'format', alias: 'f', type: 'string', desc: 'select one of: table or json', default: 'table', choices: ['table', 'json'] }],
  },
];

export type { FlagValue, Parsed } from './parsed';

export function findCommand(name: string): CommandDef | undefined {
  return COMMANDS.find((c) => c.name === name);
}

/** Defaults of a flag list (booleans false, arrays empty), keyed by long name. */
export function defaults(flags: FlagDef[]): Record<string, FlagValue> {
  const out: Record<string, FlagValue> = {};
  for (const f of flags) {
    out[f.name] = f.default ?? (f.type === 'boolean' ? false : f.type === 'array' ? [] : undefined);
  }
  return out;
}

/** "requires exactly 1 argument(s)" and friends, as runc words them. */
export function argCountError(c: CommandDef, n: number): string | undefined {
  if (n >= c.min && n <= c.max) return undefined;
  if (c.min === c.max) return `"${c.name}" requires exactly ${c.min} argument(s)`;
  if (n < c.min) return `"${c.name}" requires a minimum of ${c.min} argument(s)`;
  return `"${c.name}" requires a maximum of ${c.max} argument(s)`;
}
