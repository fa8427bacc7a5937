import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { parse as parseQuery } from "node:querystring";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { SQSClient } from "@aws-sdk/client-sqs";
import { DynamoDBDocumentClient, QueryCommand } from "@aws-sdk/lib-dynamodb";
import { acceptBody, checkFormBody, mediaTypeOf } from "../../functions/ingest/body";
import { type CallbackBody, callbackPhones, parseCallback } from "../../functions/model/callbacks";
import { envelopeOf } from "../../functions/model/envelope";
import { ROUTES } from "../../functions/routes";
import { maskPhone } from "../../functions/shared/phone";
import { recordKey, TABLE } from "../../functions/table/keys";
import { LOCAL_CREDENTIALS, LOCAL_REGION } from "../constants";
import {
  type DeadLetter,
  listDeadLetters,
  localQueuePairs,
  type QueuePair,
  redriveByCopy,
  watchDeadLetters,
} from "../dead-letters";
import type { Exchange, LocalStack } from "../stack";

/** What the page shows of one callback request. */
export interface Entry {
  seq: number;
  requestId: string;
  receivedAt: string;
  route: string;
  recordType: string;
  method: string;
  path: string;
  /** The query string with the callback key hidden. */
  query: string;
  headers: Record<string, string>;
  body: string;
  statusCode: number;
  answer: string;
  answerHeaders: Record<string, string>;
  durationMs: number;
  atId?: string;
  phone?: string;
  maskedPhone?: string;
  outcome: "queued" | "recorded" | "duplicate" | "refused" | "failed" | "dead-lettered";
  reason?: string;
  replayOf?: number;
}

interface Tracked {
  entry: Entry;
  /** How to find the record this request produced. */
  key?: { pk: string; sk: string; receivedAt: string; identity: string; id: string };
  /** What replay posts again (the real key included). */
  replay: { path: string; query: string; headers: Record<string, string>; body: Buffer };
}

/** One answered request: described (parsed, keyed) only once someone looks at it. */
interface Held {
  seq: number;
  exchange: Exchange;
  tracked?: Tracked;
}

export interface Inspector {
  url: string;
  /** Feed for the local stack's `onExchange`. */
  record(exchange: Exchange): void;
  /** Starts watching the dead-letter queues (once the stack is up). */
  watch(): void;
  stop(): Promise<void>;
}

const PAGE = readFileSync(new URL("./page.html", import.meta.url), "utf8");
const SCRIPT = readFileSync(new URL("./page.js", import.meta.url), "utf8");
const KEEP = 1000;
const REPLAY_HEADER = "x-inspector-replay-of";

/**
 * The local inspector: a page on a loopback-only port listing every callback the local stack
 * answered (live, over Server-Sent Events), with each request as received, its answer, the
 * record it produced (or why not), replay, and the dead-letter queues with a redrive button.
 * It holds phone numbers and the callback key, so it never listens beyond 127.0.0.1.
 */
