import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CallbackEvent } from "../../functions/events/event";
import { type ForwardDeps, forwardEvent } from "../../functions/forward/forwarder";
import { classifyAnswer, retryDelaySeconds } from "../../functions/forward/retry";
import { generateSigningSecret, parseSigningSecrets } from "../../functions/forward/signature";
import { FORWARD_RETRY } from "../../functions/settings";
import type { DeliveryAttempt } from "../../functions/table/deliveries";

const secret = generateSigningSecret();
const event: CallbackEvent = {
  id: "evt_abc",
  type: "sms.incoming",
  version: 1,
  receivedAt: "2026-12-06T10:00:00.000Z",
  stage: "local",
  data: {
    id: "ATXid_1",
    from: "+254711000111",
    to: "12345",
    text: "hello",
    date: "2026-12-06 10:00:00",
    linkId: "L1",
  },
};
const body = JSON.stringify(event);

/** An endpoint answering with whatever the test sets, keeping what it received. */
let answer: { status: number; headers?: Record<string, string>; delayMs?: number } = {
  status: 200,
};
const received: { headers: IncomingHttpHeaders; body: string }[] = [];
let server: Server;
let url: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    let text = "";
    req.on("data", (c) => {
      text += c;
    });
    req.on("end", () => {
      received.push({ headers: req.headers, body: text });
      setTimeout(() => {
        res.writeHead(answer.status, answer.headers).end(`answer ${answer.status}`);
      }, answer.delayMs ?? 0);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
});
afterAll(() => {
  server.closeAllConnections();
  server.close();
});

function deps(overrides: Partial<ForwardDeps> = {}) {
  const attempts: DeliveryAttempt[] = [];
  const deadLetters: string[] = [];
  const d: ForwardDeps = {
    endpoint: { name: "crm", url },
    signingKeys: async () => parseSigningSecrets(secret),
    deliveries: { recordAttempt: async (a) => void attempts.push(a) },
    deadLetter: async (b) => void deadLetters.push(b),
    fetch,
    retry: FORWARD_RETRY.aws,
    attemptTimeoutMs: 10_000,
    ttlDays: undefined,
    now: () => new Date(),
    random: () => 0.5,
    ...overrides,
  };
  return { d, attempts, deadLetters };
}
const first = { attempt: 1, firstAttemptAt: new Date(), remainingMs: 30_000 };

