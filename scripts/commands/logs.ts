import { existsSync, readFileSync, statSync } from "node:fs";
import type { ParseArgsConfig } from "node:util";
import {
  CloudWatchLogsClient,
  DescribeLogGroupsCommand,
  type FilteredLogEvent,
  FilterLogEventsCommand,
} from "@aws-sdk/client-cloudwatch-logs";
import { scrubLogValue } from "../../functions/shared/logger";
import { LOCAL_LOG_FILE } from "../../local/log-file";
import { stackNameOf } from "../deployed-stack";
import { parseCommand, UsageError } from "./command";

export const LOGS_USAGE = `Usage: npm run logs -- [--id ID] [--since 1h] [--follow] [--json] [--stage S [--region R]]
The functions' log lines, oldest first: of a deployed stage (every log group of its stack,
AtCallbacks-<stage>-…, through CloudWatch Logs), or of the local stack (\`npm start\` keeps them
in ${LOCAL_LOG_FILE}).
  --id ID     only the lines about this AT id (message id, session id, request id…)
  --since T   how far back: 30m, 2h, 1d, or an ISO date (default 1h)
  --follow    then print new lines as they come, until Ctrl-C
  --json      each line as the function wrote it (JSON)`;

const OPTIONS = {
  id: { type: "string" },
  since: { type: "string", default: "1h" },
  follow: { type: "boolean", default: false },
  json: { type: "boolean", default: false },
  stage: { type: "string" },
  region: { type: "string" },
  help: { type: "boolean", default: false },
} satisfies ParseArgsConfig["options"];

/** One log line and where it came from (a function's short name). */
export interface LogLine {
  timestamp: number;
  source: string;
  text: string;
}

export interface LogsDeps {
  /** The CloudWatch Logs client for --stage (default: one for --region or the environment's). */
  client?: CloudWatchLogsClient;
  /** The local log file (default LOCAL_LOG_FILE). */
  localFile?: string;
  /** Ends --follow (default: Ctrl-C). */
  signal?: AbortSignal;
  pollMs?: number;
  now?: () => number;
}

export async function logs(
  argv: string[],
  out: (line: string) => void,
  deps: LogsDeps = {},
): Promise<number> {
  const { values: v } = parseCommand(argv, OPTIONS);
  if (v.help) {
    out(LOGS_USAGE);
    return 0;
  }
  const now = deps.now ?? Date.now;
  const since = sinceTime(v.since, now());
  const print = (line: LogLine) => out(v.json ? line.text : formatLine(line));
  const signal = deps.signal ?? (v.follow ? interrupted() : new AbortController().signal);
  const pollMs = deps.pollMs ?? 2000;
  if (v.stage === undefined) {
    const file = deps.localFile ?? LOCAL_LOG_FILE;
    if (!existsSync(file)) {
      throw new UsageError(`no ${file}: start the local stack (npm start), or pass --stage`);
    }
    return readLocal(file, { id: v.id, since, follow: v.follow, print, signal, pollMs });
  }
  const region = v.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
  if (!deps.client && !region)
    throw new UsageError("--region (or AWS_REGION) is needed with --stage");
  const client = deps.client ?? new CloudWatchLogsClient({ region });
  try {
    const groups = await stageLogGroups(client, v.stage);
    if (groups.length === 0) {
      throw new UsageError(
        `no log groups named ${stackNameOf(v.stage)}-… in ${region ?? "this region"}: is the stage deployed there?`,
      );
    }
    const filterPattern = v.id === undefined ? undefined : idPattern(v.id);
    let from = since;
    const seen = new Set<string>();
    for (;;) {
      const events = await filterAll(client, groups, from, filterPattern);
      for (const event of events) {
        if (seen.has(event.eventId)) continue;
        seen.add(event.eventId);
        print(event);
        from = Math.max(from, event.timestamp);
      }
      if (!v.follow || signal.aborted) return 0;
      if (!(await sleep(pollMs, signal))) return 0;
    }
  } finally {
    if (!deps.client) client.destroy();
  }
}

/** The stack's log groups: CloudFormation names them `AtCallbacks-<stage>-<construct>…`. */
async function stageLogGroups(client: CloudWatchLogsClient, stage: string): Promise<string[]> {
  const names: string[] = [];
  let nextToken: string | undefined;
  do {
    const page = await client.send(
      new DescribeLogGroupsCommand({
        logGroupNamePrefix: `${stackNameOf(stage)}-`,
        ...(nextToken ? { nextToken } : {}),
      }),
    );
    for (const group of page.logGroups ?? [])
      if (group.logGroupName) names.push(group.logGroupName);
    nextToken = page.nextToken;
  } while (nextToken);
  return names;
}

/**
 * The lines naming the id, as the functions log it (`atId`; a phone number in it masked, as in
 * every line), in a metric's metadata too (`inboundId`).
 */
export function idPattern(id: string): string {
  const logged = JSON.stringify(String(scrubLogValue("atId", id)));
  return `{ ($.atId = ${logged}) || ($.inboundId = ${logged}) }`;
}

