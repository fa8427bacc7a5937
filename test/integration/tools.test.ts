import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SendMessageCommand } from "@aws-sdk/client-sqs";
import { DeleteCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Inspector, startInspector } from "../../local/inspector/server";
import { dlq, stagePairs } from "../../scripts/commands/dlq";
import { followRecords } from "../../scripts/commands/follow";
import { suppressions } from "../../scripts/commands/suppressions";
import { localDocumentClient } from "../../scripts/local-state";
import { KINDS, simulate } from "../../scripts/simulate/main";
import { startTestStack, TEST_KEY, type TestStack } from "../support/local";

let t: TestStack;
let inspector: Inspector;

/** Inspectors fed by the test stack (the main one, and those a test starts and stops). */
const feeds = new Set<Inspector>();

beforeAll(async () => {
  t = await startTestStack({
    onExchange: (e) => {
      for (const f of feeds) f.record(e);
    },
    onWorkerFailure: (failure) => {
      for (const f of feeds) f.workerFailure(failure);
    },
  });
  inspector = await startInspector({ port: 0, stack: () => t.stack, callbackKey: TEST_KEY });
  feeds.add(inspector);
});
afterAll(async () => {
  await inspector?.stop();
  await t?.stop();
});

/** Runs a simulate command in-process the way the script does, capturing what it prints. */
async function run(argv: string[], answers: string[] = []) {
  const lines: string[] = [];
  const code = await simulate([...argv, "--url", t.stack.url, "--key", TEST_KEY], {
    out: (line) => lines.push(line),
    ask: async () => answers.shift(),
  });
  return { code, lines, text: lines.join("\n") };
}

const tableArgs = () => [
  "--endpoint",
  t.stack.services.dynamodbEndpoint,
  "--table",
  t.stack.services.tableName,
];
const queues = () => ({
  client: t.sqs,
  local: true,
  where: "the test stack",
  pairs: [
    {
      name: "events" as const,
      url: t.stack.services.eventsQueueUrl,
      dlqUrl: t.stack.services.eventsDlqUrl,
    },
    {
      name: "replies" as const,
      url: t.stack.services.repliesQueueUrl,
      dlqUrl: t.stack.services.repliesDlqUrl,
    },
  ],
});

