import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { createConnection } from "node:net";
import type { SendMessageCommand } from "@aws-sdk/client-sqs";
import type {
  APIGatewayProxyEventV2,
  APIGatewayProxyStructuredResultV2,
  Context,
} from "aws-lambda";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { ROUTES } from "../../functions/routes";
import { createDocumentClient } from "../../functions/shared/dynamodb";
import { createSqsClient } from "../../functions/shared/sqs";
import { readBody, toHttpApiEvent } from "../../local/apigw";
import { routeHandlers } from "../../local/functions";
import type { ServiceEndpoints } from "../../local/services";
import {
  allFixtures,
  type Fixture,
  httpApiEventFor,
  httpApiEvents,
  INVALID_VARIANT,
  parsedFields,
} from "../support/fixtures";

const KEY = "unit-key-0123456789abcdef";
const sqsClient = createSqsClient({
  region: "eu-west-1",
  credentials: { accessKeyId: "unit", secretAccessKey: "unit" },
});

// The one SDK-level stand-in: the events queue accepts every message and keeps it here.
const queued: unknown[] = [];
vi.spyOn(sqsClient, "send").mockImplementation((async (command: SendMessageCommand) => {
  queued.push(JSON.parse(command.input.MessageBody ?? "null"));
  return {};
}) as never);

type Handler = (
  event: APIGatewayProxyEventV2,
  context: Context,
) => Promise<APIGatewayProxyStructuredResultV2>;
const handlers = new Map<string, Handler>();
beforeAll(async () => {
  // Every route's handler built by its factory, as the local stack builds them.
  const services = {
    eventsQueueUrl: "https://sqs.eu-west-1.amazonaws.com/123456789012/events",
    tableName: "records",
  } as ServiceEndpoints;
  const clients = { sqs: sqsClient, documents: createDocumentClient({ region: "eu-west-1" }) };
  for (const [name, handler] of routeHandlers(services, KEY, {}, clients)) {
    handlers.set(name, handler as unknown as Handler);
  }
});
beforeEach(() => {
  queued.length = 0;
});

const context = { getRemainingTimeInMillis: () => 10_000 } as Context;
const templates = httpApiEvents();
const valid = allFixtures().filter((f) => !INVALID_VARIANT.test(f.variant));
const pathOf = (fixture: Fixture) => ROUTES.find((r) => r.name === fixture.route)?.path ?? "";

describe("every handler takes the events API Gateway's HTTP API really sends", () => {
  it("has the captured event shapes, form bodies base64-encoded as on AWS", () => {
    expect(templates.map(([name]) => name).sort()).toEqual([
      "docs-complete.json",
      "form-post.json",
      "json-post.json",
    ]);
    for (const [, event] of templates) {
      expect(event.version).toBe("2.0");
      const type = event.headers["content-type"] ?? "";
      expect(event.isBase64Encoded).toBe(!type.startsWith("application/json"));
      expect(Object.keys(event.headers).every((h) => h === h.toLowerCase())).toBe(true);
    }
  });

  describe.each(templates)("inside %s", (_, template) => {
    it.each(valid.map((f) => [`${f.route}/${f.variant}`, f] as const))(
      "%s is accepted and queued with every field as AT sent it",
      async (_, fixture) => {
        const event = httpApiEventFor(template, fixture, pathOf(fixture), KEY);
        // A handler that read `body` as the form text would see only base64 here.
        if (event.isBase64Encoded) expect(event.body).not.toBe(fixture.body);

        const handler = handlers.get(fixture.route);
        const result = await handler?.(event, context);
        expect(result?.statusCode, String(result?.body)).toBe(200);
        expect(queued).toEqual([
          expect.objectContaining({
            route: fixture.route,
            payload: parsedFields(fixture),
            receivedAt: new Date(template.requestContext.timeEpoch).toISOString(),
          }),
        ]);
      },
    );

    it("refuses the same event without the key, before reading the body", async () => {
      const [fixture] = valid;
      if (!fixture) throw new Error("no fixtures");
      const event = httpApiEventFor(template, fixture, pathOf(fixture), KEY);
      const { key: _key, ...query } = event.queryStringParameters ?? {};
      const result = await handlers.get(fixture.route)?.(
        { ...event, rawQueryString: "", queryStringParameters: query },
        context,
      );
      expect(result?.statusCode).toBe(403);
      expect(queued).toEqual([]);
    });
  });
});