async function filterAll(
  client: CloudWatchLogsClient,
  groups: readonly string[],
  startTime: number,
  filterPattern: string | undefined,
): Promise<(LogLine & { eventId: string })[]> {
  const perGroup = await Promise.all(
    groups.map(async (logGroupName) => {
      const events: FilteredLogEvent[] = [];
      let nextToken: string | undefined;
      do {
        const page = await client.send(
          new FilterLogEventsCommand({
            logGroupName,
            startTime,
            ...(filterPattern ? { filterPattern } : {}),
            ...(nextToken ? { nextToken } : {}),
          }),
        );
        events.push(...(page.events ?? []));
        nextToken = page.nextToken;
      } while (nextToken);
      const source = shortName(logGroupName);
      return events.map((e) => ({
        eventId: e.eventId ?? `${logGroupName}/${e.logStreamName}/${e.timestamp}/${e.message}`,
        timestamp: e.timestamp ?? 0,
        source,
        text: (e.message ?? "").trimEnd(),
      }));
    }),
  );
  return perGroup.flat().sort((a, b) => a.timestamp - b.timestamp);
}

/**
 * `AtCallbacks-prod-SmsDeliveryReportsRouteLogs1A2B3C4D-xyz` → `SmsDeliveryReportsRoute`: the
 * construct the log group belongs to, without CloudFormation's suffixes.
 */
export function shortName(logGroupName: string): string {
  const tail = logGroupName.replace(/^\/aws\/lambda\//, "").replace(/^AtCallbacks-[^-]+-/, "");
  return tail.replace(/(Logs)?[0-9A-F]{8}-[A-Za-z0-9]+$/, "").replace(/Function$/, "") || tail;
}

async function readLocal(
  file: string,
  options: {
    id: string | undefined;
    since: number;
    follow: boolean;
    print: (line: LogLine) => void;
    signal: AbortSignal;
    pollMs: number;
  },
): Promise<number> {
  const atId = options.id === undefined ? undefined : String(scrubLogValue("atId", options.id));
  let offset = 0;
  let partial = "";
  for (;;) {
    const size = statSync(file).size;
    if (size < offset) offset = 0; // a new `npm start` began the file again
    if (size > offset) {
      const chunk = readFileSync(file).subarray(offset, size).toString("utf8");
      offset = size;
      const lines = (partial + chunk).split("\n");
      partial = lines.pop() ?? "";
      for (const text of lines) {
        const line = localLine(text);
        if (!line || line.timestamp < options.since) continue;
        if (atId !== undefined && !mentions(text, atId)) continue;
        options.print(line);
      }
    }
    if (!options.follow || options.signal.aborted) return 0;
    if (!(await sleep(options.pollMs, options.signal))) return 0;
  }
}

/** A line of the local log file: the line a function wrote, as it wrote it. */
function localLine(text: string): LogLine | undefined {
  if (!text.startsWith("{")) return undefined;
  return {
    // A log line's own timestamp; a metric's is in its EMF header.
    timestamp:
      Date.parse(String(fieldOf(text, "timestamp") ?? "")) ||
      Number((fieldOf(text, "_aws") as { Timestamp?: unknown } | undefined)?.Timestamp) ||
      0,
    source: "local",
    text,
  };
}

const mentions = (line: string, atId: string) =>
  fieldOf(line, "atId") === atId || fieldOf(line, "inboundId") === atId;

function fieldOf(line: string, field: string): unknown {
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === "object" && value !== null
      ? (value as Record<string, unknown>)[field]
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * `2026-12-06T04:00:00.123Z  Recorder  INFO  record  atId=ATXid_…  outcome=recorded …`: the
 * line's own fields after its level and message; a stack on lines of its own.
 */
export function formatLine({ timestamp, source, text }: LogLine): string {
  let entry: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed !== "object" || parsed === null) throw new Error("not an object");
    entry = parsed as Record<string, unknown>;
  } catch {
    return `${new Date(timestamp).toISOString()}  ${source}  ${text}`;
  }
  const { level, message, timestamp: _t, error, _aws, ...fields } = entry;
  const when =
    typeof entry.timestamp === "string" ? entry.timestamp : new Date(timestamp).toISOString();
  const head = [when, source, _aws ? "METRIC" : String(level ?? "-"), String(message ?? "")];
  const rest = Object.entries(fields).map(
    ([k, value]) => `${k}=${typeof value === "string" ? value : JSON.stringify(value)}`,
  );
  const lines = [[...head, ...rest].filter(Boolean).join("  ")];
  if (error && typeof error === "object") {
    const { stack, ...summary } = error as { stack?: unknown };
    lines.push(`    error=${JSON.stringify(summary)}`);
    if (typeof stack === "string") lines.push(...stack.split("\n").map((l) => `    ${l}`));
  }
  return lines.join("\n");
}

/** `30m`, `2h`, `1d` before now, or an ISO date. */
export function sinceTime(since: string, now: number): number {
  const relative = /^(\d+)\s*([smhd])$/.exec(since.trim());
  if (relative) {
    const unit = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[relative[2] as "s"];
    return now - Number(relative[1]) * unit;
  }
  const at = Date.parse(since);
  if (Number.isNaN(at))
    throw new UsageError(`--since must be like 30m, 2h, 1d or an ISO date, not ${since}`);
  return at;
}

function interrupted(): AbortSignal {
  const stop = new AbortController();
  process.once("SIGINT", () => stop.abort());
  process.once("SIGTERM", () => stop.abort());
  return stop.signal;
}

/** Waits, or less if the signal ends it; false when it did. */
const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<boolean>((resolve) => {
    if (signal.aborted) return resolve(false);
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve(true);
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    signal.addEventListener("abort", onAbort, { once: true });
  });
