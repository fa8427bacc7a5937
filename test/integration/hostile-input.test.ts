import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { routePath, startTestStack, type TestStack } from "../support/local";

let local: TestStack;
beforeAll(async () => {
  local = await startTestStack();
});
afterAll(async () => {
  await local.stop();
});

const JSON_TYPE = "application/json";
const FORM_TYPE = "application/x-www-form-urlencoded";
const nestedArrays = (depth: number) => `${"[".repeat(depth)}${"]".repeat(depth)}`;
const nestedObjects = (depth: number) => `${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`;

/** Bodies an attacker (or a broken client) sends; each names the AT id it would be filed under. */
const HOSTILE: { name: string; route: string; type: string; body: string; id: string }[] = [
  {
    name: "10,000 nested arrays on an ack route",
    route: "sim-swap-status",
    type: JSON_TYPE,
    body: `{"requestId":"ATSwpid_deep1","status":"Swapped","x":${nestedArrays(10_000)}}`,
    id: "ATSwpid_deep1",
  },
  {
    name: "5,000 nested objects on an ack route",
    route: "airtime-status",
    type: JSON_TYPE,
    body: `{"requestId":"ATQid_deep2","status":"Success","x":${nestedObjects(5_000)}}`,
    id: "ATQid_deep2",
  },
  {
    name: "deep nesting on the USSD route",
    route: "ussd-session",
    type: JSON_TYPE,
    body: `{"sessionId":"ATUid_deep3","serviceCode":"*384#","phoneNumber":"+254711000111","text":"","x":${nestedArrays(10_000)}}`,
    id: "ATUid_deep3",
  },
  {
    name: "deep nesting on airtime validation",
    route: "airtime-validation",
    type: JSON_TYPE,
    body: `{"transactionId":"ATQid_deep4","phoneNumber":"+254711000111","amount":10,"x":${nestedArrays(10_000)}}`,
    id: "ATQid_deep4",
  },
  {
    name: "a form field named constructor",
    route: "sms-delivery-reports",
    type: FORM_TYPE,
    body: "id=ATXid_ctor5&status=Success&constructor=x",
    id: "ATXid_ctor5",
  },
  {
    name: "a form field named __proto__, which a form parser would drop",
    route: "sms-delivery-reports",
    type: FORM_TYPE,
    body: "id=ATXid_formproto11&status=Success&%5F%5Fproto__=x",
    id: "ATXid_formproto11",
  },
  {
    name: "a form with more fields than a form parser reads",
    route: "sms-delivery-reports",
    type: FORM_TYPE,
    body: `id=ATXid_manyfields12&${Array.from({ length: 1000 }, (_, i) => `f${i}=`).join("&")}&status=Success`,
    id: "ATXid_manyfields12",
  },
  {
    name: "a JSON constructor object",
    route: "airtime-status",
    type: JSON_TYPE,
    body: '{"requestId":"ATQid_ctor6","status":"Success","constructor":{"name":"x"}}',
    id: "ATQid_ctor6",
  },
  ...['{"a":1}', "null", '"x"', "[1]"].map((proto, i) => ({
    name: `a JSON __proto__ key holding ${proto}`,
    route: "sms-delivery-reports",
    type: JSON_TYPE,
    body: `{"id":"ATXid_proto${i}","status":"Success","__proto__":${proto}}`,
    id: `ATXid_proto${i}`,
  })),
  {
    name: "a nested __proto__ that would change the stored payload",
    route: "sms-delivery-reports",
    type: JSON_TYPE,
    body: '{"id":"ATXid_pollute7","status":"Success","__proto__":{"__proto__":{"polluted":"yes"}}}',
    id: "ATXid_pollute7",
  },
  {
    name: "a number that is not finite",
    route: "sms-delivery-reports",
    type: JSON_TYPE,
    body: '{"id":"ATXid_inf8","status":"Success","retryCount":1e999}',
    id: "ATXid_inf8",
  },
  {
    name: "a number DynamoDB cannot hold",
    route: "sms-delivery-reports",
    type: JSON_TYPE,
    body: '{"id":"ATXid_tiny9","status":"Success","retryCount":1e-200}',
    id: "ATXid_tiny9",
  },
  {
    name: "a number a double would round",
    route: "sim-swap-status",
    type: JSON_TYPE,
    body: '{"requestId":"ATSwpid_round10","status":"Swapped","providerRefId":12345678901234567890}',
    id: "ATSwpid_round10",
  },
];

