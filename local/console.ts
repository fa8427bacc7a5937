import { relative } from "node:path";
import { parse as parseQuery } from "node:querystring";
import { fileURLToPath } from "node:url";
import { acceptBody } from "../functions/ingest/body";
import { parseCallback } from "../functions/model/callbacks";
import { ROUTES } from "../functions/routes";
import type { ReloadOutcome } from "./reload";
import type { Exchange } from "./stack";

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

/** A Powertools log line: JSON with at least a level and a message. */
export interface LogRecord {
  level: string;
  message: string;
  timestamp?: string;
  [field: string]: unknown;
}

export function parseLogLine(line: string): LogRecord | undefined {
  if (!line.startsWith("{")) return undefined;
  try {
    const value = JSON.parse(line) as Partial<LogRecord>;
    return typeof value.level === "string" && typeof value.message === "string"
      ? (value as LogRecord)
      : undefined;
  } catch {
    return undefined;
  }
}

const clock = (at?: string | number | Date) =>
  (at === undefined ? new Date() : new Date(at)).toISOString().slice(11, 23);
const text = (value: unknown) => (typeof value === "string" && value !== "" ? value : undefined);

/** One callback as answered: its route, AT id, outcome, status and latency. */
export interface CallbackAnswer {
  at: number;
  route: string;
  atId?: string | undefined;
  statusCode: number;
  durationMs: number;
  /** Why it was refused (4xx) or failed (5xx). */
  reason?: string | undefined;
}

/** `10:30:00.125 ← sms-twoway           ATXid_1  200 queued  14 ms` */
export function callbackLine(answer: CallbackAnswer): string {
  const outcome =
    answer.statusCode >= 500 ? "failed" : answer.statusCode >= 400 ? "refused" : "answered";
  const reason = answer.reason ? `  ${answer.reason}` : "";
  return `${clock(answer.at)} ← ${answer.route.padEnd(20)} ${(answer.atId ?? "-").padEnd(24)} ${answer.statusCode} ${outcome}  ${answer.durationMs} ms${reason}`;
}

/** An error as Powertools logs it (`{ name, message, stack? }`), with its stack indented. */
function errorText(error: unknown): string | undefined {
  if (typeof error !== "object" || error === null) return text(error);
  const { name, message, stack } = error as Record<string, unknown>;
  const head = `${text(name) ?? "Error"}: ${text(message) ?? ""}`;
  const frames = text(stack)
    ?.split("\n")
    .filter((l) => l.trim().startsWith("at "))
    .map((l) => `      ${l.trim()}`);
  return frames && frames.length > 0 ? `${head}\n${frames.join("\n")}` : head;
}

/**
 * A worker's or handler's log line, readable: one line per reply sent (or not), per record
 * that failed or was a duplicate, per warning or error (with its stack). `undefined` for what
 * another line already says: the callback answered (callbackLine), the record written.
 */
