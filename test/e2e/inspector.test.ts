import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { DynamoDBDocumentClient, PutCommand } from "@aws-sdk/lib-dynamodb";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { LOCAL_CREDENTIALS, LOCAL_REGION } from "../../local/constants";
import { ROOT, startUserStack, type UserStack } from "./user";

const SHOTS = join(ROOT, "test-results");
let user: UserStack;
let browser: Browser;
let context: BrowserContext;
let page: Page;

beforeAll(async () => {
  [user, browser] = await Promise.all([
    startUserStack(),
    chromium.launch({
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      headless: true,
      args: ["--no-sandbox"],
    }),
  ]);
  mkdirSync(SHOTS, { recursive: true });
  context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  await context.grantPermissions(["clipboard-read", "clipboard-write"], {
    origin: user.state.inspectorUrl,
  });
  page = await context.newPage();
});
afterAll(async () => {
  await browser?.close();
  expect(await user?.stop()).toBe(0);
});

const post = (path: string, body: string) =>
  fetch(`${user.state.url}${path}?key=${user.state.callbackKey}`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body,
  });
const rows = (p = page) => p.locator('[data-testid="entries"] tr');
const cells = (route: string, p = page) =>
  p.locator(`tr[data-route="${route}"] td.summary`).allTextContents();
const detailText = async (p = page) => (await p.getByTestId("detail").textContent()) ?? "";
const boxOf = async (p: Page, testid: string) => {
  const box = await p.getByTestId(testid).boundingBox();
  if (!box) throw new Error(`${testid} is not visible`);
  return box;
};