describe("forwarding one event", () => {
  it("posts the event's exact body, signed, and records it delivered on a 2xx", async () => {
    answer = { status: 204 };
    received.length = 0;
    const { d, attempts } = deps();
    const outcome = await forwardEvent({ event, body }, first, d);
    expect(outcome).toMatchObject({ outcome: "delivered", status: 204 });
    const [got] = received;
    expect(got?.body).toBe(body);
    expect(got?.headers["content-type"]).toBe("application/json");
    expect(got?.headers["webhook-id"]).toBe("evt_abc");
    expect(
      new Webhook(secret).verify(got?.body ?? "", got?.headers as Record<string, string>),
    ).toEqual(event);
    expect(attempts).toMatchObject([
      { atId: "ATXid_1", endpoint: "crm", eventId: "evt_abc", state: "delivered", status: 204 },
    ]);
  });

  it.each([408, 409, 429, 500, 503])(
    "retries a %i after a delay, keeping the answer",
    async (status) => {
      answer = { status };
      const { d, attempts, deadLetters } = deps();
      const outcome = await forwardEvent({ event, body }, { ...first, attempt: 3 }, d);
      // Full jitter: half of base × 2^(3-1).
      expect(outcome).toMatchObject({ outcome: "retry", status, delaySeconds: 60 });
      expect(attempts[0]).toMatchObject({
        state: "retrying",
        status,
        response: `answer ${status}`,
      });
      expect(deadLetters).toEqual([]);
    },
  );

  it.each([400, 401, 404, 410, 422])(
    "sends a %i to the dead-letter queue at once",
    async (status) => {
      answer = { status };
      const { d, attempts, deadLetters } = deps();
      const outcome = await forwardEvent({ event, body }, first, d);
      expect(outcome).toMatchObject({ outcome: "dead-lettered", status });
      expect(attempts[0]).toMatchObject({
        state: "failed",
        status,
        error: `HTTP ${status}: refused by the endpoint`,
      });
      expect(deadLetters).toEqual([body]);
    },
  );

  it("does not follow a redirect, and says so", async () => {
    answer = { status: 301, headers: { location: "https://elsewhere.example/hook" } };
    received.length = 0;
    const { d, deadLetters } = deps();
    const outcome = await forwardEvent({ event, body }, first, d);
    expect(outcome).toMatchObject({ outcome: "dead-lettered", status: 301 });
    expect(outcome.outcome === "dead-lettered" && outcome.error).toMatch(
      /redirect to https:\/\/elsewhere.example\/hook not followed/,
    );
    expect(received).toHaveLength(1);
    expect(deadLetters).toHaveLength(1);
  });

  it("retries an endpoint that does not answer in time, or cannot be reached", async () => {
    answer = { status: 200, delayMs: 2_500 };
    const slow = deps({ attemptTimeoutMs: 1_000 });
    expect(await forwardEvent({ event, body }, first, slow.d)).toMatchObject({
      outcome: "retry",
      error: "no answer within 1 s",
    });
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise((resolve) => closed.close(resolve));
    const down = deps({ endpoint: { name: "crm", url: `http://127.0.0.1:${port}/hook` } });
    expect(await forwardEvent({ event, body }, first, down.d)).toMatchObject({
      outcome: "retry",
      error: "connection failed: ECONNREFUSED",
    });
  });

  it("gives up by the first attempt's age, not the number of attempts", async () => {
    answer = { status: 503 };
    const { d, deadLetters, attempts } = deps();
    const dayAndMore = new Date(Date.now() - FORWARD_RETRY.aws.giveUpAfterSeconds * 1000);
    const outcome = await forwardEvent(
      { event, body },
      { ...first, attempt: 40, firstAttemptAt: dayAndMore },
      d,
    );
    expect(outcome).toMatchObject({ outcome: "dead-lettered", status: 503 });
    expect(attempts[0]?.state).toBe("failed");
    expect(deadLetters).toEqual([body]);
  });
});

describe("the retry schedule", () => {
  const start = new Date("2026-12-06T00:00:00Z");
  const at = (seconds: number) => new Date(start.getTime() + seconds * 1000);

  it("retries on AWS for at least 24 hours, each delay within SQS's 12-hour visibility cap", () => {
    const { aws } = FORWARD_RETRY;
    expect(aws.giveUpAfterSeconds).toBeGreaterThanOrEqual(24 * 3600);
    expect(aws.maxDelaySeconds).toBeLessThanOrEqual(12 * 3600);
    // The worst case (every draw the longest delay) still keeps retrying past a day.
    let elapsed = 0;
    let attempt = 1;
    for (;;) {
      const delay = retryDelaySeconds(aws, attempt, start, at(elapsed), () => 1);
      if (delay === undefined) break;
      elapsed += delay;
      attempt += 1;
    }
    expect(elapsed).toBeGreaterThanOrEqual(24 * 3600);
  });

  it("locally, the first three attempts fall within 15 s whatever the jitter", () => {
    const { local } = FORWARD_RETRY;
    const worst = [1, 2].map(
      (attempt) => retryDelaySeconds(local, attempt, start, start, () => 1) ?? 0,
    );
    expect(worst.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(15);
  });

  it("draws delays over the whole range (full jitter), never below a second", () => {
    const { aws } = FORWARD_RETRY;
    expect(retryDelaySeconds(aws, 5, start, start, () => 0)).toBe(1);
    expect(retryDelaySeconds(aws, 5, start, start, () => 1)).toBe(30 * 16);
    expect(retryDelaySeconds(aws, 50, start, start, () => 1)).toBe(aws.maxDelaySeconds);
  });

  it("classifies answers", () => {
    expect(classifyAnswer(200, "", null).kind).toBe("delivered");
    expect(classifyAnswer(299, "", null).kind).toBe("delivered");
    expect(classifyAnswer(302, "", null).kind).toBe("final");
    expect(classifyAnswer(429, "", null).kind).toBe("retry");
    expect(classifyAnswer(599, "", null).kind).toBe("retry");
    expect(classifyAnswer(403, "", null).kind).toBe("final");
  });
});