describe("npm run simulate", () => {
  it("walks the USSD menu like a handset, then posts AT's end-of-session notification", async () => {
    const { code, text } = await run(
      ["ussd", "--code", "*384*44135#", "--phone", "+254711000201"],
      ["1", "1"],
    );
    expect(code).toBe(0);
    expect(text).toContain("│ What would you want to check");
    expect(text).toContain("│ Your account number is ACC1001");
    expect(text).toMatch(/Session success after 3 hop\(s\)/);
    const [end] = await t.waitForRecords(
      { type: "ussd.end", phone: "+254711000201" },
      (r) => r.length === 1,
    );
    expect(end?.payload).toMatchObject({
      status: "Success",
      hopsCount: "3",
      input: "1*1",
      serviceCode: "*384*44135#",
      lastAppResponse: "END Your account number is ACC1001",
    });
    // Every hop shares the session id, with AT's `*`-joined text path.
    const hops = await t.waitForRecords(
      { type: "ussd.session", phone: "+254711000201" },
      (r) => r.length === 3,
    );
    expect(hops.map((h) => h.payload.text).sort()).toEqual(["", "1", "1*1"]);
    expect(new Set(hops.map((h) => h.id))).toEqual(new Set([end?.id]));
  });

  it("leaves a USSD session the user does not answer as Incomplete", async () => {
    const { code, text } = await run(["ussd", "--phone", "+254711000202", "--input", "1"]);
    expect(code).toBe(1);
    expect(text).toContain("the session times out");
    const [end] = await t.waitForRecords(
      { type: "ussd.end", phone: "+254711000202" },
      (r) => r.length === 1,
    );
    expect(end?.payload).toMatchObject({ status: "Incomplete", input: "1", hopsCount: "2" });
  });

  it("sends an SMS, shows the reply from the outbox, then its delivery report", async () => {
    const { code, text } = await run([
      "sms",
      "--from",
      "+254711000203",
      "--text",
      "hello there",
      ...tableArgs(),
    ]);
    expect(code).toBe(0);
    expect(text).toMatch(
      /reply sent \(messageId ATXid_local_\w+, local-outbox\): This is a response to: "hello there"/,
    );
    expect(text).toContain("reply delivery status: Success");
  });

  it("follows a voice call's XML, then posts the final notification and SessionEnded", async () => {
    const { code, text } = await run(["voice", "--from", "+254711000204"]);
    expect(code).toBe(0);
    expect(text).toContain("Say: Welcome to the service.");
    const calls = await t.waitForRecords(
      { type: "voice.call", phone: "+254711000204" },
      (r) => r.length === 2,
    );
    expect(calls.map((c) => c.payload.isActive).sort()).toEqual(["0", "1"]);
    const [event] = await t.waitForRecords(
      { type: "voice.event", phone: "+254711000204" },
      (r) => r.length === 1,
    );
    expect(event?.payload).toMatchObject({
      eventType: "SessionEnded",
      hangupCause: "NORMAL_CLEARING",
    });
  });

  it("presses digits on GetDigits and posts them to the flow's callbackUrl", async () => {
    const seen: Record<string, string>[] = [];
    const app: Server = createServer(async (req, res) => {
      let body = "";
      for await (const chunk of req) body += chunk;
      const fields = Object.fromEntries(new URLSearchParams(body));
      seen.push({ path: req.url ?? "", ...fields });
      const xml = req.url?.startsWith("/digits")
        ? `<Response><Say>You pressed ${fields.dtmfDigits}</Say></Response>`
        : `<Response><GetDigits numDigits="1" callbackUrl="http://127.0.0.1:${(app.address() as AddressInfo).port}/digits?key=k"><Say>Press 1</Say></GetDigits></Response>`;
      res
        .writeHead(200, { "content-type": "application/xml" })
        .end(fields.isActive === "0" ? "" : xml);
    });
    await new Promise<void>((r) => app.listen(0, "127.0.0.1", r));
    const lines: string[] = [];
    const base = `http://127.0.0.1:${(app.address() as AddressInfo).port}`;
    const code = await simulate(["voice", "--url", base, "--key", "k", "--digits", "1"], {
      out: (l) => lines.push(l),
    });
    app.close();
    expect(code).toBe(0);
    expect(lines.join("\n")).toMatch(/Say: Press 1\n.*GetDigits: 1\n.*Say: You pressed 1/);
    expect(
      seen.map(
        (s) => `${(s.path ?? "").split("?")[0]} ${s.dtmfDigits ?? ""} ${s.isActive ?? s.eventType}`,
      ),
    ).toEqual([
      "/api/voice/instruct  1",
      "/digits 1 1",
      "/digits  0",
      "/api/voice/events  SessionEnded",
    ]);
  });

  it("flags a USSD screen over 160 characters, and follows Redirect and Reject in voice XML", async () => {
    const seen: string[] = [];
    const app: Server = createServer(async (req, res) => {
      let body = "";
      for await (const chunk of req) body += chunk;
      const fields = new URLSearchParams(body);
      const path = (req.url ?? "").split("?")[0];
      seen.push(
        `${path} ${fields.get("text") ?? fields.get("isActive") ?? fields.get("eventType") ?? fields.get("status")}`,
      );
      const port = (app.address() as AddressInfo).port;
      const answers: Record<string, string> = {
        "/api/ussd/session": fields.get("text")
          ? "END Bye"
          : `CON ${"Choose wisely. ".repeat(12)}\n1. Go`,
        "/api/voice/instruct": `<Response><Say>Moving you</Say><Redirect>http://127.0.0.1:${port}/other</Redirect></Response>`,
        "/other": "<Response><Reject/></Response>",
      };
      res.end(fields.get("isActive") === "0" ? "" : (answers[path ?? ""] ?? "OK"));
    });
    await new Promise<void>((r) => app.listen(0, "127.0.0.1", r));
    const base = `http://127.0.0.1:${(app.address() as AddressInfo).port}`;
    const lines: string[] = [];
    const out = (l: string) => lines.push(l);
    expect(await simulate(["ussd", "--input", "1", "--url", base, "--key", "k"], { out })).toBe(0);
    expect(lines.join("\n")).toMatch(
      /CON, 19\d chars {2}⚠ 19\d characters: over the 160 a Safaricom screen shows/,
    );
    lines.length = 0;
    expect(await simulate(["voice", "--url", base, "--key", "k"], { out })).toBe(0);
    app.close();
    expect(lines.join("\n")).toContain("Say: Moving you\n  Redirect: http://127.0.0.1:");
    expect(lines.join("\n")).toContain("Reject: the call is rejected");
    expect(lines.at(-1)).toMatch(/^Call ended \(CALL_REJECTED\)/);
    expect(seen.slice(2)).toEqual([
      "/api/ussd/status Success",
      "/api/voice/instruct 1",
      "/other 1",
      "/other 0",
      "/api/voice/events SessionEnded",
    ]);
  });

  it("posts every other callback kind with AT's fields, each accepted and recorded", async () => {
    const oneShot = KINDS.filter((k) => !["ussd", "sms", "voice"].includes(k));
    for (const kind of oneShot) {
      const { code, text } = await run([kind, "--phone", "+254711000205", "--json"]);
      expect(code, `${kind}: ${text}`).toBe(0);
      for (const line of text.split("\n")) expect(JSON.parse(line).answer.status).toBe(200);
    }
    const records = await t.waitForRecords({ phone: "+254711000205" }, (r) => r.length >= 7);
    expect(new Set(records.map((r) => r.type))).toEqual(
      new Set([
        "sms.delivery",
        "sms.optout",
        "sms.subscription",
        "ussd.end",
        "voice.event",
        "airtime.validation",
        "airtime.status",
      ]),
    );
    // SIM swap callbacks carry no phone number: found by type.
    await t.waitForRecords({ type: "simswap.status" }, (r) => r.length >= 1);
  });

  it("overrides any field with --set and keeps JSON numbers numbers", async () => {
    const { text } = await run([
      "airtime-validation",
      "--set",
      "amount=250",
      "--set",
      "currencyCode=UGX",
      "--json",
    ]);
    expect(JSON.parse(text).request.fields).toMatchObject({ amount: 250, currencyCode: "UGX" });
    await expect(run(["sms-nope"])).rejects.toThrow(/unknown kind sms-nope/);
    await expect(run(["opt-out", "--set", "novalue"])).rejects.toThrow(/--set takes field=value/);
  });

  it("sends the same SMS twice with --id, as AT retries it: one record, --set applied", async () => {
    const argv = [
      "sms",
      "--id",
      "ATXid_retry0001",
      "--from",
      "0711000211",
      "--set",
      "networkCode=62120",
      "--set",
      "linkId=SampleLinkId123",
      ...tableArgs(),
    ];
    const first = await run(argv);
    expect(first.code, first.text).toBe(0);
    expect(first.text).toMatch(/from=\+254711000211 id=ATXid_retry0001 text=hello/);
    expect(first.text).toContain("networkCode=62120 linkId=SampleLinkId123");
    const again = await run(argv);
    expect(again.code, again.text).toBe(0);
    expect(again.text).toContain("id=ATXid_retry0001");
    const records = await t.waitForRecords({ id: "ATXid_retry0001" }, (r) =>
      r.some((x) => x.type === "sms.reply"),
    );
    const incoming = records.filter((r) => r.type === "sms.incoming");
    expect(incoming).toHaveLength(1);
    expect(incoming[0]?.phoneNumber).toBe("+254711000211");
    expect(incoming[0]?.payload).toMatchObject({ networkCode: "62120", linkId: "SampleLinkId123" });
  });

  it("takes --id and --set on USSD and voice too, on every hop", async () => {
    const ussd = await run([
      "ussd",
      "--id",
      "ATUid_fixed0001",
      "--phone",
      "0711000212",
      "--set",
      "networkCode=63907",
      "--input",
      "1,1",
    ]);
    expect(ussd.code, ussd.text).toBe(0);
    expect(ussd.text).toContain("(session ATUid_fixed0001)");
    const hops = await t.waitForRecords(
      { type: "ussd.session", phone: "+254711000212" },
      (r) => r.length === 3,
    );
    expect(hops.map((h) => [h.id, h.payload.networkCode])).toEqual([
      ["ATUid_fixed0001", "63907"],
      ["ATUid_fixed0001", "63907"],
      ["ATUid_fixed0001", "63907"],
    ]);

    const voice = await run([
      "voice",
      "--id",
      "ATVId_fixed0001",
      "--from",
      "0711000213",
      "--to",
      "0711082000",
      "--set",
      "callerCarrierName=Airtel",
    ]);
    expect(voice.code, voice.text).toBe(0);
    expect(voice.text).toContain(
      "Calling +254711082000 from +254711000213 (session ATVId_fixed0001)",
    );
    const calls = await t.waitForRecords(
      { type: "voice.call", phone: "+254711000213" },
      (r) => r.length === 2,
    );
    for (const call of calls) {
      expect(call.id).toBe("ATVId_fixed0001");
      expect(call.payload.callerCarrierName).toBe("Airtel");
    }
  });

  it("says why airtime was not validated, read from the record", async () => {
    const { code, text } = await run([
      "airtime",
      "--phone",
      "0711000214",
      "--id",
      "ATQid_refused0001",
      "--set",
      "amount=lots",
      ...tableArgs(),
    ]);
    expect(code, text).toBe(0);
    expect(text).toContain('"status":"Failed"');
    expect(text).toContain("reason: amount is not a positive number");
    expect(text).toContain("(not validated: AT does not send the airtime");
  });

  it("reads national numbers with the default country, or the one given", async () => {
    const kenya = await run(["opt-out", "--phone", "0711000215"]);
    expect(kenya.text).toContain("phoneNumber=+254711000215");
    const uganda = await run(["opt-out", "--phone", "0772000216", "--country", "256"]);
    expect(uganda.text).toContain("phoneNumber=+256772000216");
    await expect(run(["opt-out", "--phone", "12ab"])).rejects.toThrow(
      /--phone must be a number like \+254711000111 or 0711000111, not 12ab/,
    );
    await expect(run(["opt-out", "--phone", "0711000215", "--country", "x"])).rejects.toThrow(
      /--country must be a calling code like 254, not x/,
    );
  });

  it("targets a deployed stage by its stack outputs (here a recorded describe-stacks answer)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "describe-stacks-"));
    const file = join(dir, "describe-stacks.json");
    writeFileSync(
      file,
      JSON.stringify({
        Stacks: [
          {
            StackName: "AtCallbacks-dev",
            Outputs: [
              { OutputKey: "ApiEndpoint", OutputValue: t.stack.url },
              { OutputKey: "TableName", OutputValue: t.stack.services.tableName },
            ],
          },
        ],
      }),
    );
    const lines: string[] = [];
    const argv = [
      "opt-out",
      "--phone",
      "+254711000210",
      "--stage",
      "dev",
      "--describe-stacks",
      file,
    ];
    const code = await simulate([...argv, "--key", TEST_KEY], { out: (l) => lines.push(l) });
    rmSync(dir, { recursive: true });
    expect(code).toBe(0);
    expect(lines).toEqual([
      "→ POST /api/sms/opt-out  senderId=MyBrand phoneNumber=+254711000210",
      "← 200  OK",
    ]);
  });
});

