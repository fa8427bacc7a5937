import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { LOCAL_CREDENTIALS, LOCAL_REGION } from "../../local/constants";
import { ROOT, startUserStack, type UserStack } from "./user";

const SCREENSHOT = join(ROOT, "test-results", "inspector.png");
let user: UserStack;
let browser: Browser;
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
  page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
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
const rows = () => page.locator('[data-testid="entries"] tr');

it("shows callbacks live, their detail, a replay that de-duplicates, filters and dead letters", async () => {
  await page.goto(user.state.inspectorUrl);
  await expect.poll(() => page.getByTestId("status").textContent()).toBe("live");
  expect(await rows().count()).toBe(0);

  // Live: rows appear without a reload, newest first, and settle to their outcome.
  const simulated = await user.run("simulate", [
    "sms",
    "--from",
    "+254711000401",
    "--text",
    "hello inspector",
  ]);
  expect(simulated.code).toBe(0);
  await post("/api/sms/opt-out", "phoneNumber=%2B254711000402"); // refused: senderId missing
  await expect.poll(() => rows().count(), { timeout: 10_000 }).toBe(3);
  const first = rows().first();
  expect(await first.getAttribute("data-route")).toBe("sms-opt-out");
  expect(await first.getAttribute("data-outcome")).toBe("refused");
  const sms = page.locator('tr[data-route="sms-twoway"]');
  await expect.poll(() => sms.getAttribute("data-outcome"), { timeout: 10_000 }).toBe("recorded");
  expect(await sms.textContent()).toContain("+2547*****401");

  // Detail: the request as received, the answer, the record, the reply and its delivery status.
  await sms.click();
  const detail = page.getByTestId("detail");
  await expect.poll(() => detail.textContent()).toContain("Request as received");
  const text = (await detail.textContent()) ?? "";
  expect(text).toContain("from=%2B254711000401");
  expect(text).toContain("text=hello+inspector");
  expect(text).toContain("Answer (200");
  expect(text).toContain("GOOD");
  expect(text).toContain('"type": "sms.incoming"');
  await expect
    .poll(async () => (await page.getByTestId("reply").textContent()) ?? "")
    .toMatch(/^sent, messageId ATXid_local_\w+; delivery: Success$/);

  // Replay: the same request again, answered GOOD, and recorded as a duplicate.
  await page.getByTestId("replay").click();
  await expect.poll(() => detail.textContent()).toContain("replayed: 200 GOOD");
  await expect.poll(() => rows().count()).toBe(4);
  expect(await rows().first().getAttribute("data-route")).toBe("sms-twoway");
  await expect
    .poll(() => rows().first().getAttribute("data-outcome"), { timeout: 10_000 })
    .toBe("duplicate");
  expect(await rows().first().textContent()).toMatch(/duplicate \(replay of #\d+\)/);

  // Filters: by route, then by phone.
  await page.getByTestId("filter-route").selectOption("sms-delivery-reports");
  expect(await rows().count()).toBe(1);
  await page.getByTestId("filter-route").selectOption("");
  await page.getByTestId("filter-phone").fill("+254711000402");
  expect(await rows().count()).toBe(1);
  expect(await rows().first().getAttribute("data-route")).toBe("sms-opt-out");
  await page.getByTestId("filter-phone").fill("");

  // Dead letters: a poison message shows up on its own, and the redrive button moves it back.
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

  mkdirSync(join(ROOT, "test-results"), { recursive: true });
  await page.getByTestId("filter-route").selectOption("");
  await rows().last().click();
  await page.screenshot({ path: SCREENSHOT, fullPage: true });
});
