import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { parse as parseQuery } from "node:querystring";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { SQSClient } from "@aws-sdk/client-sqs";
import { BatchGetCommand, DynamoDBDocumentClient, QueryCommand } from "@aws-sdk/lib-dynamodb";
import { acceptBody, checkFormBody, mediaTypeOf } from "../../functions/ingest/body";
import { type CallbackBody, callbackPhones, parseCallback } from "../../functions/model/callbacks";
import { envelopeOf } from "../../functions/model/envelope";
import { ROUTES } from "../../functions/routes";
import { countryCode, DEFAULT_COUNTRY_CODE, maskPhone, toE164 } from "../../functions/shared/phone";
import { isDeliveryItem } from "../../functions/table/deliveries";
import { recordKey, TABLE } from "../../functions/table/keys";
import { bestDelivery, deliveryFields, dynamoReplies } from "../../functions/table/replies";
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
import { type FailureNote, type History, hideKey, openHistory } from "./history";
import { curlOf, encodeEdited, type Fields, summarize } from "./present";
import type { WorkerFailure } from "./worker-failures";

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
  outcome:
    | "queued"
    | "retrying"
    | "recorded"
    | "duplicate"
    | "refused"
    | "failed"
    | "dead-lettered";
  reason?: string;
  replayOf?: number;
  /** What the user typed or the status reported, in one line (present.ts). */
  summary: string;
  /** The body's fields, decoded (undefined when the body could not be read). */
  fields?: Fields;
  /** The last error the recorder threw on this request's message, with its stack. */
  error?: FailureNote["error"] & { receiveCount: number };
  /** The last error the replier threw on this request's reply. */
  replyError?: FailureNote["error"] & { receiveCount: number };
}