describe("npm run dlq", () => {
  it("finds a deployed stage's queues by the names CloudFormation gives them", () => {
    const base = "https://sqs.eu-west-1.amazonaws.com/123456789012";
    const urls = [
      `${base}/AtCallbacks-prod-EventsQueue4C7AF1FB-k3JfX9aQ2mZp`,
      `${base}/AtCallbacks-prod-EventsQueueDeadLetterQueue3E12EAC3-Qw8rT1yU5iOp`,
      `${base}/AtCallbacks-prod-RepliesQueueE2DF3189-Zx2cV4bN6mLk`,
      `${base}/AtCallbacks-prod-RepliesQueueDeadLetterQueueB1EF5A09-Jh7gF3dS1aPo`,
    ];
    expect(stagePairs(urls)).toEqual([
      { name: "events", url: urls[0], dlqUrl: urls[1] },
      { name: "replies", url: urls[2], dlqUrl: urls[3] },
    ]);
  });

  it("lists dead letters with their route, AT id and reason, redrives them, and purges", async () => {
    const envelope = {
      v: 1,
      type: "sms.delivery",
      id: "ATXid_redriven01",
      identity: "ATXid_redriven01#Success#0",
      receivedAt: new Date().toISOString(),
      route: "sms-delivery-reports",
      payload: { id: "ATXid_redriven01", status: "Success", phoneNumber: "+254711000206" },
    };
    const { eventsDlqUrl } = t.stack.services;
    await t.sqs.send(
      new SendMessageCommand({ QueueUrl: eventsDlqUrl, MessageBody: JSON.stringify(envelope) }),
    );
    await t.sqs.send(new SendMessageCommand({ QueueUrl: eventsDlqUrl, MessageBody: "not json" }));
    const out: string[] = [];
    expect(await dlq(["list", "--queue", "events"], (l) => out.push(l), queues())).toBe(0);
    expect(out[0]).toBe("events dead-letter queue: 2 messages");
    expect(out.join("\n")).toMatch(
      /sms-delivery-reports {2}sms\.delivery {2}ATXid_redriven01 .*the recorder failed on every receive/,
    );
    expect(out.join("\n")).toContain("unreadable: message body is not JSON");

    out.length = 0;
    await dlq(["redrive", "--queue", "events"], (l) => out.push(l), queues());
    expect(out[0]).toMatch(/^events: moved 2 message\(s\) back to the work queue/);
    // The valid one is recorded now; the unreadable one is back on the dead-letter queue at once.
    const [record] = await t.waitForRecords({ id: "ATXid_redriven01" }, (r) => r.length === 1);
    expect(record?.payload.status).toBe("Success");
    await expect.poll(() => t.queueDepth(eventsDlqUrl), { timeout: 10_000 }).toBe(1);

    out.length = 0;
    await t.sqs.send(
      new SendMessageCommand({ QueueUrl: eventsDlqUrl, MessageBody: "still not json" }),
    );
    await dlq(["purge", "--queue", "events"], (l) => out.push(l), queues());
    expect(out).toEqual(["events: purged 2 message(s)"]);
    await expect(dlq(["purge"], () => undefined, queues())).rejects.toThrow(/purge needs --queue/);
  });
});

