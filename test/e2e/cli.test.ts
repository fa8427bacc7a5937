import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LOCAL_CREDENTIALS, LOCAL_REGION } from "../../local/constants";
import { ctrlC, startUserStack, type UserStack } from "./user";

let user: UserStack;

beforeAll(async () => {
  user = await startUserStack();
});
afterAll(async () => {
  expect(await user?.stop()).toBe(0);
});

describe("each command as a user runs it, against `npm start`", () => {
  it("simulate ussd --input: a scripted walk, every screen printed", async () => {
    const { code, stdout } = await user.run("simulate", [
      "ussd",
      "--code",
      "*384*1#",
      "--phone",
      "+254711000301",
      "--input",
      "1,1",
    ]);
    expect(code).toBe(0);
    expect(stdout).toMatch(
      /│ What would you want to check\n│ 1\. My Account\n│ 2\. My phone number/,
    );
    expect(stdout).toMatch(/> 1\n┌─+\n│ Choose account information you want to view/);
    expect(stdout).toContain("│ Your account number is ACC1001");
    expect(stdout).toContain(
      "Session success after 3 hop(s); AT's end-of-session notification → 200 OK",
    );
  });

  it("simulate ussd without --input: reads each choice from what the user types", async () => {
    const { code, stdout } = await user.run(
      "simulate",
      ["ussd", "--phone", "+254711000306"],
      "2\n",
    );
    expect(code).toBe(0);
    expect(stdout).toContain("│ 2. My phone number");
    expect(stdout).toContain("│ Your phone number is +254711000306");
    expect(stdout).toContain("Session success after 2 hop(s)");
  });

  it("simulate sms: the message, its reply from the outbox, and the reply's delivery report", async () => {
    const { code, stdout } = await user.run("simulate", [
      "sms",
      "--from",
      "+254711000302",
      "--to",
      "20880",
      "--text",
      "hello",
    ]);
    expect(code).toBe(0);
    expect(stdout).toMatch(
      /^→ POST \/api\/sms\/twoway .*from=\+254711000302 id=ATXid_\w+ text=hello to=20880/m,
    );
    expect(stdout).toMatch(/^← 200 {2}GOOD$/m);
    expect(stdout).toMatch(
      /^reply sent \(messageId ATXid_local_\w+, local-outbox\): This is a response to: "hello"$/m,
    );
    expect(stdout).toMatch(
      /^→ POST \/api\/sms\/delivery-reports {2}id=ATXid_local_\w+ status=Success/m,
    );
    expect(stdout).toContain("reply delivery status: Success");
    // The reply also went through the outbox, printed on npm start's console.
    await user.waitForOutput(/\[outbox\] SMS to \+254711000302/);
  });

  it("simulate voice --digits: follows GetDigits, Say and the end of the call", async () => {
    const requests: string[] = [];
    const app: Server = createServer(async (req, res) => {
      let body = "";
      for await (const chunk of req) body += chunk;
      const fields = new URLSearchParams(body);
      requests.push(
        `${req.url?.split("?")[0]} ${fields.get("dtmfDigits") ?? fields.get("isActive") ?? fields.get("eventType")}`,
      );
      const port = (app.address() as AddressInfo).port;
      const xml = fields.get("dtmfDigits")
        ? `<?xml version="1.0" encoding="UTF-8"?><Response><Say>You chose ${fields.get("dtmfDigits")}. Goodbye.</Say></Response>`
        : `<?xml version="1.0" encoding="UTF-8"?><Response><GetDigits numDigits="1" timeout="10" callbackUrl="http://127.0.0.1:${port}/api/voice/instruct?key=k"><Say>Press 1 for sales, 2 for support.</Say></GetDigits></Response>`;
      res
        .writeHead(200, { "content-type": "application/xml" })
        .end(fields.get("isActive") === "0" ? "" : xml);
    });
    await new Promise<void>((r) => app.listen(0, "127.0.0.1", r));
    const url = `http://127.0.0.1:${(app.address() as AddressInfo).port}`;
    const { code, stdout } = await user.run("simulate", [
      "voice",
      "--from",
      "+254711000303",
      "--digits",
      "2",
      "--url",
      url,
      "--key",
      "k",
    ]);
    app.close();
    expect(code).toBe(0);
    expect(stdout).toContain(
      "  Say: Press 1 for sales, 2 for support.\n  GetDigits: 2\n  Say: You chose 2. Goodbye.",
    );
    expect(requests).toEqual([
      "/api/voice/instruct 1",
      "/api/voice/instruct 2",
      "/api/voice/instruct 0",
      "/api/voice/events SessionEnded",
    ]);
  });

  it("dlq list and redrive: a poison message announced on the console, listed, moved back", async () => {
    const sqs = new SQSClient({
      endpoint: user.state.sqsEndpoint,
      region: LOCAL_REGION,
      credentials: LOCAL_CREDENTIALS,
      useQueueUrlAsEndpoint: false,
    });
    const poison = {
      v: 1,
      type: "sms.incoming",
      route: "sms-twoway",
      receivedAt: new Date().toISOString(),
      payload: {},
    };
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: user.state.eventsQueueUrl,
        MessageBody: JSON.stringify(poison),
      }),
    );
    sqs.destroy();
    // Unreadable: the dead-letter queue on its first receive, announced once with its error.
    const line = await user.waitForOutput(/\[dead-letter\] .*\n.*/, 30_000);
    expect(line).toContain(
      "[dead-letter] the recorder gave up on a callback: it can never be read; it is in the events dead-letter queue (npm run dlq -- list)",
    );
    expect(line).toMatch(/\n +PoisonMessageError: envelope id: .*"id"/);

    const listed = await user.run("dlq", ["list"]);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(
      /^events dead-letter queue: 1 message\n +\d+s {2}receives=\d+ {2}sms-twoway {2}sms\.incoming {2}- {2}[\w-]+ {2}unreadable: envelope id: .*"id".*$/m,
    );
    expect(listed.stdout).toContain("replies dead-letter queue: 0 messages");

    const moved = await user.run("dlq", ["redrive", "--queue", "events"]);
    expect(moved.stdout).toMatch(/^events: moved 1 message\(s\) back to the work queue: [\w-]+$/m);
    const purged = await user.run("dlq", ["purge"]);
    expect(purged.code).toBe(2);
    expect(purged.stderr).toContain("purge needs --queue events or --queue replies");
  });

  it("logs --id: the local stack's lines about one AT id, an error with its stack", async () => {
    const sqs = new SQSClient({
      endpoint: user.state.sqsEndpoint,
      region: LOCAL_REGION,
      credentials: LOCAL_CREDENTIALS,
      useQueueUrlAsEndpoint: false,
    });
    // An envelope of a version the recorder does not read: dead-lettered at once, with an ERROR line.
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: user.state.eventsQueueUrl,
        MessageBody: JSON.stringify({ v: 2, id: "ATXid_e2e742332840b6d" }),
      }),
    );
    sqs.destroy();
    let shown = "";
    await expect
      .poll(
        async () => {
          shown = (await user.run("logs", ["--id", "ATXid_e2e742332840b6d"])).stdout;
          return shown;
        },
        { timeout: 20_000, interval: 1_000 },
      )
      .toMatch(
        / ERROR {2}record {2}requestId=[\w-]+ {2}atId=ATXid_e2e742332840b6d .*outcome=dead-lettered/,
      );
    expect(shown).toContain('"name":"PoisonMessageError"');
    expect(shown).toMatch(/\n\s+at .*functions\/model\/envelope\.ts:\d+/);
  });

  it("records --follow prints new records as they are written, and stops on Ctrl-C", async () => {
    const follow = user.spawn("records", ["--follow", "--phone", "+254711000304"]);
    let out = "";
    let err = "";
    follow.stdout?.on("data", (c) => {
      out += c;
    });
    follow.stderr?.on("data", (c) => {
      err += c;
    });
    const exited = new Promise<number | null>((resolve) =>
      follow.on("exit", (code) => resolve(code)),
    );
    await expect.poll(() => err, { timeout: 20_000 }).toContain("following new records");
    await user.run("simulate", ["opt-out", "--phone", "+254711000304", "--sender", "MyBrand"]);
    await expect
      .poll(() => out, { timeout: 15_000 })
      .toMatch(/sms\.optout {10}MyBrand#\+254711000304 {2}\+254711000304 {2}senderId=MyBrand/);
    ctrlC(follow);
    expect(await exited).toBe(0);
  });

  it("records --phone takes a national number, read with the default country or --country", async () => {
    await user.run("simulate", ["opt-out", "--phone", "0711000306", "--sender", "LocalBrand"]);
    await expect
      .poll(async () => (await user.run("records", ["--phone", "0711000306"])).stdout, {
        timeout: 15_000,
      })
      .toMatch(/sms\.optout +\S+ {2}\+254711000306 {2}senderId=LocalBrand/);
    const uganda = await user.run("records", ["--phone", "0711000306", "--country", "256"]);
    expect(uganda.stderr).toContain("no records match");
    const refused = await user.run("records", ["--phone", "07-11"]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(
      /^--phone must be a number like \+254711000111 or 0711000111, not 07-11/,
    );
  });

  it("suppressions list and lift", async () => {
    await user.run("simulate", ["opt-out", "--phone", "+254711000305", "--sender", "ShopKE"]);
    await expect
      .poll(
        async () => (await user.run("suppressions", ["list", "--phone", "+254711000305"])).stdout,
        { timeout: 15_000 },
      )
      .toMatch(/\+254711000305 {2}sender=ShopKE {2}reason=optout/);
    const lifted = await user.run("suppressions", ["lift", "+254711000305"]);
    expect(lifted.stdout).toMatch(/^lifted: \+254711000305 sender=ShopKE/);
  });
});
