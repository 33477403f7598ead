// tsrun's command line: parse (fast path, else yargs), set up the log, run one command,
// turn its result or error into an exit code. Each command's module is required only
// when that command runs, so `state` or `kill` never load yargs, ajv or koffi.
import type { GlobalOptions } from '../runtime/options';
import type { Parsed } from './commands';
import { fastParse } from './fastparse';
import { write } from './output';

export type Handler = (g: GlobalOptions, p: Parsed) => Promise<number>;

// Literal require() calls so esbuild bundles each module, initialised on first use only.
const HANDLERS: Record<string, () => Handler> = {
  create: () => (require('./create') as typeof import('./create')).create,
  run: () => (require('./run') as typeof import('./run')).run,
  start: () => (require('./start') as typeof import('./start')).start,
  state: () => (require('./state') as typeof import('./state')).state,
  kill: () => (require('./kill') as typeof import('./kill')).kill,
  delete: () => (require('./delete') as typeof import('./delete')).del,
  list: () => (require('./list') as typeof import('./list')).list,
  pause: () => (require('./pause') as typeof import('./pause')).pause,
  resume: () => (require('./pause') as typeof import('./pause')).resume,
  exec: () => (require('./exec') as typeof import('./exec')).exec,
  spec: () => (require('./spec') as typeof import('./spec')).spec,
  features: () => (require('./features') as typeof import('./features')).features,
};

/** Parse argv (without node and script), or say why not: the code and what to print. */
export function parse(argv: readonly string[]): { parsed: Parsed } | { exit: number; stdout?: string; error?: string } {
  const fast = fastParse(argv);
  if (fast) return { parsed: fast };
  const { parseWithYargs } = require('./yargs-cli') as typeof import('./yargs-cli');
  const { versionText } = require('../version') as typeof import('../version');
  return parseWithYargs(argv, versionText);
}

export function globalOptions(p: Parsed): GlobalOptions {
  const gl = p.global;
  const rootless = gl.rootless === 'auto' || gl.rootless === undefined ? process.geteuid?.() !== 0 : gl.rootless === 'true';
  return {
    root: String(gl.root ?? '/run/tsrun'),
    systemdCgroup: !!gl['systemd-cgroup'],
    rootless,
    debug: !!gl.debug,
    log: gl.log === undefined ? undefined : String(gl.log),
    logFormat: gl['log-format'] === 'json' ? 'json' : 'text',
  };
}

/** Run tsrun with argv; resolves to the process exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const log = require('../runtime/log') as typeof import('../runtime/log');
  const r = parse(argv);
  if (!('parsed' in r)) {
    if (r.stdout) write(1, r.stdout);
    if (r.error) {
      // Usage errors still honour --log/--log-format when they were given sensibly.
      configureFromArgv(argv, log);
      reportError(r.error, log);
      write(2, `${usageHint(argv)}\n`);
    }
    return r.exit;
  }
  const g = globalOptions(r.parsed);
  log.configureLog({ file: g.log, format: g.logFormat, debug: g.debug });
  try {
    return await HANDLERS[r.parsed.command]()(g, r.parsed);
  } catch (err) {
    const { TsrunError } = require('../runtime/errors') as typeof import('../runtime/errors');
    const known = err instanceof TsrunError;
    const msg = err instanceof Error ? err.message : String(err);
    reportError(msg, log);
    if (!known && g.debug && err instanceof Error && err.stack) write(2, err.stack + '\n');
    return known ? err.exitCode : 1;
  }
}

/** The error goes to the log; when the log is a file, stderr gets it too (as runc does). */
function reportError(msg: string, log: typeof import('../runtime/log')): void {
  log.logError(msg);
  if (log.logsToFile()) write(2, `tsrun: ${msg}\n`);
}

/** Best effort --log/--log-format from a command line that did not parse. */
function configureFromArgv(argv: readonly string[], log: typeof import('../runtime/log')): void {
  const val = (name: string): string | undefined => {
    for (let i = 0; i < argv.length; i++) {
      if (argv[i] === `--${name}`) return argv[i + 1];
      if (argv[i].startsWith(`--${name}=`)) return argv[i].slice(name.length + 3);
    }
    return undefined;
  };
  const format = val('log-format') === 'json' ? 'json' : 'text';
  log.configureLog({ file: val('log'), format, debug: false });
}

function usageHint(argv: readonly string[]): string {
  const { COMMANDS } = require('./commands') as typeof import('./commands');
  const cmd = argv.find((a) => COMMANDS.some((c) => c.name === a));
  return cmd ? `Run 'tsrun ${cmd} --help' for usage.` : "Run 'tsrun --help' for usage.";
}
