import { commanderExitCode, type ErrorCode } from './errors';
import { asVadError, type VadError } from './vad-error';

/**
 * The end of every CLI's main(): run the command; anything it throws becomes one readable line on
 * stderr and the exit code of its error code (a commander usage error has printed itself already).
 */
export interface RunCliOptions {
  /** The code of an error that is not a VadError (default `internal`). */
  readonly fallback?: ErrorCode;
  /** The line's form: `error[<code>]: <message>` by default, `<name>: <code>: <message>` with a name. */
  readonly name?: string;
  readonly stderr?: { write(text: string): unknown };
}

export function cliErrorLine(err: VadError, name?: string): string {
  return name ? `${name}: ${err.code}: ${err.message}` : `error[${err.code}]: ${err.message}`;
}

export async function runCli(command: () => Promise<unknown>, options: RunCliOptions = {}): Promise<number> {
  try {
    await command();
    return 0;
  } catch (e) {
    const usage = commanderExitCode(e);
    if (usage !== undefined) return usage;
    const err = asVadError(e, options.fallback);
    (options.stderr ?? process.stderr).write(cliErrorLine(err, options.name) + '\n');
    return err.exitCode;
  }
}