export function logLine(record: LogRecord): string | undefined {
  const at = clock(record.timestamp);
  const error = errorText(record.error);
  const withError = (line: string) => (error ? `${line}\n      ${error}` : line);
  const id = text(record.atId) ?? text(record.inboundId) ?? "-";
  if (record.message === "callback" && record.level !== "ERROR") return undefined;
  if (record.message === "record") {
    if (record.outcome === "recorded") return undefined;
    const route = text(record.route) ?? "recorder";
    return withError(
      `${at} ✗ ${route.padEnd(20)} ${id.padEnd(24)} ${String(record.outcome ?? "")}${record.receiveCount ? ` (receive ${record.receiveCount})` : ""}`,
    ).replace(" ✗ ", record.outcome === "duplicate" ? " = " : " ✗ ");
  }
  if (record.message === "forward") {
    // One line per delivery attempt to a --forward-to endpoint.
    const status = record.status === undefined ? "" : ` ${String(record.status)}`;
    const why = text(record.error) ?? text(record.reason);
    const next =
      typeof record.retryInSeconds === "number" ? `, retry in ${record.retryInSeconds} s` : "";
    // A refusal's reason is text, already on the line; a crash's error keeps its stack below.
    const line = typeof record.error === "string" ? (l: string) => l : withError;
    return line(
      `${at} ⇢ ${`forward ${text(record.endpoint) ?? "?"}`.padEnd(20)} ${id.padEnd(24)} ${text(record.eventType) ?? ""} ${String(record.outcome ?? "")}${status}${record.attempt ? ` (attempt ${String(record.attempt)})` : ""}${why && record.outcome !== "delivered" ? `: ${why}` : ""}${next}`,
    );
  }
  if (record.message === "reply") {
    const to = text(record.phoneNumber) ? ` to ${record.phoneNumber}` : "";
    const reason = text(record.reason) ? `: ${record.reason}` : "";
    return withError(
      `${at} → ${"reply".padEnd(20)} ${id.padEnd(24)} ${String(record.outcome ?? "")}${to}${reason}`,
    );
  }
  const skip = new Set([
    "level",
    "message",
    "timestamp",
    "service",
    "error",
    "sampling_rate",
    "xray_trace_id",
    "cold_start",
    "function_arn",
    "function_memory_size",
    "function_name",
    "function_request_id",
  ]);
  const fields = Object.entries(record)
    .filter(([k]) => !skip.has(k))
    .map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`)
    .join(" ");
  const level = record.level === "INFO" ? "" : `${record.level} `;
  return withError(`${at} ${level}${record.message}${fields ? ` ${fields}` : ""}`);
}

/**
 * The line announcing a message given up on: its worker logs it once, on the last receive
 * before SQS moves it to the dead-letter queue, with the error of that receive.
 */
export function deadLetterLine(record: LogRecord): string | undefined {
  if (record.outcome !== "dead-lettered") return undefined;
  if (record.message === "forward") {
    const endpoint = text(record.endpoint) ?? "?";
    return `[dead-letter] endpoint ${endpoint} did not take ${text(record.eventType) ?? "an event"} of ${text(record.atId) ?? "?"}: ${text(record.error) ?? "refused"}; it is in the forward-${endpoint} dead-letter queue (npm run dlq -- list --queue forward-${endpoint})`;
  }
  const worker = record.message === "reply" ? "replier" : "recorder";
  const what =
    record.message === "reply"
      ? `the reply to ${text(record.inboundId) ?? "?"}`
      : `${text(record.route) ?? "a callback"} ${text(record.atId) ?? ""}`.trim();
  const poison = typeof record.reason === "string" && record.reason.startsWith("poison");
  const receives = poison
    ? ": it can never be read;"
    : record.receiveCount
      ? ` after ${record.receiveCount} receives:`
      : ":";
  const error = errorText(record.error);
  return `[dead-letter] the ${worker} gave up on ${what}${receives} it is in the ${worker === "replier" ? "replies" : "events"} dead-letter queue (npm run dlq -- list)${error ? `\n      ${error}` : ""}`;
}

/** The AT id of a callback as the route reads it, where its body is readable. */
function atIdOf(exchange: Exchange): string | undefined {
  const route = ROUTES.find((r) => r.name === exchange.route);
  if (!route) return undefined;
  try {
    const parsed = parseCallback(
      route.recordType,
      acceptBody(parseQuery(exchange.body.toString("utf8"))),
    );
    return parsed.ok ? parsed.callback.atId : undefined;
  } catch {
    return undefined;
  }
}

/**
 * What `npm start` prints of the stack's activity: a line per callback answered (`exchange`)
 * and the handlers' and workers' output (`line`), readable, or their raw JSON lines with `json`.
 * A message given up on is announced in either case. Lines below `level` are left out.
 */
export function consoleOutput(options: {
  json: boolean;
  level: string;
  print: (line: string) => void;
}) {
  const quiet = !["TRACE", "DEBUG", "INFO"].includes(options.level.toUpperCase());
  return {
    exchange(exchange: Exchange) {
      if (options.json || (quiet && exchange.statusCode < 500)) return;
      const refused = exchange.statusCode >= 400;
      options.print(
        callbackLine({
          at: exchange.receivedAt,
          route: exchange.route,
          atId: atIdOf(exchange),
          statusCode: exchange.statusCode,
          durationMs: exchange.durationMs,
          reason: refused
            ? (exchange.answerHeaders["x-refusal-reason"] ?? exchange.answer.split("\n")[0])
            : undefined,
        }),
      );
    },
    line(line: string) {
      const record = parseLogLine(line);
      if (!record) {
        options.print(line);
        return;
      }
      const pretty = options.json ? line : logLine(record);
      if (pretty !== undefined) options.print(pretty);
      const dead = deadLetterLine(record);
      if (dead) options.print(dead);
    },
  };
}
