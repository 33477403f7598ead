// The full parser, for what fastparse.ts leaves alone: help, --version, usage errors and
// unusual spellings. Loading yargs costs ~30 ms, so only these paths pay it.
import yargs from 'yargs/yargs';
import type { Argv, Options } from 'yargs';
import { COMMANDS, GLOBAL_FLAGS, argCountError, type CommandDef, type FlagDef, type FlagValue, type Parsed } from './commands';

export type YargsResult =
  | { parsed: Parsed }
  /** Stop here: output to print (help, version) or a usage error, and the exit code. */
  | { exit: number; stdout?: string; error?: string };

const ABOUT = `tsrun is a command line client for running applications packaged according to
the Open Container Initiative (OCI) format, a compatible reimplementation of runc.`;

export function parseWithYargs(argv: readonly string[], versionText: () => string): YargsResult {
  let parsed: Parsed | undefined;
  let usageError: string | undefined;
  argv = shadowedBooleans(endExecFlags(argv));
  const y = yargs([...argv])
    .scriptName('tsrun')
    .usage(`$0 [global options] command [command options] [arguments...]\n\n${ABOUT}`)
    .parserConfiguration({
      'boolean-negation': false, // --no-pivot is a flag of its own, not "pivot=false"
      // A repeated flag gives an array: kept for array flags (exec -e), else the last one wins.
      'camel-case-expansion': false,
      'strip-aliased': true,
      'parse-positional-numbers': false, // container id "007" stays "007"
    })
    .options(optionsOf(GLOBAL_FLAGS))
    .version(false)
    .option('version', { alias: 'v', type: 'boolean', describe: 'print the version' })
    .help('help')
    .alias('help', 'h')
    .strictOptions()
    .exitProcess(false)
    .wrap(Math.min(100, process.stdout.columns || 100))
    .fail((msg, err) => {
      usageError ??= msg || err?.message || 'incorrect usage';
    });
  for (const c of COMMANDS) {
    y.command(
      c.name,
      c.desc,
      (sub: Argv) => {
        sub.usage(`$0 ${c.name}${c.flags.length ? ' [command options]' : ''}${c.args ? ' ' + c.args : ''}`);
        // A command flag named like a global one (spec --rootless) replaces it here.
        return sub.options(optionsOf(c.flags));
      },
      (a: Record<string, unknown>) => {
        parsed = toParsed(c, a);
        usageError ??= badChoice(GLOBAL_FLAGS, parsed.global) ?? badChoice(c.flags, parsed.flags) ?? argCountError(c, parsed.args.length);
      },
    );
  }
  let output = '';
  let version = false;
  y.parse([...argv], {}, (_err: unknown, a: Record<string, unknown>, out: string) => {
    output = out;
    version = !!a.version;
  });
  if (output && !usageError) return { exit: 0, stdout: output.endsWith('\n') ? output : output + '\n' };
  if (version && !usageError) return { exit: 0, stdout: versionText() + '\n' };
  if (usageError) return { exit: 1, error: usageError };
  if (!parsed) return { exit: 1, error: argv.length ? `unknown command "${argv.find((a) => !a.startsWith('-'))}"` : 'no command given (see tsrun --help)' };
  return { parsed };
}

function optionsOf(flags: FlagDef[]): Record<string, Options> {
  const out: Record<string, Options> = {};
  for (const f of flags) {
    const o: Options = { describe: f.desc, hidden: f.hidden };
    if (f.alias) o.alias = f.alias;
    // Choices are checked in badChoice(): yargs would also apply the global --rootless
    // choices to spec's boolean --rootless.
    if (f.choices) o.describe += ` (one of: ${f.choices.join(', ')})`;
    if (f.default !== undefined) o.default = f.default;
    // Arrays are repeated flags (-e A -e B); yargs' greedy arrays would eat the arguments.
    o.type = f.type === 'array' ? 'string' : f.type;
    out[f.name] = o;
  }
  return out;
}

/**
 * exec's command line (and ps's arguments for ps(1)) is everything after the container id,
 * flags included (runc stops parsing there): put a "--" after the id so yargs leaves the
 * rest alone.
 */
function endExecFlags(argv: readonly string[]): readonly string[] {
  let cmd: CommandDef | undefined;
  const takesValue = (a: string) => {
    if (a.includes('=')) return false;
    const all = [...GLOBAL_FLAGS, ...(cmd?.flags ?? [])];
    const f = all.find((x) => (a.startsWith('--') ? x.name === a.slice(2) : x.alias === a.slice(1)));
    return !!f && f.type !== 'boolean';
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') return argv;
    if (a.startsWith('-') && a !== '-') {
      if (takesValue(a)) i++;
      continue;
    }
    if (!cmd) {
      cmd = COMMANDS.find((c) => c.name === a);
      if (!cmd?.haltAtArgs) return argv;
      continue;
    }
    return [...argv.slice(0, i + 1), '--', ...argv.slice(i + 1)];
  }
  return argv;
}

function badChoice(flags: FlagDef[], values: Record<string, FlagValue>): string | undefined {
  for (const f of flags) {
    const v = values[f.name];
    if (f.choices && v !== undefined && !f.choices.includes(String(v))) {
      return `Invalid values:\n  Argument: ${f.name}, Given: ${JSON.stringify(v)}, Choices: ${f.choices.map((c) => JSON.stringify(c)).join(', ')}`;
    }
  }
  return undefined;
}

/**
 * A bare boolean command flag named like a global string flag (spec --rootless vs the global
 * --rootless VALUE) confuses yargs, which knows one option per name: spell it --name=true.
 */
function shadowedBooleans(argv: readonly string[]): readonly string[] {
  const cmdAt = argv.findIndex((a) => COMMANDS.some((c) => c.name === a));
  if (cmdAt < 0) return argv;
  const cmd = COMMANDS.find((c) => c.name === argv[cmdAt])!;
  const names = cmd.flags.filter((f) => f.type === 'boolean' && GLOBAL_FLAGS.some((g) => g.name === f.name)).map((f) => `--${f.name}`);
  if (!names.length) return argv;
  const end = argv.indexOf('--');
  return argv.map((a, i) => (i > cmdAt && (end < 0 || i < end) && names.includes(a) ? `${a}=true` : a));
}

function toParsed(c: CommandDef, a: Record<string, unknown>): Parsed {
  const pick = (flags: FlagDef[], shadowed: FlagDef[] = []) => {
    const out: Record<string, FlagValue> = {};
    for (const f of flags) {
      if (shadowed.some((x) => x.name === f.name)) {
        out[f.name] = f.default ?? (f.type === 'boolean' ? false : undefined);
        continue;
      }
      let v = a[f.name] as FlagValue;
      if (Array.isArray(v) && f.type !== 'array') v = v[v.length - 1];
      // 'true'/'false': a boolean that yargs typed as the same-named global string (spec --rootless).
      if (f.type === 'boolean') v = v === 'true' || v === true;
      else if (f.type === 'array') v = v === undefined ? [] : (Array.isArray(v) ? v : [v]).map(String);
      else if (f.type === 'string' && v !== undefined) v = String(v);
      out[f.name] = v;
    }
    return out;
  };
  const rest = (a._ as (string | number)[]).slice(1).map(String);
  return { command: c.name, global: pick(GLOBAL_FLAGS, c.flags), flags: pick(c.flags), args: rest };
}