export async function startInspector(options: {
  port: number;
  /** Filled in once the stack is up (the stack's `onExchange` must exist before it starts). */
  stack: () => LocalStack;
  onDeadLetter?: (deadLetter: DeadLetter) => void;
}): Promise<Inspector> {
  const held: Held[] = [];
  const clients = new Set<ServerResponse>();
  let deadLetters: DeadLetter[] = [];
  let seq = 0;
  let clientsReady:
    | { sqs: SQSClient; documents: DynamoDBDocumentClient; pairs: QueuePair[] }
    | undefined;
  const aws = () => {
    if (clientsReady) return clientsReady;
    const s = options.stack().services;
    clientsReady = {
      sqs: new SQSClient({
        endpoint: s.sqsEndpoint,
        region: LOCAL_REGION,
        credentials: LOCAL_CREDENTIALS,
        useQueueUrlAsEndpoint: false,
      }),
      documents: DynamoDBDocumentClient.from(
        new DynamoDBClient({
          endpoint: s.dynamodbEndpoint,
          region: LOCAL_REGION,
          credentials: LOCAL_CREDENTIALS,
        }),
      ),
      pairs: localQueuePairs(s.queues),
    };
    return clientsReady;
  };

  const broadcast = (event: string, data: unknown) => {
    const frame = `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
    for (const client of clients) client.write(frame);
  };

  // Under load nobody is looking: recording a request costs a push, and the parsing below runs
  // only for a page that is open or a request for the list.
  const record = (exchange: Exchange) => {
    if (!ROUTES.some((r) => r.name === exchange.route)) return;
    const h: Held = { seq: ++seq, exchange };
    held.push(h);
    if (held.length > KEEP) held.shift();
    if (clients.size > 0) broadcast("entry", describe(h).entry);
  };

  const describe = (h: Held): Tracked => {
    if (h.tracked) return h.tracked;
    const { exchange } = h;
    const route = ROUTES.find((r) => r.name === exchange.route) as (typeof ROUTES)[number];
    const body = exchange.body.toString("utf8");
    const entry: Entry = {
      seq: h.seq,
      requestId: exchange.requestId,
      receivedAt: new Date(exchange.receivedAt).toISOString(),
      route: route.name,
      recordType: route.recordType,
      method: exchange.method,
      path: exchange.path,
      query: exchange.query.replace(/(^|&)key=[^&]*/, "$1key=…"),
      headers: exchange.headers,
      body,
      statusCode: exchange.statusCode,
      answer: exchange.answer,
      answerHeaders: exchange.answerHeaders,
      durationMs: exchange.durationMs,
      outcome:
        exchange.statusCode >= 500 ? "failed" : exchange.statusCode >= 400 ? "refused" : "queued",
    };
    const replayOf = Number(exchange.headers[REPLAY_HEADER]);
    if (replayOf > 0) entry.replayOf = replayOf;
    if (entry.outcome === "refused" || entry.outcome === "failed") {
      entry.reason = exchange.answerHeaders["x-refusal-reason"] ?? exchange.answer;
    }
    const item: Tracked = {
      entry,
      replay: {
        path: exchange.path,
        query: exchange.query,
        headers: exchange.headers,
        body: exchange.body,
      },
    };
    const fields = parsePayload(body, exchange.headers["content-type"] ?? "");
    // A refused request still shows whose it was, where its phone field reads as a number.
    const phone = isFields(fields)
      ? callbackPhones(route.recordType, fields).phoneNumber
      : undefined;
    if (phone) {
      entry.phone = phone;
      entry.maskedPhone = maskPhone(phone) ?? "";
    }
    const parsed = parseCallback(route.recordType, fields);
    if (parsed.ok) {
      if (entry.outcome === "queued") {
        const envelope = envelopeOf(parsed.callback, route.name, new Date(exchange.receivedAt));
        const key = recordKey(envelope.id, envelope.type, envelope.identity);
        entry.atId = envelope.id;
        item.key = {
          pk: key[TABLE.partitionKey],
          sk: key[TABLE.sortKey],
          receivedAt: envelope.receivedAt,
          identity: envelope.identity,
          id: envelope.id,
        };
      }
    }
    h.tracked = item;
    return item;
  };
  const described = () => held.map(describe);

  /** Settles queued entries: recorded by this request, a duplicate of an earlier one, or dead-lettered. */
  const settle = async () => {
    const open = held
      .slice(-50)
      .map(describe)
      .filter((t) => t.entry.outcome === "queued" && t.key);
    for (const t of open) {
      const key = t.key;
      if (!key) continue;
      const dead = deadLetters.find(
        (d) => d.body.includes(`"receivedAt":"${key.receivedAt}"`) && d.atId === key.id,
      );
      if (dead) {
        update(t, "dead-lettered", dead.reason);
        continue;
      }
      const { Items = [] } = await aws().documents.send(
        new QueryCommand({
          TableName: options.stack().services.tableName,
          KeyConditionExpression: "#pk = :pk AND #sk = :sk",
          ExpressionAttributeNames: { "#pk": TABLE.partitionKey, "#sk": TABLE.sortKey },
          ExpressionAttributeValues: { ":pk": key.pk, ":sk": key.sk },
        }),
      );
      const stored = Items[0];
      if (stored) update(t, stored.receivedAt === key.receivedAt ? "recorded" : "duplicate");
    }
  };
  const update = (t: Tracked, outcome: Entry["outcome"], reason?: string) => {
    t.entry.outcome = outcome;
    if (reason) t.entry.reason = reason;
    if (outcome === "duplicate") t.entry.reason = "AT id already recorded: nothing written";
    broadcast("entry", t.entry);
  };
  let settling = false;
  const settleNow = async () => {
    if (settling) return;
    settling = true;
    await settle()
      .catch(() => undefined)
      .finally(() => {
        settling = false;
      });
  };
  // Outcomes are looked up only while a page watches; a request for the list settles first.
  const settler = setInterval(() => {
    if (clients.size > 0) void settleNow();
  }, 400);
  settler.unref();

  const refreshDeadLetters = async () => {
    const { sqs, pairs } = aws();
    deadLetters = (await Promise.all(pairs.map((p) => listDeadLetters(sqs, p)))).flat();
    broadcast("dead-letters", deadLetters);
    return deadLetters;
  };
  let watcher: { stop(): void } | undefined;

  const detail = async (t: Tracked) => {
    if (!t.key) return { entry: t.entry, records: [] };
    const { Items = [] } = await aws().documents.send(
      new QueryCommand({
        TableName: options.stack().services.tableName,
        KeyConditionExpression: "#pk = :pk",
        ExpressionAttributeNames: { "#pk": TABLE.partitionKey },
        ExpressionAttributeValues: { ":pk": t.key.pk },
      }),
    );
    const records = Items.filter((i) => i.type !== "sms.reply");
    const reply = Items.find((i) => i.type === "sms.reply");
    return {
      entry: t.entry,
      record: records.find((r) => r.sk === t.key?.sk),
      related: records.filter((r) => r.sk !== t.key?.sk),
      ...(reply ? { reply } : {}),
    };
  };

  const replay = async (t: Tracked) => {
    const headers: Record<string, string> = { [REPLAY_HEADER]: String(t.entry.seq) };
    for (const name of ["content-type", "user-agent"]) {
      const value = t.replay.headers[name];
      if (value) headers[name] = value;
    }
    const response = await fetch(
      `${options.stack().url}${t.replay.path}${t.replay.query ? `?${t.replay.query}` : ""}`,
      { method: "POST", headers, body: new Uint8Array(t.replay.body) },
    );
    return { statusCode: response.status, answer: await response.text() };
  };

  const server: Server = createServer(async (req, res) => {
    try {
      if (!sameHost(req, port()))
        return send(
          res,
          403,
          "text/plain",
          "the inspector answers on its own loopback address only",
        );
      const url = new URL(req.url ?? "/", "http://127.0.0.1");
      const match = /^\/api\/exchanges\/(\d+)(\/replay)?$/.exec(url.pathname);
      if (req.method === "GET" && url.pathname === "/")
        return send(res, 200, "text/html; charset=utf-8", PAGE);
      if (req.method === "GET" && url.pathname === "/page.js")
        return send(res, 200, "text/javascript; charset=utf-8", SCRIPT);
      if (req.method === "GET" && url.pathname === "/events") {
        res.writeHead(200, {
          "content-type": "text/event-stream",
          "cache-control": "no-store",
          connection: "keep-alive",
        });
        res.write(
          `event: hello\ndata: ${JSON.stringify({ entries: described().map((t) => t.entry), deadLetters })}\n\n`,
        );
        clients.add(res);
        req.on("close", () => clients.delete(res));
        return;
      }
      if (req.method === "GET" && url.pathname === "/api/exchanges") {
        await settleNow();
        return sendJson(
          res,
          200,
          described().map((t) => t.entry),
        );
      }
      if (match) {
        const h = held.find((x) => x.seq === Number(match[1]));
        const t = h && describe(h);
        if (!t)
          return sendJson(res, 404, {
            error: "no such request (the inspector keeps the last 1000)",
          });
        if (match[2] && req.method === "POST") {
          if (!sameOrigin(req)) return sendJson(res, 403, { error: "cross-origin replay refused" });
          return sendJson(res, 200, await replay(t));
        }
        if (req.method === "GET") return sendJson(res, 200, await detail(t));
      }
      if (req.method === "GET" && url.pathname === "/api/dead-letters")
        return sendJson(res, 200, await refreshDeadLetters());
      if (req.method === "POST" && url.pathname === "/api/dead-letters/redrive") {
        if (!sameOrigin(req)) return sendJson(res, 403, { error: "cross-origin redrive refused" });
        const { sqs, pairs } = aws();
        const moved = await Promise.all(
          pairs.map(async (p) => ({ queue: p.name, ...(await redriveByCopy(sqs, p)) })),
        );
        await refreshDeadLetters();
        return sendJson(res, 200, moved);
      }
      send(res, 404, "text/plain", "not found");
    } catch (error) {
      send(res, 500, "text/plain", `inspector error: ${(error as Error).message}`);
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, "127.0.0.1", () => resolve());
  });
  const port = () => (server.address() as AddressInfo).port;
  const heartbeat = setInterval(() => {
    for (const client of clients) client.write(": keep-alive\n\n");
  }, 15_000);
  heartbeat.unref();

  return {
    url: `http://127.0.0.1:${port()}`,
    record,
    async stop() {
      clearInterval(settler);
      clearInterval(heartbeat);
      watcher?.stop();
      for (const client of clients) client.end();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      clientsReady?.sqs.destroy();
      clientsReady?.documents.destroy();
    },
    watch() {
      const { sqs, pairs } = aws();
      watcher = watchDeadLetters(sqs, pairs, (dl) => {
        options.onDeadLetter?.(dl);
        refreshDeadLetters().catch(() => undefined);
      });
    },
  };
}

/** The body as the route reads it (functions/ingest/body.ts); undefined when it cannot be read. */
function parsePayload(body: string, contentType: string): unknown {
  try {
    const media = mediaTypeOf(contentType);
    if (media === "form") {
      checkFormBody(body);
      return acceptBody(parseQuery(body));
    }
    if (media === "json") return acceptBody(JSON.parse(body), body);
    return undefined;
  } catch {
    return undefined;
  }
}

const isFields = (value: unknown): value is CallbackBody =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** Refuses pages served under another host name (DNS rebinding) and cross-site posts. */
function sameHost(req: IncomingMessage, port: number): boolean {
  const host = req.headers.host ?? "";
  return host === `127.0.0.1:${port}` || host === `localhost:${port}`;
}

function sameOrigin(req: IncomingMessage): boolean {
  const origin = req.headers.origin;
  return origin === undefined || origin === `http://${req.headers.host}`;
}

function send(res: ServerResponse, status: number, type: string, body: string) {
  res.writeHead(status, { "content-type": type, "cache-control": "no-store" });
  res.end(body);
}

const sendJson = (res: ServerResponse, status: number, value: unknown) =>
  send(res, status, "application/json", JSON.stringify(value));
