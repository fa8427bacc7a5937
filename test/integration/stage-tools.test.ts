import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { suppressions } from "../../scripts/commands/suppressions";
import { resolveTable } from "../../scripts/local-state";
import { startTestStack, type TestStack } from "../support/local";
import { runScript } from "../support/run-script";

/**
 * `records` and `suppressions` find a deployed stage's table from its stack outputs, as `urls`,
 * `smoke`, `simulate` and `dlq` find theirs. Offline: a recorded describe-stacks answer stands
 * for AWS's, and `--endpoint` points the DynamoDB client at the local stack's table.
 */
const RECORDED = "test/infra/recorded/describe-stacks-prod.json";

let t: TestStack;
let dir: string;
let describeStacks: string;

beforeAll(async () => {
  t = await startTestStack();
  dir = mkdtempSync(join(tmpdir(), "stage-tools-"));
  describeStacks = join(dir, "describe-stacks.json");
  writeFileSync(
    describeStacks,
    JSON.stringify({
      Stacks: [
        {
          StackName: "AtCallbacks-dev",
          Outputs: [
            { OutputKey: "TableName", OutputValue: t.stack.services.tableName },
            {
              OutputKey: "CallbackKeySecretArn",
              OutputValue:
                "arn:aws:secretsmanager:af-south-1:123456789012:secret:CallbackKey-AbCdEf",
            },
          ],
        },
      ],
    }),
  );
});
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await t?.stop();
});

const stageArgs = () => [
  "--stage",
  "dev",
  "--describe-stacks",
  describeStacks,
  "--endpoint",
  t.stack.services.dynamodbEndpoint,
];

describe("--stage on the table tools", () => {
  it("reads the stage's table name and region from its outputs (--region overrides)", async () => {
    const prod = resolveTable({ stage: "prod", "describe-stacks": RECORDED });
    expect(prod.tableName).toBe("AtCallbacks-prod-Records6E1D1A4B-1QW2E3R4T5Y6U");
    expect(await prod.client.config.region()).toBe("eu-west-1");
    const elsewhere = resolveTable({
      stage: "prod",
      "describe-stacks": RECORDED,
      region: "us-east-1",
    });
    expect(await elsewhere.client.config.region()).toBe("us-east-1");
    expect(() => resolveTable({ stage: "staging", "describe-stacks": RECORDED })).toThrow(
      /no stack AtCallbacks-staging/,
    );
    expect(() =>
      resolveTable({ stage: "prod", "describe-stacks": RECORDED, table: "other" }),
    ).toThrow(/--stage or --table, not both/);
  });

  it("npm run records -- --stage lists the stage's records", { timeout: 60_000 }, async () => {
    const posted = await t.post("/api/sms/opt-out", "senderId=StageKE&phoneNumber=%2B254711000301");
    expect(posted.status).toBe(200);
    await expect
      .poll(() => t.records({ phone: "+254711000301" }), { timeout: 15_000 })
      .toHaveLength(1);
    const { code, stdout, stderr } = await runScript("scripts/records.ts", [
      ...stageArgs(),
      "--phone",
      "+254711000301",
    ]);
    expect(stderr).toBe("");
    expect(code).toBe(0);
    expect(stdout).toMatch(/sms\.optout .*\+254711000301 .*senderId=StageKE/);
  });

  it("npm run suppressions -- --stage lists and lifts on the stage's table", async () => {
    await t.post("/api/sms/opt-out", "senderId=StageUG&phoneNumber=%2B254711000302");
    const out: string[] = [];
    const list = async () => {
      out.length = 0;
      await suppressions(
        ["list", "--phone", "+254711000302", ...stageArgs()],
        (l) => out.push(l),
        resolveTable,
      );
      return out.join("\n");
    };
    await expect.poll(list, { timeout: 15_000 }).toMatch(/\+254711000302 {2}sender=StageUG/);
    out.length = 0;
    expect(
      await suppressions(
        ["lift", "+254711000302", ...stageArgs()],
        (l) => out.push(l),
        resolveTable,
      ),
    ).toBe(0);
    expect(out[0]).toMatch(/^lifted: \+254711000302 sender=StageUG/);
    expect(await list()).toBe("no suppressions");
  });
});
