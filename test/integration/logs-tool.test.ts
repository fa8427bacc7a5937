import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CloudWatchLogsClient } from "@aws-sdk/client-cloudwatch-logs";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { logger } from "../../functions/shared/logger";
import { keepLogLines } from "../../local/log-file";
import { UsageError } from "../../scripts/commands/command";
import { idPattern, logs, shortName } from "../../scripts/commands/logs";

/**
 * A stand-in for CloudWatch Logs on 127.0.0.1, speaking its JSON protocol to the real SDK
 * client: the stage's log groups, and their events filtered by time (and by the filter
 * pattern's AT id, the way CloudWatch matches `{ $.atId = "…" }` on JSON lines).
 */
interface StoredEvent {
  timestamp: number;
  message: string;
}
const GROUPS: Record<string, StoredEvent[]> = {
  "AtCallbacks-prod-SmsDeliveryReportsRouteLogs1A2B3C4D-aBcDeF123456": [],
  "AtCallbacks-prod-RecorderWorkerLogs9F8E7D6C-zYxWvU654321": [],
  "AtCallbacks-prod2-RecorderWorkerLogs11112222-other": [],
};
const requests: { target: string; body: Record<string, unknown> }[] = [];
let server: Server;
let client: CloudWatchLogsClient;

const T0 = Date.parse("2026-12-06T04:00:00.000Z");
const line = (offsetMs: number, fields: Record<string, unknown>) => ({
  timestamp: T0 + offsetMs,
  message: JSON.stringify({
    level: "INFO",
    timestamp: new Date(T0 + offsetMs).toISOString(),
    requestId: "0b4e2c1a-1111-4222-8333-944455556666",
    ...fields,
  }),
});

