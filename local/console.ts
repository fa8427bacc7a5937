import { relative } from "node:path";
import { fileURLToPath } from "node:url";
import type { ReloadOutcome } from "./reload";

/**
 * What `npm start` prints, one readable line per event. Pure functions of what happened, so
 * that every tool that shows the stack's activity prints it the same way.
 */

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const here = (path: string) => relative(ROOT, path.replace(/^file:\/\//, "")) || ".";

/** `[reload] functions/engines/ussd/menu.ts: serving the new code (640 ms)`, or why not. */
export function reloadLine(outcome: ReloadOutcome): string {
  const files = outcome.files.map(here);
  const what =
    files.length > 3
      ? `${files.slice(0, 3).join(", ")} and ${files.length - 3} more`
      : files.join(", ");
  return outcome.ok
    ? `[reload] ${what}: serving the new code (${outcome.ms} ms)`
    : `[reload] ${what}: ${loadFailure(outcome.error)}; still serving the last good code`;
}

/**
 * Why code failed to load, in one line: esbuild's `file:line:col: message` for a syntax
 * error, else the error's first line and the first frame under functions/.
 */
export function loadFailure(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof Error && error.name === "CodeError") return message;
  const stack = error instanceof Error ? (error.stack ?? "") : "";
  const syntax = /(\S+?):(\d+):(\d+): ERROR: (.*)/.exec(`${message}\n${stack}`);
  if (syntax) return `${here(syntax[1] ?? "")}:${syntax[2]}:${syntax[3]}: ${syntax[4]}`;
  const first = message.split("\n")[0] ?? "";
  const frame = /((?:file:\/\/)?\/\S*?\/functions\/[^\s):]+:\d+:\d+)/.exec(stack)?.[1];
  return frame ? `${first} (at ${here(frame)})` : first;
}
