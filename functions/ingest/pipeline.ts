import middy from "@middy/core";
import httpJsonBodyParser from "@middy/http-json-body-parser";
import httpUrlencodeBodyParser from "@middy/http-urlencode-body-parser";
import { HttpError } from "@middy/util";
import type { APIGatewayProxyEventV2, Context } from "aws-lambda";
import { type Callback, parseCallback } from "../model/callbacks";
import { findRoute, type Route } from "../routes";
import { MAX_BODY_BYTES, REQUEST_BUDGET_MS } from "../settings";
import { requestDeadline, untilAborted } from "../shared/deadline";
import { logContext, logger } from "../shared/logger";
import { maskPhone } from "../shared/phone";
import { acceptBody, bodyText, checkFormBody, type MediaType, mediaTypeOf } from "./body";
import { isValidCallbackKey } from "./callback-key";
import { ClientError, type HttpAnswer, refusal } from "./http";

/** A callback that passed authentication and its schema, on the route it came in by. */
export interface Accepted {
  route: Route;
  callback: Callback;
  receivedAt: Date;
  /** The URL AT called, key included, as API Gateway received it. */
  url: string;
  /** The request's deadline: pass it to every call that waits on another service. */
  signal: AbortSignal;
}

export interface Handled {
  answer: HttpAnswer;
  /** One word for the log line: queued, answered, ... */
  outcome: string;
}

type Event = Omit<APIGatewayProxyEventV2, "body"> & { body?: unknown };

interface Deps {
  callbackKeys: (signal?: AbortSignal) => Promise<readonly string[]>;
  /** Overrides the route's time budget (REQUEST_BUDGET_MS). */
  budgetMs?: number;
}

/**
 * Wraps a route's core in the steps every AT callback goes through:
 * deadline → route lookup → key check (before any parsing) → size limit → body parsing →
 * acceptance rule (functions/ingest/body.ts) → schema validation → core, with every refusal
 * answered in the route's own format and logged once.
 */
export function callbackHandler(
  core: (accepted: Accepted) => Promise<Handled>,
  deps: Deps,
): CallbackHandler {
  const handler = middy<Event, HttpAnswer, Error, Context>()
    // Every line of the request carries its Lambda request id, and from the schema on its AT id.
    .use(logContext())
    .use({ before: startDeadline(deps.budgetMs) })
    .use({ before: authorise(deps.callbackKeys) })
    .use({ before: limitBodySize })
    .use({ before: requireKnownContentType })
    .use(httpJsonBodyParser({ disableContentTypeError: true }))
    .use({ before: checkForm })
    .use(httpUrlencodeBodyParser({ disableContentTypeError: true }))
    .use({ before: applyAcceptanceRule })
    .use({ onError: answerRefusals })
    .handler(async (event) => {
      const route = routeOf(event);
      const parsed = parseCallback(route.recordType, event.body);
      if (!parsed.ok) throw new ClientError(400, parsed.reason);
      const { callback } = parsed;
      atIds.set(event, callback.atId);
      logger.appendKeys({ atId: callback.atId });
      const receivedAt = new Date(event.requestContext?.timeEpoch ?? Date.now());
      const handled = await core({
        route,
        callback,
        receivedAt,
        url: requestUrl(event),
        signal: deadlineOf(event),
      });
      // The recorder's line says what became of the callback: this one is for debugging.
      logger.debug("callback", {
        route: route.name,
        recordType: route.recordType,
        atId: callback.atId,
        outcome: handled.outcome,
        statusCode: handled.answer.statusCode,
        phoneNumber: maskPhone(callback.phoneNumber),
      });
      return handled.answer;
    });
  // Middy types the event as every parser's event at once; API Gateway's is what arrives.
  return handler as unknown as CallbackHandler;
}

/** A callback route's Lambda handler: API Gateway's HTTP API event in, the answer out. */
export type CallbackHandler = (
  event: APIGatewayProxyEventV2,
  context: Context,
) => Promise<HttpAnswer>;

function routeOf(event: Event): Route {
  const route = findRoute(event.routeKey);
  if (!route) throw new ClientError(404, `no callback route ${event.routeKey}`);
  return route;
}

/**
 * API Gateway serves HTTPS only and says so in `x-forwarded-proto`; `domainName` is the host AT
 * called (the custom domain, when one is mapped).
 */
function requestUrl(event: Event): string {
  const scheme = event.headers?.["x-forwarded-proto"] ?? "https";
  const host = event.requestContext.domainName;
  const query = event.rawQueryString ? `?${event.rawQueryString}` : "";
  return `${scheme}://${host}${event.rawPath}${query}`;
}

const contentType = (event: Event) =>
  event.headers?.["content-type"] ?? event.headers?.["Content-Type"];

const deadlines = new WeakMap<Event, AbortSignal>();
const deadlineOf = (event: Event) => deadlines.get(event) ?? AbortSignal.timeout(0);