describe("bodies that cannot be stored as sent are refused up front", () => {
  it.each(HOSTILE.map((h) => [h.name, h]))("refuses %s with 400", async (_name, hostile) => {
    const res = await local.post(routePath(hostile.route), hostile.body, {
      contentType: hostile.type,
    });
    const body = await res.text();
    expect(res.status, body).toBe(400);
    const reason =
      hostile.route === "airtime-validation"
        ? JSON.parse(body).reason
        : body.replace(/^(END|BAD) /, "");
    expect(reason).toMatch(/^body cannot be stored as sent: /);
    expect(reason).not.toContain("\n");
    if (hostile.route === "ussd-session") expect(body).toMatch(/^END /);
  });

  it("leaves nothing behind for any of them: no record, nothing queued, nothing dead-lettered", async () => {
    // Once the events queue is empty, anything that had been queued is recorded or dead-lettered.
    await local.waitUntilIdle("events");
    for (const { id } of HOSTILE) expect(await local.records({ id }), id).toEqual([]);
    const { services } = local.stack;
    expect(await local.queueDepth(services.eventsQueueUrl)).toBe(0);
    expect(await local.queueDepth(services.eventsDlqUrl)).toBe(0);
    expect(local.errors).toEqual([]);
  });
});

describe("what the rule accepts, DynamoDB stores and returns unchanged", () => {
  it("records a body at every limit of the rule exactly as sent", async () => {
    // 16 levels in all: the body, then 15 nested objects.
    const deepest = `${'{"a":'.repeat(14)}{"b":1}${"}".repeat(14)}`;
    const body = `{"requestId":"ATSwpid_limits","status":"Swapped","${"k".repeat(255)}":"long name","n":[1e-130,-9007199254740991,9007199254740991,0.1,-2.5e-7,-0],"nested":${deepest},"text":"Habari 👋 \\u0000 é","":"x"}`;
    // An empty field name is refused; without it, the rest is at the limits and accepted.
    const refused = await local.post(routePath("sim-swap-status"), body, {
      contentType: JSON_TYPE,
    });
    expect(refused.status).toBe(400);
    const accepted = body.replace(',"":"x"', "");
    const res = await local.post(routePath("sim-swap-status"), accepted, {
      contentType: JSON_TYPE,
    });
    expect(res.status, await res.text()).toBe(200);
    const [record] = await local.waitForRecords({ id: "ATSwpid_limits" }, (r) => r.length > 0);
    expect(record?.payload).toEqual(JSON.parse(JSON.stringify(JSON.parse(accepted))));
  });
});

describe("one schema owns the required fields", () => {
  it("validates airtime whose phoneNumber is a JSON number, as the callback schema accepts it", async () => {
    const res = await local.post(
      routePath("airtime-validation"),
      '{"transactionId":"ATQid_numericphone","phoneNumber":254711000111,"amount":10}',
      { contentType: JSON_TYPE },
    );
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: "Validated" });
  });
});

describe("media types are compared case-insensitively", () => {
  it.each([
    ["APPLICATION/JSON", '{"id":"ATXid_media1","status":"Success"}', "ATXid_media1"],
    ["application/json;", '{"id":"ATXid_media2","status":"Success"}', "ATXid_media2"],
    ["Application/x-www-form-urlencoded", "id=ATXid_media3&status=Success", "ATXid_media3"],
    [
      "application/x-www-form-urlencoded; Charset=UTF-8",
      "id=ATXid_media4&status=Success",
      "ATXid_media4",
    ],
  ])("accepts %s and records the body once, as sent", async (type, body, id) => {
    const res = await local.post(routePath("sms-delivery-reports"), body, { contentType: type });
    expect(res.status, await res.text()).toBe(200);
    const [record, ...more] = await local.waitForRecords({ id }, (r) => r.length > 0);
    expect(more).toEqual([]);
    expect(record?.payload).toEqual({ id, status: "Success" });
  });
});
