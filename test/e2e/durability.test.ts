import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postLoad } from "../../bench/load";
import {
  recordsOf as recordsOfStack,
  type SpawnedStack,
  spawnStack,
} from "../../bench/spawned-stack";
import type { RecordItem } from "../../functions/table/records";
import { routePath } from "../support/local";

/**
 * `npm start --data-dir` killed with SIGKILL under load, then started again: every callback
 * answered 200 is recorded once, and each reply is sent at most once. Then a SIGTERM under load:
 * new callbacks get 503, what was acknowledged is recorded before the process exits.
 */
const KEY = "durability-key-0123456789";
const work = mkdtempSync(join(tmpdir(), "at-durability-"));
const dataDir = join(work, "data");
const since = new Date(Date.now() - 60_000).toISOString();
const running: SpawnedStack[] = [];

const start = async () => {
  const stack = await spawnStack(
    work,
    // The drain ends as soon as the queues are empty; the bound only matters on a machine so
    // busy that recording 100 callbacks takes more than a few seconds. On such a machine a
    // table call can time out: this test asks for the redelivery within the drain (5 s), where
    // the deployed visibility timeout (180 s) would hold the message past it.
    ["--port", "0", "--data-dir", dataDir, "--drain-seconds", "60", "--visibility-timeout", "5"],
    {
      CALLBACK_KEY: KEY,
      // A duplicate reply job backs off while another one sends: briefly, so drains are short.
      REPLY_RETRY_BASE_SECONDS: "1",
    },
  );
  running.push(stack);
  return stack;
};

afterAll(() => {
  for (const stack of running) stack.child.kill("SIGKILL");
  rmSync(work, { recursive: true, force: true });
});

/** Every 10th callback is a two-way SMS (which is answered with a reply), the rest delivery reports. */
const isSms = (i: number) => i % 10 === 0;
const requestTo = (stack: SpawnedStack, round: string) => ({
  url: (i: number) =>
    `${stack.url}${routePath(isSms(i) ? "sms-twoway" : "sms-delivery-reports")}?key=${KEY}`,
  body: (i: number) =>
    isSms(i)
      ? `from=%2B254711000111&to=20880&text=durable+${round}${i}&id=ATXid_${round}${i}&date=2026-11-30+10%3A30%3A00`
      : `id=ATXid_${round}${i}&status=Success&phoneNumber=%2B254711000111&retryCount=0`,
});

const recordsOf = (stack: SpawnedStack, type: RecordItem["type"]) =>
  recordsOfStack(stack, type, since);

const waitUntil = async (condition: () => Promise<boolean>, what: string, timeoutMs = 15_000) => {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
};

const acknowledged = { k: new Set<number>(), t: new Set<number>() };
let second: SpawnedStack;

// Each start is a hook of its own: a cold start on a busy machine takes seconds.
describe("the local stack with --data-dir, killed with SIGKILL under load", () => {
  let first: SpawnedStack;
  beforeAll(async () => {
    first = await start();
  }, 180_000);

  it("answers 200 until it is killed", async () => {
    const { statuses } = await postLoad({
      ...requestTo(first, "k"),
      concurrency: 10,
      total: 100_000,
      stop: () => first.child.exitCode !== null || first.child.signalCode !== null,
      onResponse: (i, status) => {
        if (status === 200) acknowledged.k.add(i);
        // Killed mid-load, with requests in flight and messages still queued.
        if (acknowledged.k.size === 150) first.child.kill("SIGKILL");
      },
    });
    expect(await first.exited).toBe("SIGKILL");
    expect(acknowledged.k.size).toBeGreaterThanOrEqual(150);
    expect(Object.keys(statuses).every((s) => s === "200" || s === "error")).toBe(true);
  }, 120_000);
});

describe("started again on the same --data-dir", () => {
  beforeAll(async () => {
    second = await start();
  }, 180_000);

  it("records every acknowledged callback once, and sends each reply at most once", async () => {
    const wantedReports = [...acknowledged.k].filter((i) => !isSms(i)).map((i) => `ATXid_k${i}`);
    const wantedSms = [...acknowledged.k].filter(isSms).map((i) => `ATXid_k${i}`);
    let reports: RecordItem[] = [];
    let sms: RecordItem[] = [];
    await waitUntil(async () => {
      reports = await recordsOf(second, "sms.delivery");
      sms = await recordsOf(second, "sms.incoming");
      const ids = new Set([...reports, ...sms].map((r) => r.id));
      return [...wantedReports, ...wantedSms].every((id) => ids.has(id));
    }, "every acknowledged callback to be recorded");
    // Once each (the table key is the AT id), and nothing that was never sent.
    expect(new Set(reports.map((r) => r.id)).size).toBe(reports.length);
    expect(reports.every((r) => /^ATXid_k\d+$/.test(r.id))).toBe(true);

    const replies = async () =>
      (await recordsOf(second, "sms.reply")).filter((r) => wantedSms.includes(r.id));
    await waitUntil(
      async () => (await replies()).length === wantedSms.length,
      "a reply record for every acknowledged SMS",
    );
    const outbox = second.output() + running[0]?.output();
    for (const id of wantedSms) {
      const sent = outbox.split(`response to: "durable ${id.slice(6)}"`).length - 1;
      expect(sent, id).toBeLessThanOrEqual(1);
    }
    expect(second.output()).toMatch(/Recovered \d+ queued message/);
  }, 120_000);

  it("refuses a second npm start in the same folder, leaving the first one's state alone", async () => {
    const before = readFileSync(join(work, ".local/stack.json"), "utf8");
    const refused = await spawnStack(work, ["--port", "0"], { CALLBACK_KEY: KEY }).then(
      () => "started",
      (error: Error) => error.message,
    );
    expect(refused).toMatch(/Another npm start is running in this checkout \(pid \d+/);
    expect(readFileSync(join(work, ".local/stack.json"), "utf8")).toBe(before);
  }, 120_000);

  it("on SIGTERM answers 503 to new callbacks, records what it acknowledged, then exits", async () => {
    let signalled = false;
    let refused = 0;
    const { statuses } = await postLoad({
      ...requestTo(second, "t"),
      concurrency: 10,
      total: 100_000,
      stop: () => refused >= 20 || second.child.exitCode !== null,
      onResponse: (i, status) => {
        if (status === 200) acknowledged.t.add(i);
        if (signalled && status === 503) refused++;
        if (acknowledged.t.size === 100 && !signalled) {
          signalled = true;
          second.child.kill("SIGTERM");
        }
      },
    });
    expect(statuses["503"]).toBeGreaterThanOrEqual(20);
    expect(await second.exited).toBe(0);
    // Reply jobs may be left (a duplicate job backs off while another sends): they are kept.
    expect(second.output()).toMatch(
      /Everything acknowledged is recorded|Left on the queues: 0 callback\(s\) not yet recorded/,
    );
    // Its drain (bounded at 60 s above) is part of what it waits for.
  }, 180_000);
});

describe("started a third time", () => {
  let third: SpawnedStack;
  beforeAll(async () => {
    third = await start();
  }, 180_000);

  it("has every callback acknowledged before the SIGTERM", async () => {
    const records = [
      ...(await recordsOf(third, "sms.delivery")),
      ...(await recordsOf(third, "sms.incoming")),
    ];
    const ids = new Set(records.map((r) => r.id));
    expect(acknowledged.t.size).toBeGreaterThanOrEqual(100);
    expect([...acknowledged.t].filter((i) => !ids.has(`ATXid_t${i}`))).toEqual([]);
    third.child.kill("SIGTERM");
    expect(await third.exited).toBe(0);
  }, 120_000);
});