beforeAll(async () => {
  server = createServer((req, res) => {
    let raw = "";
    req.on("data", (c) => {
      raw += c;
    });
    req.on("end", () => {
      const target = String(req.headers["x-amz-target"] ?? "");
      const body = JSON.parse(raw || "{}") as Record<string, unknown>;
      requests.push({ target, body });
      res.setHeader("content-type", "application/x-amz-json-1.1");
      if (target.endsWith(".DescribeLogGroups")) {
        const prefix = String(body.logGroupNamePrefix ?? "");
        res.end(
          JSON.stringify({
            logGroups: Object.keys(GROUPS)
              .filter((name) => name.startsWith(prefix))
              .map((logGroupName) => ({ logGroupName })),
          }),
        );
        return;
      }
      if (target.endsWith(".FilterLogEvents")) {
        const name = String(body.logGroupName);
        const wanted = /\$\.atId = ("(?:[^"\\]|\\.)*")/.exec(String(body.filterPattern ?? ""));
        const atId = wanted?.[1] ? JSON.parse(wanted[1]) : undefined;
        const events = (GROUPS[name] ?? [])
          .filter((e) => e.timestamp >= Number(body.startTime ?? 0))
          .filter((e) => atId === undefined || JSON.parse(e.message).atId === atId)
          .map((e, i) => ({ ...e, eventId: `${name}-${e.timestamp}-${i}`, logStreamName: "s" }));
        res.end(JSON.stringify({ events }));
        return;
      }
      res.statusCode = 400;
      res.end(JSON.stringify({ __type: "UnknownOperationException" }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  client = new CloudWatchLogsClient({
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    region: "us-east-1",
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
  });
});
afterAll(async () => {
  client?.destroy();
  await new Promise((resolve) => server?.close(resolve));
});
afterEach(() => {
  requests.length = 0;
  for (const events of Object.values(GROUPS)) events.length = 0;
});

const run = async (argv: string[], extra: Parameters<typeof logs>[2] = {}) => {
  const out: string[] = [];
  const code = await logs(argv, (l) => out.push(l), { client, now: () => T0 + 60_000, ...extra });
  return { code, out };
};

describe("npm run logs --stage", () => {
  it("merges the stage's log groups, oldest first, and only that stage's", async () => {
    GROUPS["AtCallbacks-prod-SmsDeliveryReportsRouteLogs1A2B3C4D-aBcDeF123456"]?.push(
      line(1_000, { message: "callback", atId: "ATXid_1", outcome: "refused", reason: "bad" }),
    );
    GROUPS["AtCallbacks-prod-RecorderWorkerLogs9F8E7D6C-zYxWvU654321"]?.push(
      line(500, { message: "record", atId: "ATXid_0", outcome: "recorded" }),
      line(2_000, { message: "record", atId: "ATXid_1", outcome: "recorded" }),
    );
    GROUPS["AtCallbacks-prod2-RecorderWorkerLogs11112222-other"]?.push(
      line(1_500, { message: "record", atId: "ATXid_other_stage" }),
    );
    const { code, out } = await run(["--stage", "prod"]);
    expect(code).toBe(0);
    expect(out).toEqual([
      "2026-12-06T04:00:00.500Z  RecorderWorker  INFO  record  requestId=0b4e2c1a-1111-4222-8333-944455556666  atId=ATXid_0  outcome=recorded",
      "2026-12-06T04:00:01.000Z  SmsDeliveryReportsRoute  INFO  callback  requestId=0b4e2c1a-1111-4222-8333-944455556666  atId=ATXid_1  outcome=refused  reason=bad",
      "2026-12-06T04:00:02.000Z  RecorderWorker  INFO  record  requestId=0b4e2c1a-1111-4222-8333-944455556666  atId=ATXid_1  outcome=recorded",
    ]);
    const describe = requests.find((r) => r.target.endsWith(".DescribeLogGroups"));
    expect(describe?.body.logGroupNamePrefix).toBe("AtCallbacks-prod-");
    // --since 1h by default.
    for (const r of requests.filter((q) => q.target.endsWith(".FilterLogEvents"))) {
      expect(r.body.startTime).toBe(T0 + 60_000 - 3_600_000);
    }
  });

  it("--id asks CloudWatch for that AT id's lines, as the functions log it", async () => {
    GROUPS["AtCallbacks-prod-RecorderWorkerLogs9F8E7D6C-zYxWvU654321"]?.push(
      line(500, { message: "record", atId: "ATXid_0" }),
      line(600, { message: "record", atId: "ATUid_742332840b6d" }),
    );
    const { out } = await run(["--stage", "prod", "--id", "ATUid_742332840b6d", "--json"]);
    expect(out.map((l) => JSON.parse(l).atId)).toEqual(["ATUid_742332840b6d"]);
    const filters = requests.filter((r) => r.target.endsWith(".FilterLogEvents"));
    expect(filters.map((r) => r.body.filterPattern)).toContain(
      '{ ($.atId = "ATUid_742332840b6d") || ($.inboundId = "ATUid_742332840b6d") }',
    );
    // An opt-out's id carries a phone number, masked in the logs as in the search.
    expect(idPattern("MyBrand#+254711000119")).toContain('"MyBrand#+2547*****119"');
  });

  it("--follow prints the lines that arrive after, once each, until stopped", async () => {
    const group = GROUPS["AtCallbacks-prod-RecorderWorkerLogs9F8E7D6C-zYxWvU654321"];
    group?.push(line(500, { message: "record", atId: "ATXid_0" }));
    const stop = new AbortController();
    const out: string[] = [];
    const following = logs(
      ["--stage", "prod", "--follow"],
      (l) => {
        out.push(l);
        if (out.length === 1) group?.push(line(5_000, { message: "record", atId: "ATXid_late" }));
        if (out.length === 2) stop.abort();
      },
      { client, now: () => T0, signal: stop.signal, pollMs: 20 },
    );
    expect(await following).toBe(0);
    expect(out.map((l) => /atId=(\w+)/.exec(l)?.[1])).toEqual(["ATXid_0", "ATXid_late"]);
  });

  it("says when the stage has no log groups there", async () => {
    await expect(run(["--stage", "nope"])).rejects.toThrow(UsageError);
    await expect(run(["--stage", "nope"])).rejects.toThrow(/no log groups named AtCallbacks-nope-/);
  });

  it("names each line's function from its log group", () => {
    expect(shortName("AtCallbacks-prod-UssdSessionRouteLogs0C1D2E3F-AbCdEf")).toBe(
      "UssdSessionRoute",
    );
  });
});

describe("npm run logs (local stack)", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "logs-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("reads back what the functions wrote while npm start ran, by AT id, stacks in full", async () => {
    const file = join(dir, "logs.jsonl");
    const stop = keepLogLines(file);
    logger.setLogLevel("INFO");
    try {
      logger.info("record", { atId: "ATXid_local1", outcome: "recorded" });
      logger.error("record", { atId: "ATXid_local2", error: new Error("table down") });
      process.stdout.write("not a log line\n");
    } finally {
      logger.setLogLevel("SILENT");
      stop();
    }
    const kept = readFileSync(file, "utf8").trim().split("\n");
    expect(kept.map((l) => JSON.parse(l).atId)).toEqual(["ATXid_local1", "ATXid_local2"]);

    const { out } = await run(["--id", "ATXid_local2"], { localFile: file, now: Date.now });
    expect(out).toHaveLength(1);
    const [shown = ""] = out;
    expect(shown).toMatch(/ local {2}ERROR {2}record {2}.*atId=ATXid_local2/);
    expect(shown).toContain('error={"name":"Error","message":"table down"}');
    expect(shown).toMatch(/\n\s+at .*logs-tool\.test\.ts:\d+/);
  });

  it("--follow picks up lines appended after it started", async () => {
    const file = join(dir, "follow.jsonl");
    writeFileSync(
      file,
      `${JSON.stringify({ level: "INFO", message: "record", timestamp: new Date().toISOString(), atId: "A1" })}\n`,
    );
    const stop = new AbortController();
    const out: string[] = [];
    const following = logs(
      ["--follow"],
      (l) => {
        out.push(l);
        if (out.length === 1) {
          writeFileSync(
            file,
            `${JSON.stringify({ level: "INFO", message: "record", timestamp: new Date().toISOString(), atId: "A2" })}\n`,
            { flag: "a" },
          );
        }
        if (out.length === 2) stop.abort();
      },
      { localFile: file, signal: stop.signal, pollMs: 20 },
    );
    expect(await following).toBe(0);
    expect(out.map((l) => /atId=(\w+)/.exec(l)?.[1])).toEqual(["A1", "A2"]);
  });

  it("tells the user to start the local stack when there is no log file", async () => {
    await expect(run([], { localFile: join(dir, "missing.jsonl") })).rejects.toThrow(/npm start/);
  });
});
