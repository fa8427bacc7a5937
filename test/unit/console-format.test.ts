import { describe, expect, it } from "vitest";
import { consoleOutput, loadFailure, reloadLine } from "../../local/console";
import type { Exchange } from "../../local/stack";

/** What `npm start` prints: one readable line per callback and per reply, errors with stacks. */
const exchange = (over: Partial<Exchange> = {}): Exchange => ({
  requestId: "r1",
  receivedAt: Date.parse("2026-11-30T10:30:00.125Z"),
  route: "sms-twoway",
  method: "POST",
  path: "/api/sms/twoway",
  query: "key=k",
  headers: { "content-type": "application/x-www-form-urlencoded" },
  body: Buffer.from(
    "from=%2B254711000111&to=20880&text=Hello&id=ATXid_console1&date=2026-11-30+10%3A30%3A00",
  ),
  statusCode: 200,
  answerHeaders: {},
  answer: "",
  durationMs: 14,
  ...over,
});

const printed = (json = false, level = "INFO") => {
  const lines: string[] = [];
  return { lines, output: consoleOutput({ json, level, print: (l) => lines.push(l) }) };
};

const log = (fields: Record<string, unknown>) =>
  JSON.stringify({
    level: "INFO",
    timestamp: "2026-11-30T10:30:01.500Z",
    service: "at-callbacks",
    ...fields,
  });

