import { type ChildProcess, execFile, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { LocalState } from "../../scripts/local-state";

export const ROOT = join(import.meta.dirname, "..", "..");
/** Node with tsx's loader, as the npm scripts run: one process, which a signal reaches itself. */
const NODE_TSX = [
  "--import",
  pathToFileURL(join(ROOT, "node_modules", "tsx", "dist", "loader.mjs")).href,
];

/** Commands run as a user runs them, in a scratch checkout folder (their own `.local/`). */
export interface UserStack {
  cwd: string;
  state: Required<Pick<LocalState, "url" | "callbackKey" | "inspectorUrl">> & LocalState;
  /** Everything `npm start` printed so far. */
  output(): string;
  /** Waits until `npm start` has printed a line matching `pattern`. */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** `npm run <script> -- args`: runs scripts/<file>.ts as a child process. */
  run(
    script: string,
    args: string[],
    input?: string,
  ): Promise<{ code: number; stdout: string; stderr: string }>;
  /** Starts a long-running command (e.g. `records --follow`). */
  spawn(script: string, args: string[]): ChildProcess;
  stop(): Promise<number | null>;
}

/**
 * `npm start` (scripts/start.ts) as a child process on free ports with a short visibility
 * timeout, in a temporary folder so that it never touches the checkout's own `.local/`.
 */
export async function startUserStack(
  options: { args?: string[]; env?: Record<string, string> } = {},
): Promise<UserStack> {
  const cwd = mkdtempSync(join(tmpdir(), "at-callbacks-e2e-"));
  const child = spawn(
    process.execPath,
    [
      ...NODE_TSX,
      join(ROOT, "scripts", "start.ts"),
      "--port",
      "0",
      "--visibility-timeout",
      "1",
      ...(options.args ?? []),
    ],
    {
      cwd,
      env: {
        ...process.env,
        POWERTOOLS_LOG_LEVEL: "WARN",
        PORT: "",
        CALLBACK_KEY: "",
        ...options.env,
      },
      stdio: ["ignore", "pipe", "pipe"],
      // Its own process group, so that Ctrl-C can be sent as a terminal sends it (see ctrlC).
      detached: true,
    },
  );
  let output = "";
  child.stdout?.on("data", (chunk) => {
    output += chunk;
  });
  child.stderr?.on("data", (chunk) => {
    output += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  const stateFile = join(cwd, ".local", "stack.json");
  const waitForOutput = async (pattern: RegExp, timeoutMs = 30_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const match = pattern.exec(output);
      if (match) return match[0];
      if (child.exitCode !== null)
        throw new Error(`npm start exited ${child.exitCode}:\n${output}`);
      if (Date.now() > deadline) throw new Error(`npm start never printed ${pattern}:\n${output}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  try {
    await waitForOutput(/Ctrl-C stops everything/, 60_000);
    if (!existsSync(stateFile)) throw new Error(`npm start left no ${stateFile}:\n${output}`);
  } catch (error) {
    // Never left running: the whole group, whatever state it is in.
    if (child.pid) process.kill(-child.pid, "SIGKILL");
    await exited;
    rmSync(cwd, { recursive: true, force: true });
    throw error;
  }
  const state = JSON.parse(readFileSync(stateFile, "utf8")) as UserStack["state"];
  const env = { ...process.env, CALLBACK_KEY: "" };
  return {
    cwd,
    state,
    output: () => output,
    waitForOutput,
    run: (script, args, input) =>
      new Promise((resolve) => {
        const child = execFile(
          process.execPath,
          [...NODE_TSX, join(ROOT, "scripts", `${script}.ts`), ...args],
          { cwd, env },
          (error, stdout, stderr) => {
            resolve({
              code: error ? Number((error as { code?: number }).code ?? 1) : 0,
              stdout,
              stderr,
            });
          },
        );
        // What the user types; without it, input is closed at once (nobody at the keyboard).
        child.stdin?.end(input ?? "");
      }),
    spawn: (script, args) =>
      spawn(process.execPath, [...NODE_TSX, join(ROOT, "scripts", `${script}.ts`), ...args], {
        cwd,
        env,
        stdio: ["ignore", "pipe", "pipe"],
        detached: true,
      }),
    async stop() {
      ctrlC(child);
      const code = await exited;
      rmSync(cwd, { recursive: true, force: true });
      return code;
    },
  };
}

/**
 * Ctrl-C as a terminal delivers it: SIGINT to the whole process group. (tsx's CLI, which the
 * npm scripts no longer use, ran a script in a second process, relayed the signal and, on a busy
 * machine, killed the script if it had not acknowledged within 60 ms.)
 */
export function ctrlC(child: ChildProcess) {
  if (child.pid) process.kill(-child.pid, "SIGINT");
}
