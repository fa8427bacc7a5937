import { ConditionalCheckFailedException, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { describe, expect, it } from "vitest";
import { dynamoPendingTransactions } from "../../functions/table/airtime-pending";
import { TABLE_ACCESS } from "../../infra/constructs/route-function";

/**
 * The grant follows the code: every DynamoDB call airtime validation makes is one its role may
 * make (stack.test.ts asserts the role holds exactly TABLE_ACCESS). A change to the pending
 * store that needs another action fails here, not with AccessDenied on AWS.
 */
describe("airtime validation's table access", () => {
  it("covers every call the pending store makes while validating, matched or not", async () => {
    const calls: string[] = [];
    const client = new DynamoDBClient({
      region: "eu-west-1",
      credentials: { accessKeyId: "x", secretAccessKey: "x" },
    });
    client.middlewareStack.add(
      (_next, context) => async () => {
        const name = String(context.commandName).replace(/Command$/, "");
        calls.push(`dynamodb:${name}`);
        if (name === "UpdateItem") {
          // Not registered: the conditional write fails and the store reads to say why.
          throw new ConditionalCheckFailedException({ message: "no", $metadata: {} });
        }
        return { output: { $metadata: {} } as never, response: {} };
      },
      { step: "initialize", name: "recordCalls" },
    );
    const store = dynamoPendingTransactions(DynamoDBDocumentClient.from(client), "t");
    const reason = await store.validate("ATQid_1", {
      phoneNumber: "+254711000111",
      currencyCode: "KES",
      amount: 100,
    });
    expect(reason).toMatch(/no pending request/);
    expect(calls).toEqual(["dynamodb:UpdateItem", "dynamodb:GetItem"]);
    for (const call of calls) expect(TABLE_ACCESS["airtime-pending"].actions).toContain(call);
  });
});
