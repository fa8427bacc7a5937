import "./quiet-sdk";
import { createInterface } from "node:readline";
import { runCommand } from "./commands/command";
import type { Io } from "./simulate/http";
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
await runCommand("simulate", USAGE, (argv) =>
  simulate(argv, { out: (line) => console.log(line), ask }),
);
process.stdin.destroy();
