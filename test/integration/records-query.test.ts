import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, PutCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { queryRecords, type RecordFilter } from "../../functions/table/record-store";
import { encodeRecord, RECORD_TYPES, type RecordType } from "../../functions/table/records";
import { encodeNewReply } from "../../functions/table/replies";
import { LOCAL_CREDENTIALS, LOCAL_REGION } from "../../local/constants";
import { type LocalServices, startServices } from "../../local/services";
import { testServiceOptions } from "../support/local";

/**
 * The queries behind `npm run records`, against the embedded DynamoDB or, under
 * `npm run test:aws-local`, AWS's DynamoDB Local (which refuses what the real service refuses).
 */
let services: LocalServices;
let documents: DynamoDBDocumentClient;
/**
 * Query calls, the sequential waves they came in (a wave: calls in flight together, so one round
 * trip of latency), and the items DynamoDB sent back.
 */
const traffic = { calls: 0, waves: 0, inFlight: 0, returned: 0 };

const NOW = new Date("2026-11-30T12:00:00.000Z");
const at = (daysAgo: number, minute = 0) =>
  new Date(NOW.getTime() - daysAgo * 86_400_000 - minute * 60_000).toISOString();

beforeAll(async () => {
  services = await startServices(testServiceOptions());
  const client = new DynamoDBClient({
    endpoint: services.dynamodbEndpoint,
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
  });
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName !== "QueryCommand") return next(args);
      traffic.calls++;
      if (traffic.inFlight++ === 0) traffic.waves++;
      try {
        const result = await next(args);
        traffic.returned += (result.output as { Count?: number }).Count ?? 0;
        return result;
      } finally {
        traffic.inFlight--;
      }
    },
    { step: "initialize", name: "countQueries" },
  );
  documents = DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true },
  });
});
afterAll(async () => {
  documents.destroy();
  await services.stop();
});

const put = (type: RecordType, id: string, receivedAt: string, phoneNumber?: string) =>
  documents.send(
    new PutCommand({
      TableName: services.tableName,
      Item: encodeRecord({
        type,
        id,
        identity: id,
        receivedAt,
        route: "test",
        phones: phoneNumber ? { phoneNumber } : {},
        phoneNumber,
        payload: { id },
        recordedAt: receivedAt,
        ttlDays: undefined,
      }),
    }),
  );

const query = async (filter: Partial<RecordFilter>) => {
  Object.assign(traffic, { calls: 0, waves: 0, returned: 0 });
  const records = await queryRecords(documents, services.tableName, { limit: 20, ...filter }, NOW);
  const { calls, waves, returned } = traffic;
  return { ids: records.map((r) => r.id), calls, waves, returned };
};

const INDEXED_TYPES = RECORD_TYPES.length - 1;

describe("the default listing (no filter) on an empty table", () => {
  it("looks back a year a month at a time, every type of a month at once", async () => {
    const { ids, calls, waves } = await query({});
    expect(ids).toEqual([]);
    // Before: 13 months × 12 types, one Query after the other = 156 sequential round trips.
    // Replies are not indexed (they are read with their inbound messages): 11 types.
    expect(RECORD_TYPES.length).toBe(12);
    expect(calls).toBe(13 * INDEXED_TYPES);
    expect(waves).toBe(13);
  });
});