interface Tracked {
  entry: Entry;
  /** How to find the record this request produced. */
  key?: { pk: string; sk: string; receivedAt: string; identity: string; id: string };
  /** What replay posts again (with the current callback key). */
  replay: { path: string; query: string; headers: Record<string, string>; body: Buffer };
  media?: "form" | "json";
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
  /** Feed for the local stack's `onWorkerFailure`: the error shown on the request's row. */
  workerFailure(failure: WorkerFailure): void;
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
  /** The stack's callback key(s): replay posts with the first. */
  callbackKey: string;
  /** Where the list is kept across restarts (`npm start -- --data-dir`); in memory without. */
  dataDir?: string;
  /** Calling code for national numbers typed into the phone filter (254 unless given). */
  country?: string;
  onDeadLetter?: (deadLetter: DeadLetter) => void;
}): Promise<Inspector> {
  const held: Held[] = [];
  const clients = new Set<ServerResponse>();
  let deadLetters: DeadLetter[] = [];
  let seq = 0;
  const replayKey = options.callbackKey.split(",")[0]?.trim() ?? "";
  const country = countryCode(options.country ?? "") ?? DEFAULT_COUNTRY_CODE;
  const history: History | undefined = options.dataDir
    ? openHistory(join(options.dataDir, "inspector.jsonl"), KEEP)
    : undefined;
  const failuresBySeq = new Map<number, FailureNote[]>();
  for (const line of history?.lines ?? []) {
    if ("failure" in line) {
      const list = failuresBySeq.get(line.failure.seq) ?? [];
      list.push(line.failure);
      failuresBySeq.set(line.failure.seq, list);
    } else {
      held.push({ seq: line.seq, exchange: line.exchange });
      seq = Math.max(seq, line.seq);
    }
  }
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
    history?.append({ seq: h.seq, exchange });
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
      query: hideKey(exchange.query),
      headers: exchange.headers,
      body,
      statusCode: exchange.statusCode,
      answer: exchange.answer,
      answerHeaders: exchange.answerHeaders,
      durationMs: exchange.durationMs,
      outcome:
        exchange.statusCode >= 500 ? "failed" : exchange.statusCode >= 400 ? "refused" : "queued",
      summary: "",
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
    const media = mediaTypeOf(exchange.headers["content-type"] ?? "");
    if (media) item.media = media;
    const fields = parsePayload(body, exchange.headers["content-type"] ?? "");
    if (isFields(fields)) {
      entry.fields = fields;
      entry.summary = summarize(route.name, fields, exchange.answer);
    }
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
    for (const note of failuresBySeq.get(h.seq) ?? []) noteFailure(item, note);
    return item;
  };
  const described = () => held.map(describe);

  /**
   * Settles every open entry, however old: recorded by this request, a duplicate of an earlier
   * one, or dead-lettered. Records are read 100 keys at a time (BatchGetItem).
   */
  const settle = async () => {
    const open = described().filter(
      (t) => (t.entry.outcome === "queued" || t.entry.outcome === "retrying") && t.key,
    );
    const lookup: Tracked[] = [];
    for (const t of open) {
      const key = t.key;
      if (!key) continue;
      const dead = deadLetters.find(
        (d) => d.body.includes(`"receivedAt":"${key.receivedAt}"`) && d.atId === key.id,
      );
      if (dead) update(t, "dead-lettered", dead.reason);
      else lookup.push(t);
    }
    const tableName = options.stack().services.tableName;
    for (let i = 0; i < lookup.length; i += 100) {
      const chunk = lookup.slice(i, i + 100);
      const keys = new Map<string, { pk: string; sk: string }>();
      for (const t of chunk) {
        const key = t.key as NonNullable<Tracked["key"]>;
        keys.set(`${key.pk}\n${key.sk}`, { pk: key.pk, sk: key.sk });
      }
      const { Responses = {} } = await aws().documents.send(
        new BatchGetCommand({
          RequestItems: {
            [tableName]: {
              Keys: [...keys.values()].map((k) => ({
                [TABLE.partitionKey]: k.pk,
                [TABLE.sortKey]: k.sk,
              })),
              ProjectionExpression: "#pk, #sk, receivedAt",
              ExpressionAttributeNames: { "#pk": TABLE.partitionKey, "#sk": TABLE.sortKey },
            },
          },
        }),
      );
      const stored = new Map<string, unknown>();
      for (const item of Responses[tableName] ?? [])
        stored.set(`${item[TABLE.partitionKey]}\n${item[TABLE.sortKey]}`, item.receivedAt);
      for (const t of chunk) {
        const key = t.key as NonNullable<Tracked["key"]>;
        const receivedAt = stored.get(`${key.pk}\n${key.sk}`);
        if (receivedAt !== undefined)
          update(t, receivedAt === key.receivedAt ? "recorded" : "duplicate");
      }
    }
  };
  const update = (t: Tracked, outcome: Entry["outcome"], reason?: string) => {
    t.entry.outcome = outcome;
    if (outcome === "recorded" || outcome === "duplicate") delete t.entry.reason;
    if (reason) t.entry.reason = reason;
    if (outcome === "duplicate") t.entry.reason = "AT id already recorded: nothing written";
    broadcast("entry", t.entry);
  };
  /** A worker's failure on the message of this request (its record) or of its reply. */
  const noteFailure = (t: Tracked, note: FailureNote) => {
    const shown = { ...note.error, receiveCount: note.receiveCount };
    if (note.reply) t.entry.replyError = shown;
    else {
      t.entry.error = shown;
      if (t.entry.outcome === "queued" || t.entry.outcome === "retrying") {
        t.entry.outcome = "retrying";
        t.entry.reason = `the recorder failed (receive ${note.receiveCount}): ${note.error.message}`;
      }
    }
  };
  const workerFailure = (failure: WorkerFailure) => {
    let body: { id?: unknown; inboundId?: unknown; receivedAt?: unknown };
    try {
      body = JSON.parse(failure.body) as typeof body;
    } catch {
      return;
    }
    const reply = typeof body.inboundId === "string";
    const id = reply ? body.inboundId : body.id;
    const t = [...held]
      .reverse()
      .map(describe)
      .find((x) => x.key?.id === id && x.key?.receivedAt === body.receivedAt);
    if (!t) return;
    const note: FailureNote = {
      seq: t.entry.seq,
      reply,
      receiveCount: failure.receiveCount,
      error: failure.error,
    };
    history?.append({ failure: note });
    noteFailure(t, note);
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
    const curl = curlOf({
      baseUrl: options.stack().url,
      path: t.replay.path,
      query: t.replay.query,
      headers: t.replay.headers,
      body: t.replay.body.toString("utf8"),
    });
    if (!t.key) return { entry: t.entry, curl };
    const { Items = [] } = await aws().documents.send(
      new QueryCommand({
        TableName: options.stack().services.tableName,
        KeyConditionExpression: "#pk = :pk",
        ExpressionAttributeNames: { "#pk": TABLE.partitionKey },
        ExpressionAttributeValues: { ":pk": t.key.pk },
      }),
    );
    // Deliveries of this AT id's events to --forward-to endpoints are filed beside its records.
    const deliveries = Items.filter(isDeliveryItem).map(({ pk: _pk, sk: _sk, ...d }) => d);
    const records = Items.filter((i) => i.type !== "sms.reply" && !isDeliveryItem(i)).map(
      payloadFirst,
    );
    const stored = Items.find((i) => i.type === "sms.reply");
    // A reply's delivery status is its best report, recorded under its AT message id.
    const reports =
      typeof stored?.messageId === "string"
        ? await dynamoReplies(aws().documents, options.stack().services.tableName).deliveryReports(
            stored.messageId,
          )
        : [];
    const best = bestDelivery(reports);
    const reply = stored && best ? { ...stored, ...deliveryFields(best) } : stored;
    return {
      entry: t.entry,
      curl,
      record: records.find((r) => r.keys[TABLE.sortKey] === t.key?.sk),
      related: records.filter((r) => r.keys[TABLE.sortKey] !== t.key?.sk),
      ...(reply ? { reply: payloadFirst(reply) } : {}),
      deliveries,
    };
  };

  /** Posts the request again, with the current key; `edited` fields replace the original's. */
  const replay = async (t: Tracked, edited?: Record<string, string>) => {
    const headers: Record<string, string> = { [REPLAY_HEADER]: String(t.entry.seq) };
    for (const name of ["content-type", "user-agent"]) {
      const value = t.replay.headers[name];
      if (value) headers[name] = value;
    }
    const body =
      edited && t.media && t.entry.fields
        ? encodeEdited(t.media, t.entry.fields, edited)
        : new Uint8Array(t.replay.body);
    const query = t.replay.query.replace(
      /(^|&)key=[^&]*/,
      `$1key=${encodeURIComponent(replayKey)}`,
    );
    const response = await fetch(
      `${options.stack().url}${t.replay.path}${query ? `?${query}` : ""}`,
      { method: "POST", headers, body },
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
          `event: hello\ndata: ${JSON.stringify({ entries: described().map((t) => t.entry), deadLetters, country })}\n\n`,
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
          const edits = await readEdits(req);
          if (edits === null)
            return sendJson(res, 400, { error: "edits must be a JSON object of text fields" });
          return sendJson(res, 200, await replay(t, edits));
        }
        if (req.method === "GET") return sendJson(res, 200, await detail(t));
      }
      if (req.method === "GET" && url.pathname === "/api/phone") {
        // The phone filter: the ingestion's normaliser, a national number read with `country`.
        const raw = url.searchParams.get("q") ?? "";
        return sendJson(res, 200, { e164: toE164(raw, country) ?? null });
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
    workerFailure,
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
      await history?.close();
    },
    watch() {
      const { sqs, pairs } = aws();
      // Listing a queue counts as a receive of each message in it: only for someone to tell.
      watcher = watchDeadLetters(
        sqs,
        pairs,
        (dl) => {
          options.onDeadLetter?.(dl);
          refreshDeadLetters().catch(() => undefined);
        },
        undefined,
        () => clients.size > 0 || options.onDeadLetter !== undefined,
      );
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

/** Replay's optional edits: `{ "fields": { name: text } }`; undefined for none, null if unreadable. */
async function readEdits(req: IncomingMessage): Promise<Record<string, string> | undefined | null> {
  let text = "";
  for await (const chunk of req) {
    text += chunk;
    if (text.length > 64 * 1024) return null;
  }
  if (!text.trim()) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    const fields = (value as { fields?: unknown }).fields;
    if (fields === undefined) return undefined;
    if (typeof fields !== "object" || fields === null || Array.isArray(fields)) return null;
    const entries = Object.entries(fields);
    if (!entries.every(([, v]) => typeof v === "string")) return null;
    return Object.fromEntries(entries) as Record<string, string>;
  } catch {
    return null;
  }
}

/** The attributes that only serve the table (keys, index keys, expiry): shown folded away. */
const KEY_ATTRIBUTES: readonly string[] = [
  TABLE.partitionKey,
  TABLE.sortKey,
  TABLE.byType.partitionKey,
  TABLE.byType.sortKey,
  TABLE.ttlAttribute,
];

/** A stored item as a person reads it: what AT sent first, then the rest, the keys last. */
function payloadFirst(item: Record<string, unknown>) {
  const { payload, ...rest } = item;
  const keys: Record<string, unknown> = {};
  const attributes: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(rest)) {
    if (KEY_ATTRIBUTES.includes(name)) keys[name] = value;
    else attributes[name] = value;
  }
  return { ...(payload === undefined ? {} : { payload }), ...attributes, keys };
}
