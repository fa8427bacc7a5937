import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseCallback } from "../../functions/model/callbacks";
import { ROUTES } from "../../functions/routes";
import {
  allFixtures,
  type Fixture,
  INVALID_VARIANT,
  loadFixture,
  parsedFields,
} from "../support/fixtures";
import { routePath, startTestStack, type TestStack } from "../support/local";
import { runScript } from "../support/run-script";

/** What AT hears back for each route when all is well. */
const EXPECTED_ANSWERS: Record<string, { contentType: RegExp; body: (b: string) => boolean }> = {
  "sms-twoway": { contentType: /^text\/plain/, body: (b) => b === "GOOD" },
  "ussd-session": { contentType: /^text\/plain/, body: (b) => /^(CON|END) /.test(b) },
  "voice-instruct": {
    contentType: /^(application\/xml|text\/plain)/,
    body: (b) => b === "" || b.includes("<Response>"),
  },
  "airtime-validation": {
    contentType: /^application\/json/,
    body: (b) => JSON.parse(b).status === "Validated",
  },
};
const plainOk = { contentType: /^text\/plain/, body: (b: string) => b === "OK" };

const valid = allFixtures().filter((f) => !INVALID_VARIANT.test(f.variant));
const invalid = allFixtures().filter((f) => INVALID_VARIANT.test(f.variant));

const identityOf = (f: Fixture) => {
  const route = ROUTES.find((r) => r.name === f.route);
  if (!route) throw new Error(f.route);
  const parsed = parseCallback(route.recordType, parsedFields(f));
  if (!parsed.ok) throw new Error(parsed.reason);
  const { atId, identity } = parsed.callback;
  return { type: route.recordType, id: atId, identity };
};

let local: TestStack;
beforeAll(async () => {
  local = await startTestStack();
});
afterAll(async () => {
  await local.stop();
});

describe("every AT callback through HTTP, the queue and the recorder", () => {
  it("answers every valid fixture in AT's format, twice, and records each callback exactly once", async () => {
    for (const fixture of valid) {
      for (let attempt = 0; attempt < 2; attempt++) {
        const res = await local.postFixture(fixture);
        const body = await res.text();
        const expected = EXPECTED_ANSWERS[fixture.route] ?? plainOk;
        expect(res.status, `${fixture.route}/${fixture.variant}: ${body}`).toBe(200);
        expect(res.headers.get("content-type")).toMatch(expected.contentType);
        expect(expected.body(body), `${fixture.route}/${fixture.variant} answered ${body}`).toBe(
          true,
        );
      }
    }
    const expected = new Map<string, { type: string; id: string; identity: string }>(
      valid.map((f) => [`${identityOf(f).type}#${identityOf(f).identity}`, identityOf(f)]),
    );
    // Exactly one reply per distinct incoming SMS, however often AT posted it (docs/replies.md).
    for (const f of valid.filter((v) => v.route === "sms-twoway")) {
      const { id } = identityOf(f);
      expected.set(`sms.reply#${id}`, { type: "sms.reply", id, identity: id });
    }
    await local.waitForRecords({}, (r) => r.length >= expected.size);
    // Once the events queue is empty every duplicate callback has been worked through, and the
    // reply rows are already there (duplicate reply jobs only ever find them): the set is final.
    await local.waitUntilIdle("events");
    const settled = await local.records();
    expect(settled.map((r) => r.sk).sort()).toEqual([...expected.keys()].sort());
    expect(local.errors).toEqual([]);
  });

  it("keeps each record's payload as received, with the phone number in E.164", async () => {
    const [incoming] = await local.records({ id: "ATXid_literalplus01", type: "sms.incoming" });
    expect(incoming).toMatchObject({
      type: "sms.incoming",
      id: "ATXid_literalplus01",
      route: "sms-twoway",
      phoneNumber: "+256772000113",
      payload: { from: " 256772000113", text: "Hi", to: "20880" },
    });
    expect(Date.parse(incoming?.receivedAt ?? "")).toBeGreaterThan(Date.now() - 60_000);

    const [unicode] = await local.records({ id: "ATXid_unicode01", type: "sms.incoming" });
    expect(unicode?.payload.text).toBe("Habari 👋 é");

    const [airtime] = await local.records({
      id: "ATQid_SampleTxnId123",
      type: "airtime.validation",
    });
    expect(airtime?.payload).toEqual(parsedFields(loadFixture("airtime-validation", "basic")));
    expect(airtime?.answer).toBe("Validated");
  });

  it("records what DynamoDB keys cannot hold as is: long USSD paths, as a digest in the key", async () => {
    const longPath = Array.from({ length: 600 }, () => "1").join("*");
    const ussd = await local.post(
      routePath("ussd-session"),
      `sessionId=ATUid_longpath&serviceCode=%2A384%23&phoneNumber=%2B254711000111&text=${encodeURIComponent(longPath)}`,
    );
    expect(ussd.status).toBe(200);
    const [hop] = await local.waitForRecords({ id: "ATUid_longpath" }, (r) => r.length === 1);
    expect(hop?.payload.text).toBe(longPath);
    expect(await local.queueDepth(local.stack.services.eventsDlqUrl)).toBe(0);
  });

  it("finds records by phone number, by type and by AT id without a scan", async () => {
    const byPhone = await local.records({ phone: "+254739495441" });
    expect(new Set(byPhone.map((r) => r.type))).toEqual(new Set(["ussd.session", "ussd.end"]));
    const reports = await local.records({ type: "sms.delivery" });
    expect(reports.map((r) => r.payload.status).sort()).toEqual([
      "DeliveredToTerminal",
      "Failed",
      "Sent",
      "Success",
    ]);
    const oneMessage = await local.records({ id: "ATXid_520e1c1d3f8d" });
    expect(oneMessage.map((r) => r.payload.status).sort()).toEqual(["Sent", "Success"]);
    const newestFirst = await local.records({ limit: 3 });
    expect(newestFirst).toHaveLength(3);
    expect(newestFirst.map((r) => r.receivedAt)).toEqual(
      [...newestFirst.map((r) => r.receivedAt)].sort().reverse(),
    );
  });
});

