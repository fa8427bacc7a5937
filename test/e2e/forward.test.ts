import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateSigningSecret } from "../../functions/forward/signature";
import { CALLBACK_TYPES } from "../../functions/model/callbacks";
import { allFixtures, INVALID_VARIANT } from "../support/fixtures";
import { routePath } from "../support/local";
import { listen, webhookReceiver } from "../support/webhook-receiver";
import { startUserStack, type UserStack } from "./user";

/**
 * `npm start -- --forward-to URL` as a user runs it, against receivers that fail the way real
 * ones do; every delivery is verified with the standardwebhooks package.
 */
const secret = generateSigningSecret();
const DOWN_MS = 20_000;

type Name = "flaky" | "gone" | "down" | "crm";
const got: Record<Name, { id: string; type: string; status: number }[]> = {
  flaky: [],
  gone: [],
  down: [],
  crm: [],
};
/** The event types of the endpoint named with a filter, as a stage's forwardTo names one. */
const CRM_TYPES = ["sms.incoming", "sms.optout"];
const badSignatures: string[] = [];

const attemptsOf = new Map<string, number>();
const receiver = () =>
  webhookReceiver(
    secret,
    ({ name, id, event }) => {
      let status = 200;
      if (name === "gone") status = 410;
      if (name === "flaky") {
        const n = (attemptsOf.get(id) ?? 0) + 1;
        attemptsOf.set(id, n);
        status = n <= 2 ? 503 : 200;
      }
      got[name as Name].push({ id, type: event.type, status });
      return status;
    },
    (message) => badSignatures.push(message),
  );

const main = receiver();
const late = receiver();
let latePort: number;
let user: UserStack;

beforeAll(async () => {
  const port = await listen(main);
  latePort = await listen(late);
  await new Promise((resolve) => late.close(resolve));
  user = await startUserStack({
    args: [
      "--forward-to",
      `http://127.0.0.1:${port}/flaky`,
      "--forward-to",
      `http://127.0.0.1:${port}/gone`,
      "--forward-to",
      `http://127.0.0.1:${latePort}/down`,
      "--forward-to",
      `crm[${CRM_TYPES.join(",")}]=http://127.0.0.1:${port}/crm`,
    ],
    env: { FORWARD_SECRET: secret },
  });
});
afterAll(async () => {
  await user?.stop();
  main.closeAllConnections();
  main.close();
  late.closeAllConnections();
  late.close();
});

const accepted = (name: Name) =>
  [...new Set(got[name].filter((d) => d.status === 200).map((d) => d.id))].sort();

describe("npm start -- --forward-to", () => {
  it("delivers every event of all 11 routes through 503s and an outage, and dead-letters a 410", async () => {
    expect(user.output()).toContain(`Signing secret ${secret}`);
    const sentAt = Date.now();
    for (const fixture of allFixtures().filter((f) => !INVALID_VARIANT.test(f.variant))) {
      const res = await fetch(
        `${user.state.url}${routePath(fixture.route)}?key=${user.state.callbackKey}`,
        { method: "POST", headers: { "content-type": fixture.contentType }, body: fixture.body },
      );
      expect(res.status, `${fixture.route}/${fixture.variant}`).toBeLessThan(300);
    }
    // The 410 endpoint sees every event: the full list, once it stops growing.
    let last = -1;
    await expect
      .poll(
        () => {
          // At least once: an id may come twice (a redelivered callback publishes again).
          const now = new Set(got.gone.map((d) => d.id)).size;
          const settled = now > 0 && now === last && accepted("flaky").length === now;
          last = now;
          return settled;
        },
        { timeout: 90_000, interval: 3_000 },
      )
      .toBe(true);
    const ids = [...new Set(got.gone.map((d) => d.id))].sort();
    expect(new Set(got.gone.map((d) => d.type))).toEqual(
      new Set([...CALLBACK_TYPES, "sms.reply.sent"]),
    );
    expect(accepted("flaky")).toEqual(ids);
    // The filtered endpoint: its types alone, every event of them.
    expect(user.output()).toContain(
      `(endpoint crm, queue forward-crm, only ${CRM_TYPES.join(", ")})`,
    );
    const crmIds = [
      ...new Set(got.gone.filter((d) => CRM_TYPES.includes(d.type)).map((d) => d.id)),
    ];
    expect(crmIds.length).toBeGreaterThan(1);
    await expect.poll(() => accepted("crm")).toEqual(crmIds.sort());
    expect(got.crm.every((d) => CRM_TYPES.includes(d.type))).toBe(true);
    for (const id of ids) {
      const statuses = got.flaky.filter((d) => d.id === id).map((d) => d.status);
      expect(statuses.slice(0, 3)).toEqual([503, 503, 200]);
    }
    // Each refused event reaches the dead-letter queue once its attempt is recorded.
    await expect
      .poll(
        async () => {
          const dlq = await user.run("dlq", ["list", "--queue", "forward-local-2", "--json"]);
          return dlq.stdout
            .trim()
            .split("\n")
            .filter(Boolean)
            .map((line) => (JSON.parse(line) as { type: string }).type)
            .sort();
        },
        { timeout: 30_000, interval: 1_000 },
      )
      .toEqual(got.gone.map((d) => d.type).sort());

    const downFor = sentAt + DOWN_MS - Date.now();
    if (downFor > 0) await new Promise((r) => setTimeout(r, downFor));
    expect(got.down).toEqual([]);
    await listen(late, latePort);
    await expect.poll(() => accepted("down"), { timeout: 60_000, interval: 500 }).toEqual(ids);
    expect(badSignatures).toEqual([]);

    // The inspector shows each delivery under its callback.
    const inspector = user.state.inspectorUrl;
    const exchanges = (await (await fetch(`${inspector}/api/exchanges`)).json()) as {
      seq: number;
      route: string;
    }[];
    const optOut = exchanges.find((x) => x.route === "sms-opt-out");
    if (!optOut) throw new Error("no opt-out in the inspector");
    const detail = (await (await fetch(`${inspector}/api/exchanges/${optOut.seq}`)).json()) as {
      deliveries: { endpoint: string; state: string; attempts: number; lastStatus: number }[];
    };
    expect(detail.deliveries.map((d) => [d.endpoint, d.state, d.lastStatus]).sort()).toEqual([
      ["crm", "delivered", 200],
      ["local", "delivered", 200],
      ["local-2", "failed", 410],
      ["local-3", "delivered", 200],
    ]);
    // Two 503s first (a redelivered callback may add an attempt: at least once).
    expect(detail.deliveries.find((d) => d.endpoint === "local")?.attempts).toBeGreaterThanOrEqual(
      3,
    );
    // One console line per attempt (at this log level, the retries).
    expect(user.output()).toMatch(
      /⇢ forward local\s+\S+\s+\S+ retry 503 \(attempt 1\): HTTP 503, retry in \d+ s/,
    );
  }, 240_000);
});
