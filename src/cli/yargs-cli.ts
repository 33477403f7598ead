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
  const y = yargs([...argv])
    .scriptName('tsrun')
    .usage(`$0 [global options] command [command options] [arguments...]\n\n${ABOUT}`)
    .parserConfiguration({
      'boolean-negation': false, // --no-pivot is a flag of its own, not "pivot=false"
      'duplicate-arguments-array': false, // a repeated flag: the last one wins, as in runc
      'camel-case-expansion': false,
      'strip-aliased': true,
      'parse-positional-numbers': false, // container id "007" stays "007"
    })
    .options(optionsOf(GLOBAL_FLAGS))
    .version(false)
    .option('version', { alias: 'v', type: 'boolean', describe: 'print the version' })
    .help('help')
    .alias('help', 'h')
    .strict()
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
        sub.usage(`$0 ${c.name}${c.flags.length ? ' [command options]' : ''}${c.args ? ' ' + c.args : ''}`).options(optionsOf(c.flags));
        if (c.haltAtArgs) sub.parserConfiguration({ 'halt-at-non-option': true });
        return sub;
      },
      (a: Record<string, unknown>) => {
        parsed = toParsed(c, a);
        usageError ??= argCountError(c, parsed.args.length);
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
    if (f.choices) o.choices = [...f.choices];
    if (f.default !== undefined) o.default = f.default;
    if (f.type === 'array') {
      o.type = 'string';
      o.array = true;
    } else o.type = f.type;
    out[f.name] = o;
  }
  return out;
}

function toParsed(c: CommandDef, a: Record<string, unknown>): Parsed {
  const pick = (flags: FlagDef[]) => {
    const out: Record<string, FlagValue> = {};
    for (const f of flags) {
      let v = a[f.name] as FlagValue;
      if (f.type === 'boolean') v = !!v;
      else if (f.type === 'array') v = v === undefined ? [] : (Array.isArray(v) ? v : [v]).map(String);
      else if (f.type === 'string' && v !== undefined) v = String(v);
      out[f.name] = v;
    }
    return out;
  };
  const rest = (a._ as (string | number)[]).slice(1).map(String);
  return { command: c.name, global: pick(GLOBAL_FLAGS), flags: pick(c.flags), args: rest };
}
