// tsrun's command line: parse (fast path, else yargs), set up the log, run one command,
// turn its result or error into an exit code. Each command's module is required only
// when that command runs, so `state` or `kill` never load yargs, ajv or koffi.
import type { GlobalOptions } from '../runtime/options';
import { TsrunError } from '../common/errors';
import * as log from './log';
import { COMMANDS, type Parsed } from './commands';
import { fastParse, goStyleFlags } from './fastparse';
import { write } from './output';
import { mark } from '../common/timing';

export type { Handler } from './commands';


/** Parse argv (without node and script), or say why not: the code and what to print. */
export async function parse(given: readonly string[]): Promise<{ parsed: Parsed } | { exit: number; stdout?: string; error?: string }> {
  const argv = goStyleFlags(given);
  const fast = fastParse(argv);
  if (fast) return { parsed: fast };
  const { versionText } = await import('../version');
  // Callers probe `runc --version` (dockerd at start-up, containerd's info): no yargs for it.
  if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-v')) return { exit: 0, stdout: `${versionText()}\n` };
  const { parseWithYargs } = await import('./yargs-cli');
  return parseWithYargs(argv, versionText);
}

export function globalOptions(p: Parsed): GlobalOptions {
  const gl = p.global;
  const rootless = gl.rootless === 'auto' || gl.rootless === undefined ? process.geteuid?.() !== 0 : gl.rootless === 'true';
  return {
    // runc's default for a non-root user: its own runtime dir (/run is root's).
    root: String(gl.root ?? (process.geteuid?.() !== 0 && process.env.XDG_RUNTIME_DIR ? `${process.env.XDG_RUNTIME_DIR}/tsrun` : '/run/tsrun')),
    systemdCgroup: !!gl['systemd-cgroup'],
    rootless,
    debug: !!gl.debug,
    log: gl.log === undefined ? undefined : String(gl.log),
    logFormat: gl['log-format'] === 'json' ? 'json' : 'text',
    logger: { warn: log.logWarn, error: log.logError, debug: log.logDebug },
  };
}

/** Run tsrun with argv; resolves to the process exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const r = await parse(argv);
  if (!('parsed' in r)) {
    if (r.stdout) write(1, r.stdout);
    if (r.error) {
      // Usage errors still honour --log/--log-format when they were given sensibly.
      configureFromArgv(argv);
      reportError(r.error);
      write(2, `${usageHint(argv)}\n`);
    }
    return r.exit;
  }
  const g = globalOptions(r.parsed);
  log.configureLog({ file: g.log, format: g.logFormat, debug: g.debug });
  try {
    mark('parsed');
    const handler = await COMMANDS.find((c) => c.name === r.parsed.command)!.load();
    mark(`${r.parsed.command} module loaded`);
    return await handler(g, r.parsed);
  } catch (err) {
    const known = err instanceof TsrunError;
    const msg = err instanceof Error ? err.message : String(err);
    reportError(msg);
    if (!known && g.debug && err instanceof Error && err.stack) write(2, err.stack + '\n');
    return known ? err.exitCode : 1;
  }
}

/** The error goes to the log; when the log is a file, stderr gets it too (as runc does). */
function reportError(msg: string): void {
  log.logError(msg);
  if (log.logsToFile()) write(2, `tsrun: ${msg}\n`);
}

/** Best effort --log/--log-format from a command line that did not parse. */
function configureFromArgv(argv: readonly string[]): void {
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
  const cmd = argv.find((a) => COMMANDS.some((c) => c.name === a));
  return cmd ? `Run 'tsrun ${cmd} --help' for usage.` : "Run 'tsrun --help' for usage.";
}