describe("refusals: a clear 4xx, in the route's format, and nothing queued or recorded", () => {
  const countAll = async () => (await local.records()).length;

  it.each(invalid.map((f) => [f.route, f.variant, f]))(
    "refuses %s/%s with 400",
    async (_r, _v, fixture) => {
      await local.waitUntilIdle("events");
      const before = await countAll();
      const res = await local.postFixture(fixture as Fixture);
      const body = await res.text();
      expect(res.status).toBe(400);
      if (fixture.route === "sms-twoway")
        expect(body).toMatch(/^BAD (missing required field|field)/);
      if (fixture.route === "ussd-session")
        expect(body).toBe("END missing required field sessionId");
      if (fixture.route === "airtime-validation")
        expect(JSON.parse(body)).toMatchObject({ status: "Failed" });
      expect(body).not.toMatch(/at .*\.ts|Error:/);
      // Queued, it would still be on the queue or already recorded: neither happened.
      expect(await local.queueDepth(local.stack.services.eventsQueueUrl)).toBe(0);
      expect(await countAll()).toBe(before);
    },
  );

  it("refuses a wrong or missing key with 403 before reading the body", async () => {
    const fixture = loadFixture("sms-twoway", "basic");
    const wrong = await local.postFixture(fixture, { key: "not-the-key" });
    expect(wrong.status).toBe(403);
    expect(await wrong.text()).toBe("BAD invalid or missing callback key");
    const missing = await local.post(routePath("ussd-session"), "not even a form", { key: null });
    expect(missing.status).toBe(403);
    expect(await missing.text()).toBe("END invalid or missing callback key");
    const airtime = await local.post(routePath("airtime-validation"), "{}", {
      key: null,
      contentType: "application/json",
    });
    expect(airtime.status).toBe(403);
    expect(await airtime.json()).toEqual({
      status: "Failed",
      reason: "invalid or missing callback key",
    });
    expect(await local.queueDepth(local.stack.services.eventsQueueUrl)).toBe(0);
  });

  it("answers 415 for a content type AT never sends", async () => {
    const res = await local.post(routePath("sms-delivery-reports"), "id=1&status=Success", {
      contentType: "text/plain",
    });
    expect(res.status).toBe(415);
    expect(await res.text()).toBe("unsupported content type text/plain");
  });

  it("answers 400 for a malformed JSON body, and Failed on airtime validation", async () => {
    const res = await local.postFixture(loadFixture("airtime-validation", "malformed"));
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({
      status: "Failed",
      reason: expect.stringMatching(/^malformed body/),
    });
    const status = await local.post(routePath("airtime-status"), "[1,2", {
      contentType: "application/json",
    });
    expect(status.status).toBe(400);
  });

  it("answers 400 for a JSON body that is not an object of fields", async () => {
    for (const body of ["null", "[1,2]", '"text"']) {
      const res = await local.post(routePath("sim-swap-status"), body, {
        contentType: "application/json",
      });
      expect(res.status).toBe(400);
      expect(await res.text()).toBe("body must be an object of fields");
    }
  });

  it("answers 400 for an AT id too long to be a table key", async () => {
    const res = await local.post(
      routePath("sms-twoway"),
      `id=${"x".repeat(300)}&from=%2B254711000111&to=20880&text=hi&date=2026-11-30`,
    );
    expect(res.status).toBe(400);
    expect(await res.text()).toBe("BAD AT id is longer than 256 bytes");
  });

  it("answers 413 for a body over 64 KiB", async () => {
    const res = await local.post(routePath("sms-twoway"), `id=big&text=${"a".repeat(70_000)}`);
    expect(res.status).toBe(413);
    expect(await res.text()).toMatch(/^BAD body is \d+ bytes; the limit is 65536$/);
  });

  it("answers 404 for an unknown path and 405 for GET on a callback route", async () => {
    expect((await fetch(`${local.stack.url}/api/nope`, { method: "POST" })).status).toBe(404);
    expect((await fetch(`${local.stack.url}${routePath("sms-twoway")}`)).status).toBe(405);
  });
});