describe("records queries", () => {
  beforeAll(async () => {
    await Promise.all([
      put("sms.incoming", "ATXid_new", at(0, 1), "+254711000111"),
      put("sms.delivery", "ATXid_dlr", at(0, 2), "+254711000111"),
      put("ussd.end", "ATUid_end", at(0, 3), "+254711000111"),
      put("ussd.end", "ATUid_other", at(0, 4), "+254711000222"),
      put("voice.event", "ATVId_last_month", at(40), "+254711000111"),
      put("airtime.status", "ATQid_old", at(200)),
      ...Array.from({ length: 25 }, (_, i) =>
        put("sms.delivery", `ATXid_bulk${String(i).padStart(2, "0")}`, at(1, i), "+254711000333"),
      ),
    ]);
  });

  it("lists the newest first, stopping at the limit after one wave when this month has enough", async () => {
    const { ids, calls, waves, returned } = await query({ limit: 5 });
    expect(ids).toEqual(["ATXid_new", "ATXid_dlr", "ATUid_end", "ATUid_other", "ATXid_bulk00"]);
    expect({ calls, waves }).toEqual({ calls: INDEXED_TYPES, waves: 1 });
    // Limit on every query: 1 SMS, 5 of this month's 26 delivery reports, 2 USSD ends.
    expect(returned).toBe(8);
  });

  it("reaches back to older months when this one has too few", async () => {
    const { ids } = await query({ limit: 31 });
    expect(ids).toHaveLength(31);
    expect(ids.slice(-2)).toEqual(["ATVId_last_month", "ATQid_old"]);
  });

  it("filters by type, reading only that type's months", async () => {
    const { ids, calls } = await query({ type: "ussd.end" });
    expect(ids).toEqual(["ATUid_end", "ATUid_other"]);
    expect(calls).toBe(13);
  });

  it("filters by phone on the server (the index projects the number), with and without a type", async () => {
    expect((await query({ phone: "+254711000111" })).ids).toEqual([
      "ATXid_new",
      "ATXid_dlr",
      "ATUid_end",
      "ATVId_last_month",
    ]);
    // One index for every listing: a phone's records are found month by month, type by type.
    const both = await query({ phone: "+254711000111", type: "ussd.end" });
    expect(both).toEqual({ ids: ["ATUid_end"], calls: 13, waves: 13, returned: 1 });
  });

  it("stops reading a phone's records at the limit", async () => {
    const { ids, calls, returned } = await query({ phone: "+254711000333", limit: 3 });
    expect(ids).toEqual(["ATXid_bulk00", "ATXid_bulk01", "ATXid_bulk02"]);
    // This month's wave (every type at once) finds them; the delivery reports' partition is
    // read on, past the other number's report, until three are in hand.
    expect({ calls, returned }).toEqual({ calls: INDEXED_TYPES + 1, returned: 3 });
  });

  it("honours --since for every kind of query", async () => {
    const since = at(1, 10); // after bulk10 was received (bulk00 is the newest of the bulk)
    expect((await query({ since, type: "sms.delivery" })).ids).toEqual([
      "ATXid_dlr",
      ...Array.from({ length: 11 }, (_, i) => `ATXid_bulk${String(i).padStart(2, "0")}`),
    ]);
    expect((await query({ since, phone: "+254711000111" })).ids).toEqual([
      "ATXid_new",
      "ATXid_dlr",
      "ATUid_end",
    ]);
    expect((await query({ since: at(0, 3), id: "ATUid_end" })).ids).toEqual(["ATUid_end"]);
    expect((await query({ since: at(0, 2), id: "ATUid_end" })).ids).toEqual([]);
  });

  it("lists a reply with its inbound message, by type, phone and time, with its best delivery report", async () => {
    await put("sms.incoming", "ATXid_asked", at(0, 5), "+254711000444");
    const reply = encodeNewReply({
      inboundId: "ATXid_asked",
      receivedAt: at(0, 5),
      to: "+254711000444",
      from: "20880",
      message: "Thanks",
      now: at(0, 5),
      ttlDays: undefined,
    });
    await documents.send(
      new PutCommand({
        TableName: services.tableName,
        Item: { ...reply, state: "sent", messageId: "ATXid_answer" },
      }),
    );
    // Reports arrive out of order: the final one stands.
    const report = (status: string, minute: number) =>
      documents.send(
        new PutCommand({
          TableName: services.tableName,
          Item: encodeRecord({
            type: "sms.delivery",
            id: "ATXid_answer",
            identity: status,
            receivedAt: at(0, minute),
            route: "test",
            phones: {},
            phoneNumber: undefined,
            payload: { id: "ATXid_answer", status, phoneNumber: "+254711000444" },
            recordedAt: at(0, minute),
            ttlDays: undefined,
          }),
        }),
      );
    await report("Success", 0);
    await report("Sent", 0);
    for (const filter of [
      { type: "sms.reply" as const },
      { phone: "+254711000444", type: "sms.reply" as const },
      { id: "ATXid_asked", type: "sms.reply" as const },
      { since: at(0, 5), type: "sms.reply" as const },
    ]) {
      const records = await queryRecords(
        documents,
        services.tableName,
        { limit: 20, ...filter },
        NOW,
      );
      expect(records, JSON.stringify(filter)).toEqual([
        expect.objectContaining({
          type: "sms.reply",
          id: "ATXid_asked",
          deliveryStatus: "Success",
        }),
      ]);
    }
    const byPhone = await query({ phone: "+254711000444" });
    expect(byPhone.ids).toEqual(["ATXid_asked", "ATXid_asked"]);
  });
});