it("answers at a glance: summaries, decoded fields, reply, curl, replay and edit", async () => {
  await page.goto(user.state.inspectorUrl);
  await expect.poll(() => page.getByTestId("status").textContent()).toBe("live");
  expect(await rows().count()).toBe(0);

  // A national number, as a person types it; the simulator normalises it with country 254.
  const sms = await user.run("simulate", [
    "sms",
    "--from",
    "0711000401",
    "--text",
    "hello inspector",
  ]);
  expect(sms.code, sms.stderr).toBe(0);
  const ussd = await user.run("simulate", ["ussd", "--phone", "+254711000403", "--input", "1"]);
  expect(ussd.stdout).toContain("(no answer: the session times out)");
  await post("/api/sms/opt-out", "phoneNumber=%2B254711000402"); // refused: senderId missing

  // The summary column: what was typed, the screen answered, the status reported.
  await expect.poll(() => cells("sms-twoway")).toEqual(["“hello inspector” → 20880"]);
  expect(await cells("sms-delivery-reports")).toEqual(["delivery Success"]);
  const screens = await cells("ussd-session");
  expect(screens).toHaveLength(2);
  expect(screens[1]).toMatch(/^dial \*384\*1# → CON \S/);
  expect(screens[0]).toMatch(/^input 1 → (CON|END) \S/);
  expect(await cells("ussd-status")).toEqual(["session Incomplete, input 1"]);
  const first = rows().first();
  expect(await first.getAttribute("data-route")).toBe("sms-opt-out");
  expect(await first.getAttribute("data-outcome")).toBe("refused");
  const smsRow = page.locator('tr[data-route="sms-twoway"]');
  await expect
    .poll(() => smsRow.getAttribute("data-outcome"), { timeout: 15_000 })
    .toBe("recorded");
  expect(await smsRow.textContent()).toContain("+2547*****401");

  // Detail: decoded fields, and the reply with its delivery status in view without scrolling.
  await smsRow.click();
  await expect.poll(() => detailText()).toContain("Fields (decoded)");
  const fields = (await page.getByTestId("fields").textContent()) ?? "";
  expect(fields).toContain("from+254711000401");
  expect(fields).toContain("texthello inspector");
  expect(fields).not.toContain("%2B");
  await expect
    .poll(async () => (await page.getByTestId("reply").textContent()) ?? "")
    .toMatch(/^sent, messageId ATXid_local_\w+; delivery: Success$/);
  const reply = await boxOf(page, "reply");
  expect(reply.y + reply.height).toBeLessThanOrEqual(900);
  // The stored record leads with its payload; keys and index keys are folded away.
  const record = page.getByTestId("record");
  expect(await record.locator("details").first().getAttribute("open")).toBeNull();
  expect(await record.locator("dl").first().isVisible()).toBe(true);
  expect(await page.getByText('"typePk"').isVisible()).toBe(false);
  await page.screenshot({ path: join(SHOTS, "inspector-1400.png") });

  // Copy as curl: the key stays a variable, in the clipboard and anywhere on the page.
  await page.getByTestId("copy-curl").click();
  await expect.poll(() => page.getByTestId("replay-result").textContent()).toContain("curl copied");
  const copied = String(await page.evaluate("navigator.clipboard.readText()"));
  expect(copied).toMatch(
    /^curl -X POST 'http:\/\/127\.0\.0\.1:\d+\/api\/sms\/twoway\?key='"\$CALLBACK_KEY"/,
  );
  expect(copied).toContain("--data-raw 'date=");
  expect(copied).not.toContain(user.state.callbackKey);
  expect(await page.content()).not.toContain(user.state.callbackKey);

  // Replay: the same request again, answered GOOD, and recorded as a duplicate.
  const before = await rows().count();
  await page.getByTestId("replay").click();
  await expect.poll(() => detailText()).toContain("replayed: 200 GOOD");
  await expect.poll(() => rows().count()).toBe(before + 1);
  await expect
    .poll(() => rows().first().getAttribute("data-outcome"), { timeout: 10_000 })
    .toBe("duplicate");
  expect(await rows().first().textContent()).toMatch(/duplicate \(replay of #\d+\)/);

  // Edit and replay: a new AT id and text make a new message, recorded with its own reply.
  const original = smsRow.last();
  const seq = await original.getAttribute("data-seq");
  await original.click();
  // The detail of that row (not the one shown before the click) is in place before editing.
  await expect.poll(() => detailText()).toMatch(new RegExp(`^#${seq} sms-twoway`));
  await page.getByTestId("edit").click();
  const form = page.getByTestId("edit-form");
  await form.locator('input[name="id"]').fill("ATXid_edited01");
  await form.locator('input[name="text"]').fill("edited * text");
  await page.getByTestId("replay-edited").click();
  await expect
    .poll(() => page.getByTestId("replay-result").textContent())
    .toBe(" replayed: 200 GOOD");
  const edited = page.locator('tr[data-route="sms-twoway"]', { hasText: "ATXid_edited01" });
  await expect
    .poll(() => edited.getAttribute("data-outcome"), { timeout: 10_000 })
    .toBe("recorded");
  expect(await edited.locator("td.summary").textContent()).toBe("“edited * text” → 20880");

  // Filters: by route, then by a national number.
  await page.getByTestId("filter-route").selectOption("sms-delivery-reports");
  expect(await rows().count()).toBe(1);
  await page.getByTestId("filter-route").selectOption("");
  await page.getByTestId("filter-phone").fill("0711000402");
  await expect.poll(() => rows().count()).toBe(1);
  expect(await rows().first().getAttribute("data-route")).toBe("sms-opt-out");
  await page.getByTestId("filter-phone").fill("");
  await expect.poll(() => rows().count()).toBeGreaterThan(1);
});

it("shows dead letters, and a dead-lettered row with the worker's error and stack", {
  timeout: 120_000,
}, async () => {
  // A poison message shows up on its own, and the redrive button moves it back.
  const sqs = new SQSClient({
    endpoint: user.state.sqsEndpoint,
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
    useQueueUrlAsEndpoint: false,
  });
  await sqs.send(
    new SendMessageCommand({
      QueueUrl: user.state.eventsQueueUrl,
      MessageBody: '{"v":1,"type":"sms.incoming"}',
    }),
  );
  sqs.destroy();
  const deadLetters = page.getByTestId("dead-letters");
  await expect
    .poll(() => deadLetters.textContent(), { timeout: 30_000 })
    .toMatch(/unreadable: envelope id: /);
  await page.getByTestId("redrive").click();
  await expect
    .poll(() => page.getByTestId("dlq-status").textContent(), { timeout: 10_000 })
    .toBe("Moved 1 message(s) back to their queues.");

  // An item in the way of the record that is not a record: every receive fails on it.
  const documents = DynamoDBDocumentClient.from(
    new DynamoDBClient({
      endpoint: user.state.dynamodbEndpoint,
      region: LOCAL_REGION,
      credentials: LOCAL_CREDENTIALS,
    }),
  );
  await documents.send(
    new PutCommand({
      TableName: user.state.tableName,
      Item: { pk: "ID#ATXid_broken02", sk: "sms.incoming#ATXid_broken02", junk: "yes" },
    }),
  );
  documents.destroy();
  const sent = await post(
    "/api/sms/twoway",
    "date=2026-12-06+04%3A00%3A00&from=%2B254711000405&id=ATXid_broken02&text=never+recorded&to=20880&networkCode=63902",
  );
  expect(sent.status).toBe(200);
  const broken = page.locator('tr[data-route="sms-twoway"]', { hasText: "ATXid_broken02" });
  await expect
    .poll(() => broken.getAttribute("data-outcome"), { timeout: 10_000 })
    .toMatch(/^(retrying|dead-lettered)$/);
  await broken.click();
  await expect
    .poll(async () => (await page.getByTestId("error").textContent()) ?? "")
    .toContain("Error: not a record item: type: Invalid key");
  // Five receives, a visibility timeout apart, then the watcher's next look: slow on a busy machine.
  await expect
    .poll(() => broken.getAttribute("data-outcome"), { timeout: 60_000 })
    .toBe("dead-lettered");
  await expect
    .poll(async () => (await page.getByTestId("outcome").textContent()) ?? "")
    .toMatch(/^dead-lettered: /);
  const stack = (await page.getByTestId("error-stack").textContent()) ?? "";
  expect(stack).toMatch(/\n\s+at .*record-store\.ts/);
  expect(await page.getByTestId("error").textContent()).toMatch(/receive 5\)/);
  await page.screenshot({ path: join(SHOTS, "inspector-error-1400.png") });
});

it("fits an 800 px window: the list above the detail, nothing under anything", async () => {
  const narrow = await context.newPage();
  await narrow.setViewportSize({ width: 800, height: 900 });
  await narrow.goto(user.state.inspectorUrl);
  await expect.poll(() => narrow.getByTestId("status").textContent()).toBe("live");
  await narrow.locator('tr[data-route="sms-twoway"]').last().click();
  await expect
    .poll(async () => (await narrow.getByTestId("reply").textContent()) ?? "")
    .toMatch(/delivery: Success$/);
  const list = await boxOf(narrow, "list");
  const detail = await boxOf(narrow, "detail");
  const overlap =
    list.x < detail.x + detail.width &&
    detail.x < list.x + list.width &&
    list.y < detail.y + detail.height &&
    detail.y < list.y + list.height;
  expect(overlap).toBe(false);
  for (const box of [list, detail]) expect(box.x + box.width).toBeLessThanOrEqual(800);
  // The table fits its pane: no column hidden under another pane or off to the right.
  const table = await narrow.locator('[data-testid="list"] table').boundingBox();
  expect(table && table.x + table.width).toBeLessThanOrEqual(list.x + list.width);
  // The summary column is there at this width too.
  expect(await narrow.locator("th", { hasText: "Summary" }).isVisible()).toBe(true);
  await narrow.screenshot({ path: join(SHOTS, "inspector-800.png"), fullPage: true });
  await narrow.close();
});

it("settles every row, however many there are", async () => {
  const start = await rows().count();
  for (let i = 0; i < 60; i++) {
    const id = `ATXid_many${String(i).padStart(3, "0")}`;
    const r = await post(
      "/api/sms/delivery-reports",
      `id=${id}&status=Success&phoneNumber=%2B254711000404&networkCode=63902&retryCount=0`,
    );
    expect(r.status).toBe(200);
  }
  await expect.poll(() => rows().count()).toBe(start + 60);
  await expect
    .poll(() => page.locator('tr[data-outcome="queued"]').count(), { timeout: 30_000 })
    .toBe(0);
  expect(
    await page.locator('tr[data-route="sms-delivery-reports"][data-outcome="recorded"]').count(),
  ).toBeGreaterThanOrEqual(61);
});
