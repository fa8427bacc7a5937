/**
 * How quickly the `npm run` tools start: each command's `--help` (it loads the whole script and
 * prints its usage) against a bare `npm run` of `node -e 0`, the floor any npm script pays, run
 * alternately in the same rounds. The goal: at most 1.5× the floor.
 *
 *   npx tsx bench/command-start.ts [--rounds N]   (this section alone; `npm run bench` runs it)
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
export const COMMAND_START_GOAL = 1.5;
export const COMMANDS = [
  "records",
  "dlq",
  "simulate",
  "suppressions",
  "events",
  "urls",
  "smoke",
  "airtime:pending",
] as const;

export interface CommandStart {
  command: string;
  /** Median wall time of `npm run <command> -- --help`, ms. */
  ms: number;
  /** Median wall time of `npm run` of `node -e 0` in the same rounds, ms. */
  floorMs: number;
  ratio: number;
  /**
   * Fastest start against the fastest floor of the same rounds: what the command costs when
   * nothing else competes for the cores, the steadiest figure on a busy machine.
   */
  bestRatio: number;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? Number.NaN;
};

const timed = (args: string[], cwd: string) => {
  const start = performance.now();
  spawnSync("npm", args, { cwd, stdio: "ignore", env: { ...process.env, NODE_OPTIONS: "" } });
  return performance.now() - start;
};

/** Each command's start against the floor, alternately, `rounds` times (after one warm-up). */
export function commandStarts(commands: readonly string[] = COMMANDS, rounds = 7): CommandStart[] {
  const floor = mkdtempSync(join(tmpdir(), "at-floor-"));
  try {
    writeFileSync(
      join(floor, "package.json"),
      JSON.stringify({ name: "floor", private: true, scripts: { floor: "node -e 0" } }),
    );
    const floorRun = () => timed(["run", "-s", "floor"], floor);
    const run = (command: string) => () => timed(["run", "-s", command, "--", "--help"], ROOT);
    // Warm-up: the first call of each builds its bundle if the sources changed.
    floorRun();
    for (const command of commands) run(command)();
    return commands.map((command) => {
      const ours: number[] = [];
      const floors: number[] = [];
      for (let i = 0; i < rounds; i++) {
        floors.push(floorRun());
        ours.push(run(command)());
      }
      const ms = median(ours);
      const floorMs = median(floors);
      const bestRatio = Math.min(...ours) / Math.min(...floors);
      return { command, ms, floorMs, ratio: ms / floorMs, bestRatio };
    });
  } finally {
    rmSync(floor, { recursive: true, force: true });
  }
}

export function printCommandStarts(rows: CommandStart[]) {
  console.log(
    `\nCommand start (npm run X -- --help against npm run of node -e 0; goal ≤ ${COMMAND_START_GOAL}×)\n`,
  );
  for (const row of rows) {
    console.log(
      `  ${row.command.padEnd(18)}${row.ms.toFixed(0).padStart(6)} ms vs ${row.floorMs.toFixed(0).padStart(5)} ms  ${row.ratio.toFixed(2)}× (best ${row.bestRatio.toFixed(2)}×)${row.ratio <= COMMAND_START_GOAL ? "" : "  (over the goal)"}`,
    );
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const at = process.argv.indexOf("--rounds");
  printCommandStarts(commandStarts(COMMANDS, at > 0 ? Number(process.argv[at + 1]) : 7));
}