describe("npm run records -- --follow and npm run suppressions", () => {
  it("prints each new record once, as it is written", async () => {
    const printed: string[] = [];
    const stop = new AbortController();
    const following = followRecords(
      t.documents,
      t.stack.services.tableName,
      { phone: "+254711000207" },
      (r) => printed.push(r.type),
      {
        signal: stop.signal,
        intervalMs: 100,
      },
    );
    await run(["opt-out", "--phone", "+254711000207"]);
    await run(["opt-out", "--phone", "+254711000207"]); // AT's retry: one record, printed once
    await run(["subscription", "--phone", "+254711000207"]);
    await expect.poll(() => printed.length).toBe(2);
    stop.abort();
    await following;
    expect(printed.sort()).toEqual(["sms.optout", "sms.subscription"]);
  });

  it("lists an opted-out number and lifts it", async () => {
    await run(["opt-out", "--phone", "+254711000208", "--sender", "ShopKE"]);
    // Recorded and its effects applied: nothing of it is still in flight when it is lifted.
    await t.waitUntilIdle("events");
    const table = () => ({
      client: localDocumentClient(t.stack.services.dynamodbEndpoint),
      tableName: t.stack.services.tableName,
    });
    const out: string[] = [];
    await expect
      .poll(async () => {
        out.length = 0;
        await suppressions(["list", "--phone", "+254711000208"], (l) => out.push(l), table);
        return out.join("\n");
      })
      .toMatch(/\+254711000208 {2}sender=ShopKE {2}reason=optout/);
    out.length = 0;
    expect(await suppressions(["lift", "+254711000208"], (l) => out.push(l), table)).toBe(0);
    expect(out[0]).toMatch(/^lifted: \+254711000208 sender=ShopKE/);
    out.length = 0;
    await suppressions(["list", "--phone", "+254711000208"], (l) => out.push(l), table);
    expect(out).toEqual(["no suppressions"]);
  });
});

