import { type ParseArgsConfig, parseArgs } from "node:util";

type Options = NonNullable<ParseArgsConfig["options"]>;

/**
 * The shared shape of this project's scripts: parse the options, and turn any usage problem
 * into a one-line message, the usage text and exit code 2 rather than a stack trace.
 */
export function cli<const O extends Options>(usage: string, options: O) {
  const fail = (message: string): never => {
    console.error(`${message}\n\n${usage}`);
    process.exit(2);
  };
  /** Runs `work`, reporting an Error it throws as a usage problem. */
  const orFail = <R>(work: () => R): R => {
    try {
      return work();
    } catch (error) {
      return fail(error instanceof Error ? error.message : String(error));
    }
  };
  const { values } = orFail(() => parseArgs({ options }));
  return { values, fail, orFail };
}
