import { type ParseArgsConfig, parseArgs } from "node:util";

/** A mistake in how a command was called: reported with the usage text and exit code 2. */
export class UsageError extends Error {}

type Options = NonNullable<ParseArgsConfig["options"]>;

/** Options and positionals of a command, any parsing problem turned into a UsageError. */
export function parseCommand<const O extends Options>(argv: string[], options: O) {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/**
 * The entry of a command script: runs it on the process's arguments and sets the exit code;
 * a usage mistake prints the message and the usage (exit 2), any other failure one line (exit 1).
 */
export async function runCommand(
  name: string,
  usage: string,
  run: (argv: string[]) => Promise<number>,
): Promise<void> {
  try {
    process.exitCode = await run(process.argv.slice(2));
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`${error.message}\n\n${usage}`);
      process.exitCode = 2;
    } else {
      console.error(`${name}: ${error instanceof Error ? error.message : String(error)}`);
      process.exitCode = 1;
    }
  }
}
