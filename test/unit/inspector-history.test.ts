import { appendFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, expect, it } from "vitest";
import { openHistory } from "../../local/inspector/history";
import type { Exchange } from "../../local/stack";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
const scratch = () => {
  const dir = mkdtempSync(join(tmpdir(), "inspector-history-"));
  dirs.push(dir);
  return join(dir, "inspector.jsonl");
};
const exchange = (n: number): Exchange => ({
  requestId: `r${n}`,
  receivedAt: 1_796_000_000_000 + n,
  route: "sms-opt-out",
  method: "POST",
  path: "/api/sms/opt-out",
  query: "key=secret-key-123",
  headers: { "content-type": "application/x-www-form-urlencoded" },
  body: Buffer.from(`senderId=Brand${n}&phoneNumber=%2B254711000111`),
  statusCode: 200,
  answerHeaders: {},
  answer: "OK",
  durationMs: 3,
});

it("reads back the newest requests and their failures after a restart, never the key", async () => {
  const file = scratch();
  const first = openHistory(file, 3);
  for (let n = 1; n <= 5; n++) first.append({ seq: n, exchange: exchange(n) });
  const error = { name: "Error", message: "boom", stack: "Error: boom\n    at x" };
  first.append({ failure: { seq: 1, reply: false, receiveCount: 1, error } });
  first.append({ failure: { seq: 5, reply: false, receiveCount: 2, error } });
  await first.close();
  appendFileSync(file, '{"seq":6,"exchange":{"requ'); // a crash mid-line
  expect(readFileSync(file, "utf8")).not.toContain("secret-key-123");

  const second = openHistory(file, 3);
  await second.close();
  expect(second.lines.map((l) => ("failure" in l ? `failure ${l.failure.seq}` : l.seq))).toEqual([
    3,
    4,
    5,
    "failure 5",
  ]);
  const [kept] = second.lines;
  expect(kept && "exchange" in kept && kept.exchange.body.toString()).toBe(
    "senderId=Brand3&phoneNumber=%2B254711000111",
  );
  expect(kept && "exchange" in kept && kept.exchange.query).toBe("key=…");
});

it("rewrites the file as it grows, so it never holds more than a few times what is kept", async () => {
  const file = scratch();
  const history = openHistory(file, 10);
  for (let n = 1; n <= 200; n++) history.append({ seq: n, exchange: exchange(n) });
  await history.close();
  const lines = readFileSync(file, "utf8").trim().split("\n");
  expect(lines.length).toBeLessThanOrEqual(50);
  expect(JSON.parse(lines.at(-1) ?? "{}").seq).toBe(200);
});