describe("npm run records", () => {
  const run = (...args: string[]) =>
    runScript("scripts/records.ts", [
      "--endpoint",
      local.stack.services.dynamodbEndpoint,
      "--table",
      local.stack.services.tableName,
      ...args,
    ]);

  it("prints one JSON object per record with type, id, receivedAt, phoneNumber and payload", async () => {
    // The reply worker runs on its own: wait for it rather than race it.
    await local.waitForRecords({ id: "ATXid_9f1a2b3c4d5e" }, (records) =>
      records.some((r) => r.type === "sms.reply" && (r as { state?: string }).state === "sent"),
    );
    const { code, stdout } = await run("--id", "ATXid_9f1a2b3c4d5e", "--json");
    expect(code).toBe(0);
    const lines = stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(lines).toEqual([
      {
        type: "sms.incoming",
        id: "ATXid_9f1a2b3c4d5e",
        receivedAt: expect.any(String),
        phoneNumber: "+254711000111",
        route: "sms-twoway",
        payload: parsedFields(loadFixture("sms-twoway", "basic")),
      },
      {
        type: "sms.reply",
        id: "ATXid_9f1a2b3c4d5e",
        receivedAt: lines[0]?.receivedAt,
        phoneNumber: "+254711000111",
        route: "replier",
        payload: {
          to: "+254711000111",
          from: "20880",
          message: 'This is a response to: "Hello, I need help"',
          linkId: "SampleLinkId123",
        },
        reply: {
          state: "sent",
          attempts: 1,
          messageId: expect.stringMatching(/^ATXid_local_/),
          status: "local-outbox",
          cost: "0",
        },
      },
    ]);
  });

  it("filters by phone and type, newest first, as text lines", async () => {
    const { code, stdout } = await run("--phone", "+254739495441", "--type", "ussd.end");
    expect(code).toBe(0);
    const lines = stdout.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /ussd\.end\s+ATUid_7c898d72eb11f723ed8ea05ef232f279\s+\+254739495441\s+.*status=Success/,
    );
  });

  it("shows what an interactive route answered, and why", async () => {
    const { code, stdout } = await run("--id", "ATVId_b2beff43fbe0d2749cc1693b4df4f585", "--json");
    expect(code).toBe(0);
    const lines = stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(lines.find((l) => l.payload.isActive === "0")).toMatchObject({
      answer: "",
      note: "call-ended",
    });
    const text = await run("--type", "airtime.validation", "--id", "ATQid_SampleTxnId123");
    expect(text.stdout).toContain('answer="Validated"');
  });

  it("lists newest first with no filter, and with --type, --limit and --since", async () => {
    const since = new Date(Date.now() - 3_600_000).toISOString();
    const [all, recent] = await Promise.all([
      run("--json"),
      run("--type", "sms.delivery", "--limit", "3", "--since", since, "--json"),
    ]);
    const parse = (out: { code: number; stdout: string; stderr: string }) => {
      expect(out.code, out.stderr).toBe(0);
      return out.stdout
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l) as { type: string; receivedAt: string });
    };
    const listed = parse(all);
    expect(listed).toHaveLength(20); // the default --limit
    const times = listed.map((r) => r.receivedAt);
    expect(times).toEqual([...times].sort().reverse());
    const reports = parse(recent);
    expect(reports).toHaveLength(3);
    expect(reports.every((r) => r.type === "sms.delivery" && r.receivedAt >= since)).toBe(true);
  });

  it("explains a bad option instead of failing obscurely", async () => {
    const { code, stderr } = await run("--type", "sms.bogus");
    expect(code).toBe(2);
    expect(stderr).toMatch(/--type must be one of sms\.incoming/);
  });
});