describe("the local API Gateway produces the same events", () => {
  let url: URL;
  let seen: APIGatewayProxyEventV2[] = [];
  const server = createServer(async (req, res) => {
    seen.push(toHttpApiEvent(req, await readBody(req), `${req.method} /api/sms/twoway`));
    res.end();
  });
  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  });
  beforeEach(() => {
    seen = [];
  });
  afterAll(() => {
    server.close();
  });

  /** Sends the request byte for byte (fetch would merge repeated headers itself). */
  const send = (head: string[], body: string) =>
    new Promise<APIGatewayProxyEventV2>((resolve, reject) => {
      const socket = createConnection(Number(url.port), url.hostname);
      socket.on("error", reject);
      socket.on("data", () => {
        socket.end();
        const [event] = seen;
        if (event) resolve(event);
        else reject(new Error("no event seen"));
      });
      socket.write(
        [...head, `Host: ${url.host}`, `Content-Length: ${Buffer.byteLength(body)}`, "", body].join(
          "\r\n",
        ),
      );
    });

  const shape = (value: unknown): unknown =>
    value !== null && typeof value === "object" && !Array.isArray(value)
      ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, shape(v)]))
      : typeof value;

  it("matches the captured form post field for field, and folds, lowercases and splits as AWS does", async () => {
    const form = "from=%2B254711000111&text=Hello+there&id=ATXid_1";
    const event = await send(
      [
        "POST /api/sms/twoway?key=abc&tag=a&tag=b%2Cc HTTP/1.1",
        "Content-Type: application/x-www-form-urlencoded",
        "X-Dup: first",
        "x-dup: second",
        "Cookie: a=1; b=2",
        "Cookie: c=3",
        "User-Agent: at-test",
      ],
      form,
    );
    const [, captured] = templates.find(([name]) => name === "form-post.json") ?? [];
    if (!captured) throw new Error("no form-post.json");
    const { cookies, ...rest } = event;
    const { headers: _h, queryStringParameters: _q, ...capturedRest } = captured;
    const { headers: _lh, queryStringParameters: _lq, ...localRest } = rest;
    expect(shape(localRest)).toEqual(shape(capturedRest));

    expect(event.rawPath).toBe("/api/sms/twoway");
    expect(event.rawQueryString).toBe("key=abc&tag=a&tag=b%2Cc");
    expect(event.queryStringParameters).toEqual({ key: "abc", tag: "a,b,c" });
    expect(event.headers["x-dup"]).toBe("first,second");
    expect(event.headers["content-type"]).toBe("application/x-www-form-urlencoded");
    expect(Object.keys(event.headers).every((h) => h === h.toLowerCase())).toBe(true);
    expect(event.headers.cookie).toBeUndefined();
    expect(cookies).toEqual(["a=1", "b=2", "c=3"]);
    expect(event.headers["x-forwarded-proto"]).toBe("http");
    expect(event.isBase64Encoded).toBe(true);
    expect(Buffer.from(event.body ?? "", "base64").toString()).toBe(form);
    expect(event.requestContext.http).toMatchObject({
      method: "POST",
      path: "/api/sms/twoway",
      sourceIp: "127.0.0.1",
      userAgent: "at-test",
    });
    expect(event.requestContext.time).toMatch(
      /^\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000$/,
    );
    expect(Math.abs(event.requestContext.timeEpoch - Date.now())).toBeLessThan(60_000);
  });

  it("hands JSON over as text, as API Gateway does", async () => {
    const json = '{"transactionId":"ATQid_1","amount":5}';
    const event = await send(
      ["POST /api/airtime/validation?key=abc HTTP/1.1", "Content-Type: application/json"],
      json,
    );
    expect(event).toMatchObject({ isBase64Encoded: false, body: json });
    expect(event.cookies).toBeUndefined();
  });
});