describe("the inspector", () => {
  const api = async (path: string, init?: RequestInit) =>
    (await fetch(`${inspector.url}${path}`, init)).json();

  it("lists each callback with its outcome, and a replay shows the de-duplication", async () => {
    await run(["delivery-report", "--id", "ATXid_inspect01", "--phone", "+254711000209"]);
    await t.post("/api/sms/opt-out", "phoneNumber=%2B254711000209"); // refused: no senderId
    const entries = async () =>
      (await api("/api/exchanges")) as {
        seq: number;
        atId?: string;
        outcome: string;
        reason?: string;
        maskedPhone?: string;
        replayOf?: number;
      }[];
    await expect
      .poll(async () => (await entries()).find((e) => e.atId === "ATXid_inspect01")?.outcome)
      .toBe("recorded");
    const all = await entries();
    const report = all.find((e) => e.atId === "ATXid_inspect01");
    expect(report?.maskedPhone).toBe("+2547*****209");
    expect(all.at(-1)).toMatchObject({
      outcome: "refused",
      reason: expect.stringMatching(/senderId/),
    });

    expect(await api(`/api/exchanges/${report?.seq}/replay`, { method: "POST" })).toEqual({
      statusCode: 200,
      answer: "OK",
    });
    await expect
      .poll(async () => (await entries()).find((e) => e.replayOf === report?.seq)?.outcome)
      .toBe("duplicate");
    const detail = (await api(`/api/exchanges/${report?.seq}`)) as {
      record: unknown;
      entry: { query: string };
    };
    expect(detail.record).toMatchObject({ type: "sms.delivery", id: "ATXid_inspect01" });
    expect(detail.entry.query).toBe("key=…");
  });

  interface Listed {
    seq: number;
    atId?: string;
    outcome: string;
    reason?: string;
    summary: string;
    query: string;
    fields?: Record<string, unknown>;
    replayOf?: number;
    error?: { name: string; message: string; stack?: string; receiveCount: number };
  }
  const listed = async (base = inspector.url) =>
    (await (await fetch(`${base}/api/exchanges`)).json()) as Listed[];

  it("settles every row, not only the newest 50", async () => {
    const ids = Array.from({ length: 60 }, (_, i) => `ATXid_settle${String(i).padStart(3, "0")}`);
    for (const id of ids) {
      const response = await t.post(
        "/api/sms/delivery-reports",
        `id=${id}&status=Success&phoneNumber=%2B254711000220&networkCode=63902&retryCount=0`,
      );
      expect(response.status).toBe(200);
    }
    await t.waitUntilIdle("events", 20_000);
    await expect
      .poll(
        async () =>
          (await listed())
            .filter((e) => e.atId?.startsWith("ATXid_settle"))
            .map((e) => e.outcome)
            .filter((o) => o !== "recorded").length,
        { timeout: 10_000 },
      )
      .toBe(0);
    const mine = (await listed()).filter((e) => e.atId?.startsWith("ATXid_settle"));
    expect(mine).toHaveLength(60);
    expect(mine[0]?.summary).toBe("delivery Success");
  });

  it("shows the recorder's error and stack on the row, until a retry records it", async () => {
    // A stack of its own that redelivers a failed message after 1 s (the shared one keeps the
    // deployed visibility timeout, so that a busy machine never sees a redelivery by surprise).
    let quickInspector: Inspector | undefined;
    const quick = await startTestStack({
      visibilityTimeoutSeconds: 1,
      onExchange: (e) => quickInspector?.record(e),
      onWorkerFailure: (failure) => quickInspector?.workerFailure(failure),
    });
    try {
      quickInspector = await startInspector({
        port: 0,
        stack: () => quick.stack,
        callbackKey: TEST_KEY,
      });
      const row = async () =>
        (await listed(quickInspector?.url)).find((e) => e.atId === "ATXid_broken01");
      // An item in the way of the record that is not a record: the recorder throws on reading it.
      const key = { pk: "ID#ATXid_broken01", sk: "sms.incoming#ATXid_broken01" };
      await quick.documents.send(
        new PutCommand({
          TableName: quick.stack.services.tableName,
          Item: { ...key, junk: "yes" },
        }),
      );
      const lines: string[] = [];
      const code = await simulate(
        ["sms", "--id", "ATXid_broken01", "--phone", "+254711000221"].concat(
          "--url",
          quick.stack.url,
          "--key",
          TEST_KEY,
        ),
        { out: (line) => lines.push(line), ask: async () => undefined },
      );
      expect(code, lines.join("\n")).toBe(0);
      await expect.poll(async () => (await row())?.outcome, { timeout: 10_000 }).toBe("retrying");
      const failing = await row();
      expect(failing?.reason).toMatch(/^the recorder failed \(receive \d\): not a record item: /);
      expect(failing?.error?.message).toMatch(/^not a record item: /);
      expect(failing?.error?.stack).toMatch(/\n\s+at .*record-store\.ts/);

      await quick.documents.send(
        new DeleteCommand({ TableName: quick.stack.services.tableName, Key: key }),
      );
      await expect.poll(async () => (await row())?.outcome, { timeout: 10_000 }).toBe("recorded");
      // The error of the failed attempts stays on the row.
      expect((await row())?.error?.message).toMatch(/^not a record item/);
    } finally {
      await quickInspector?.stop();
      await quick.stop();
    }
  });

  it("gives each request as curl with the key as a variable, and replays an edited one", async () => {
    await run(["delivery-report", "--id", "ATXid_edit01", "--phone", "0711000222"]);
    const report = (await listed()).find((e) => e.atId === "ATXid_edit01");
    expect(report?.fields).toMatchObject({ status: "Success", phoneNumber: "+254711000222" });
    const detail = (await api(`/api/exchanges/${report?.seq}`)) as { curl: string };
    expect(detail.curl).toContain('"$CALLBACK_KEY"');
    expect(detail.curl).not.toContain(TEST_KEY);
    // The command works as given once the key is in the environment (an AT retry, by hand).
    const curl = await new Promise<string>((resolve, reject) =>
      execFile(
        "sh",
        ["-c", `${detail.curl} -s -w ' %{http_code}'`],
        { env: { ...process.env, CALLBACK_KEY: TEST_KEY } },
        (error, stdout) => (error ? reject(error) : resolve(stdout)),
      ),
    );
    expect(curl).toBe("OK 200");

    const replayed = await api(`/api/exchanges/${report?.seq}/replay`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ fields: { status: "Failed", failureReason: "UserInBlacklist" } }),
    });
    expect(replayed).toEqual({ statusCode: 200, answer: "OK" });
    await expect
      .poll(
        async () => {
          const edited = (await listed()).find(
            (e) => e.replayOf === report?.seq && e.fields?.status === "Failed",
          );
          return edited && `${edited.outcome}: ${edited.summary}`;
        },
        { timeout: 8000 },
      )
      .toBe("recorded: delivery Failed (UserInBlacklist)");
    expect(
      await api(`/api/exchanges/${report?.seq}/replay`, {
        method: "POST",
        body: JSON.stringify({ fields: { status: 5 } }),
      }),
    ).toEqual({ error: "edits must be a JSON object of text fields" });
  });

  it("reads a national number in the phone filter with the default country", async () => {
    expect(await api("/api/phone?q=0711000222")).toEqual({ e164: "+254711000222" });
    expect(await api("/api/phone?q=%2B256772000113")).toEqual({ e164: "+256772000113" });
    expect(await api("/api/phone?q=0711")).toEqual({ e164: null });
  });

  it("keeps its list across restarts with a data dir, without the callback key", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "inspector-history-"));
    const options = { port: 0, stack: () => t.stack, callbackKey: TEST_KEY, dataDir };
    const first = await startInspector(options);
    feeds.add(first);
    await run(["opt-out", "--phone", "+254711000223", "--sender", "KeptBrand"]);
    await expect
      .poll(async () => (await listed(first.url)).map((e) => e.outcome), { timeout: 8000 })
      .toEqual(["recorded"]);
    feeds.delete(first);
    await first.stop();
    const file = readFileSync(join(dataDir, "inspector.jsonl"), "utf8");
    expect(file).toContain("KeptBrand");
    expect(file).not.toContain(TEST_KEY);

    const second = await startInspector(options);
    try {
      const [kept] = await listed(second.url);
      expect(kept).toMatchObject({
        outcome: "recorded",
        summary: "opt-out from KeptBrand",
        query: "key=…",
      });
      // Replay still works: it posts with the stack's current key.
      expect(
        await (
          await fetch(`${second.url}/api/exchanges/${kept?.seq}/replay`, { method: "POST" })
        ).json(),
      ).toEqual({ statusCode: 200, answer: "OK" });
    } finally {
      await second.stop();
      rmSync(dataDir, { recursive: true });
    }
  });

  it("answers only under its loopback name", async () => {
    // A page served under another name (DNS rebinding) must not read phone numbers and keys.
    const status = await new Promise<number | undefined>((resolve, reject) =>
      request(
        `${inspector.url}/api/exchanges`,
        { headers: { host: "inspector.example.com" } },
        (res) => {
          res.resume();
          resolve(res.statusCode);
        },
      )
        .on("error", reject)
        .end(),
    );
    expect(status).toBe(403);
  });
});
