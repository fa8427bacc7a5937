import "./quiet-sdk";
import { createInterface } from "node:readline";
import { type Io, UsageError } from "./simulate/http";
import { simulate, USAGE } from "./simulate/main";

/** Answers typed by the user (or piped in), one per line; undefined once input ends. */
function stdinAsker(): NonNullable<Io["ask"]> {
  const lines: string[] = [];
  const waiting: ((line: string | undefined) => void)[] = [];
  let closed = false;
  let rl: ReturnType<typeof createInterface> | undefined;
  const open = () => {
    rl = createInterface({
      input: process.stdin,
      output: process.stdout,
      terminal: process.stdin.isTTY,
    });
    rl.on("line", (line) => {
      const next = waiting.shift();
      if (next) next(line.trim());
      else lines.push(line.trim());
    });
    rl.on("close", () => {
      closed = true;
      for (const next of waiting.splice(0)) next(undefined);
    });
  };
  return async (prompt) => {
    if (!rl) open();
    if (lines.length > 0) return lines.shift();
    if (closed) return undefined;
    process.stdout.write(prompt);
    return new Promise((resolve) => waiting.push(resolve));
  };
}

const ask = stdinAsker();
try {
  process.exitCode = await simulate(process.argv.slice(2), {
    out: (line) => console.log(line),
    ask,
  });
} catch (error) {
  if (!(error instanceof UsageError)) throw error;
  console.error(`${error.message}\n\n${USAGE}`);
  process.exitCode = 2;
}
process.stdin.destroy();