/** The request's one time budget, set before anything else waits. */
const startDeadline =
  (budgetMs: number | undefined) =>
  async (request: { event: Event; context: Context }): Promise<void> => {
    const style = findRoute(request.event.routeKey)?.answer ?? "plain";
    deadlines.set(
      request.event,
      requestDeadline(
        budgetMs ?? REQUEST_BUDGET_MS[style],
        request.context?.getRemainingTimeInMillis?.(),
      ),
    );
  };

const authorise =
  (keys: Deps["callbackKeys"]) =>
  async (request: { event: Event }): Promise<void> => {
    routeOf(request.event);
    const signal = deadlineOf(request.event);
    const valid = await untilAborted(keys(signal), signal);
    if (!isValidCallbackKey(request.event.queryStringParameters?.key, valid)) {
      throw new ClientError(403, "invalid or missing callback key");
    }
  };

/** The body as sent, before parsing: JSON numbers are checked as they were written. */
const rawBodies = new WeakMap<Event, string>();

/**
 * Accepts the two encodings AT uses, whatever the case of the media type, and hands the
 * parsers a body in their canonical content type and as text.
 */
async function requireKnownContentType(request: { event: Event }): Promise<void> {
  const { event } = request;
  const header = contentType(event);
  const media = mediaTypeOf(header);
  if (!media) throw new ClientError(415, `unsupported content type ${header ?? "(none)"}`);
  const text = bodyText(
    typeof event.body === "string" ? event.body : undefined,
    event.isBase64Encoded,
  );
  rawBodies.set(event, text);
  event.headers = { ...withoutContentType(event.headers), "content-type": CANONICAL[media] };
  event.body = text;
  event.isBase64Encoded = false;
}

const CANONICAL: Record<MediaType, string> = {
  form: "application/x-www-form-urlencoded",
  json: "application/json",
};

const withoutContentType = (headers: Event["headers"]) =>
  Object.fromEntries(
    Object.entries(headers ?? {}).filter(([name]) => name.toLowerCase() !== "content-type"),
  );

/** Refuses, before Middy's parser runs, the form bodies it would silently change. */
async function checkForm(request: { event: Event }): Promise<void> {
  if (mediaTypeOf(contentType(request.event)) !== "form") return;
  checkFormBody(rawBodies.get(request.event) ?? "");
}

async function applyAcceptanceRule(request: { event: Event }): Promise<void> {
  const { event } = request;
  const json = mediaTypeOf(contentType(event)) === "json";
  event.body = acceptBody(event.body, json ? rawBodies.get(event) : undefined);
}

async function limitBodySize(request: { event: Event }): Promise<void> {
  const { body, isBase64Encoded } = request.event;
  if (typeof body !== "string") return;
  const bytes = isBase64Encoded ? Buffer.from(body, "base64").length : Buffer.byteLength(body);
  if (bytes > MAX_BODY_BYTES) {
    throw new ClientError(413, `body is ${bytes} bytes; the limit is ${MAX_BODY_BYTES}`);
  }
}

/** Translates errors into answers: client mistakes get their one-line reason, the rest a 5xx. */
async function answerRefusals(request: {
  event: Event;
  error: unknown;
  response: HttpAnswer | undefined;
}) {
  const route = findRoute(request.event.routeKey);
  const style = route?.answer ?? "plain";
  const { statusCode, reason } = classify(request.error);
  const log = statusCode >= 500 ? logger.error.bind(logger) : logger.info.bind(logger);
  log("callback", {
    route: route?.name ?? request.event.routeKey,
    recordType: route?.recordType,
    ...atIdOf(request.event),
    outcome: statusCode >= 500 ? "failed" : "refused",
    statusCode,
    reason,
    ...(statusCode >= 500 ? { error: request.error } : {}),
  });
  request.response =
    statusCode >= 500
      ? refusal(style, 503, "temporarily unavailable, please retry")
      : refusal(style, statusCode, reason);
}

function classify(error: unknown): { statusCode: number; reason: string } {
  if (error instanceof ClientError) return { statusCode: error.statusCode, reason: error.message };
  // Middy's parsers report an unparseable body as a 415 HttpError: a malformed body.
  if (error instanceof HttpError && isParserError(error)) {
    return { statusCode: 400, reason: `malformed body: ${error.message}` };
  }
  // Anything else (a queue, a table, a bug) is ours: AT must retry, never drop the callback.
  return { statusCode: 500, reason: "internal error" };
}

const PARSERS: readonly unknown[] = [
  "@middy/http-json-body-parser",
  "@middy/http-urlencode-body-parser",
];
const isParserError = (error: HttpError) =>
  error.statusCode < 500 &&
  PARSERS.includes((error.cause as { package?: unknown } | undefined)?.package);

/** The AT id of a request that got as far as its schema, for its refusal or failure line. */
const atIds = new WeakMap<Event, string>();
function atIdOf(event: Event): { atId?: string } {
  const atId = atIds.get(event);
  return atId === undefined ? {} : { atId };
}