describe("the local console", () => {
  it("prints one line per forwarding attempt, and where a refused event went", () => {
    const { lines, output } = printed();
    const common = {
      message: "forward",
      endpoint: "local",
      atId: "ATXid_1",
      eventType: "sms.incoming",
    };
    output.line(
      log({
        ...common,
        level: "WARN",
        outcome: "retry",
        status: 503,
        attempt: 1,
        retryInSeconds: 2,
        reason: "HTTP 503",
      }),
    );
    output.line(log({ ...common, outcome: "delivered", status: 200, attempt: 2 }));
    output.line(
      log({
        ...common,
        level: "ERROR",
        outcome: "dead-lettered",
        status: 410,
        attempt: 1,
        error: "HTTP 410: refused by the endpoint",
      }),
    );
    expect(lines).toEqual([
      "10:30:01.500 ⇢ forward local        ATXid_1                  sms.incoming retry 503 (attempt 1): HTTP 503, retry in 2 s",
      "10:30:01.500 ⇢ forward local        ATXid_1                  sms.incoming delivered 200 (attempt 2)",
      "10:30:01.500 ⇢ forward local        ATXid_1                  sms.incoming dead-lettered 410 (attempt 1): HTTP 410: refused by the endpoint",
      "[dead-letter] endpoint local did not take sms.incoming of ATXid_1: HTTP 410: refused by the endpoint; it is in the forward-local dead-letter queue (npm run dlq -- list --queue forward-local)",
    ]);
  });

  it("prints one line per callback: time, route, AT id, status, outcome, latency", () => {
    const { lines, output } = printed();
    output.exchange(exchange());
    output.exchange(
      exchange({ statusCode: 400, answer: "missing required fields id, date", durationMs: 3 }),
    );
    expect(lines).toEqual([
      "10:30:00.125 ← sms-twoway           ATXid_console1           200 answered  14 ms",
      "10:30:00.125 ← sms-twoway           ATXid_console1           400 refused  3 ms  missing required fields id, date",
    ]);
  });

  it("one line per reply; the handler's own callback line and a plain record are not repeated", () => {
    const { lines, output } = printed();
    output.line(
      log({ message: "callback", route: "sms-twoway", atId: "ATXid_1", outcome: "queued" }),
    );
    output.line(
      log({ message: "record", route: "sms-twoway", atId: "ATXid_1", outcome: "recorded" }),
    );
    output.line("[outbox] SMS to +254711000111 from 20880 messageId=ATXid_local_1: Thanks");
    output.line(
      log({
        message: "reply",
        inboundId: "ATXid_1",
        outcome: "sent",
        phoneNumber: "+2547*****111",
      }),
    );
    expect(lines).toEqual([
      "[outbox] SMS to +254711000111 from 20880 messageId=ATXid_local_1: Thanks",
      "10:30:01.500 → reply                ATXid_1                  sent to +2547*****111",
    ]);
  });

  it("a failed record shows its error with the stack; the last failure announces the dead letter once", () => {
    const { lines, output } = printed();
    const error = {
      name: "TypeError",
      message: "Cannot read properties of undefined (reading 'x')",
      stack:
        "TypeError: Cannot read properties of undefined (reading 'x')\n    at recordOne (/repo/functions/record/recorder.ts:40:11)\n    at process (/repo/functions/handlers/recorder.ts:30:5)",
    };
    const failure = (receiveCount: number, outcome: string) =>
      log({
        level: "ERROR",
        message: "record",
        route: "sms-twoway",
        atId: "ATXid_2",
        sqsMessageId: "m-1",
        receiveCount,
        outcome,
        error,
      });
    output.line(failure(4, "failed"));
    output.line(failure(5, "dead-lettered"));
    expect(lines).toEqual([
      "10:30:01.500 ✗ sms-twoway           ATXid_2                  failed (receive 4)\n      TypeError: Cannot read properties of undefined (reading 'x')\n      at recordOne (/repo/functions/record/recorder.ts:40:11)\n      at process (/repo/functions/handlers/recorder.ts:30:5)",
      "10:30:01.500 ✗ sms-twoway           ATXid_2                  dead-lettered (receive 5)\n      TypeError: Cannot read properties of undefined (reading 'x')\n      at recordOne (/repo/functions/record/recorder.ts:40:11)\n      at process (/repo/functions/handlers/recorder.ts:30:5)",
      "[dead-letter] the recorder gave up on sms-twoway ATXid_2 after 5 receives: it is in the events dead-letter queue (npm run dlq -- list)\n      TypeError: Cannot read properties of undefined (reading 'x')\n      at recordOne (/repo/functions/record/recorder.ts:40:11)\n      at process (/repo/functions/handlers/recorder.ts:30:5)",
    ]);
  });

  it("--log json: the raw lines as written, still with the dead-letter announcement", () => {
    const { lines, output } = printed(true);
    const raw = log({
      level: "ERROR",
      message: "reply",
      inboundId: "ATXid_3",
      receiveCount: 5,
      outcome: "dead-lettered",
    });
    output.exchange(exchange());
    output.line(raw);
    expect(lines).toEqual([
      raw,
      "[dead-letter] the replier gave up on the reply to ATXid_3 after 5 receives: it is in the replies dead-letter queue (npm run dlq -- list)",
    ]);
  });

  it("below the log level, answered callbacks are left out and failures kept", () => {
    const { lines, output } = printed(false, "ERROR");
    output.exchange(exchange());
    output.exchange(exchange({ statusCode: 503, answer: "temporarily unavailable" }));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain("503 failed");
  });

  it("a reload says which files and how long, or in one line why the old code still serves", () => {
    expect(reloadLine({ ok: true, files: ["functions/engines/ussd/menu.ts"], ms: 420 })).toBe(
      "[reload] functions/engines/ussd/menu.ts: serving the new code (420 ms)",
    );
    const thrown = new Error("EVENTS_QUEUE_URL is not set");
    thrown.stack = `Error: EVENTS_QUEUE_URL is not set\n    at requiredEnv (file://${process.cwd()}/functions/shared/env.ts:9:11)`;
    expect(loadFailure(thrown)).toBe(
      "EVENTS_QUEUE_URL is not set (at functions/shared/env.ts:9:11)",
    );
    const line = reloadLine({ ok: false, files: ["functions/shared/env.ts"], error: thrown });
    expect(line.split("\n")).toHaveLength(1);
    expect(line).toMatch(/; still serving the last good code$/);
  });
});
