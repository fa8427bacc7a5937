import { type DynamoDBDocumentClient, GetCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LONGEST_MESSAGE_LIFE_DAYS, MESSAGE_LINK_TTL_DAYS } from "../../functions/settings";
import { messageLinkKey, TABLE } from "../../functions/table/keys";
import { dynamoReplies } from "../../functions/table/replies";
import { type LocalServices, startServices } from "../../local/services";
import { localDocuments, testServiceOptions } from "../support/local";

let services: LocalServices;
let documents: DynamoDBDocumentClient;
beforeAll(async () => {
  services = await startServices(testServiceOptions());
  documents = localDocuments(services.dynamodbEndpoint);
});
afterAll(async () => {
  documents?.destroy();
  await services?.stop();
});

// Synth refusing a record TTL shorter than the queues' retention: test/infra/config.test.ts.
describe("what at-most-once replies rely on outlives every queued message", () => {
  it("gives every message link an expiry, later than any redrive", async () => {
    const replies = dynamoReplies(documents, services.tableName);
    const before = Math.floor(Date.now() / 1000);
    await replies.linkMessage("ATXid_linked1", {
      inboundId: "ATXid_in1",
      from: "20880",
      to: "+254711000111",
    });
    const { Item } = await documents.send(
      new GetCommand({ TableName: services.tableName, Key: messageLinkKey("ATXid_linked1") }),
    );
    const expiresAt = Number(Item?.[TABLE.ttlAttribute]);
    expect(expiresAt).toBeGreaterThanOrEqual(before + MESSAGE_LINK_TTL_DAYS * 86_400);
    expect(expiresAt).toBeLessThan(before + MESSAGE_LINK_TTL_DAYS * 86_400 + 120);
    expect(MESSAGE_LINK_TTL_DAYS).toBeGreaterThanOrEqual(LONGEST_MESSAGE_LIFE_DAYS);
    expect(await replies.replyForMessage("ATXid_linked1")).toEqual({
      inboundId: "ATXid_in1",
      from: "20880",
      to: "+254711000111",
    });
  });
});
