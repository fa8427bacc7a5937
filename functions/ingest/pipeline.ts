import middy from "@middy/core";
import httpJsonBodyParser from "@middy/http-json-body-parser";
import httpUrlencodeBodyParser from "@middy/http-urlencode-body-parser";
import type { APIGatewayProxyEventV2, Context } from "aws-lambda";
import { findRoute, type Route } from "../routes";
import { MAX_BODY_BYTES } from "../settings";
import { describeError, logger } from "../shared/logger";
import { maskPhone, maskPhonesIn } from "../shared/phone";
import { isValidCallbackKey } from "./callback-key";
import { type Callback, parseCallback } from "./callbacks";
import { ClientError, type HttpAnswer, refusal } from "./http";

/** A callback that passed authentication and its schema, on the route it came in by. */
export interface Accepted {
  route: Route;
  callback: Callback;
  receivedAt: Date;
  /** The URL AT called, key included, as API Gateway received it. */
  url: string;
}

export interface Handled {
  answer: HttpAnswer;
  /** One word for the log line: queued, answered, ... */
  outcome: string;
}

type Event = Omit<APIGatewayProxyEventV2, "body"> & { body?: unknown };

interface Deps {
  callbackKeys: () => Promise<readonly string[]>;
}

/**
 * Wraps a route's core in the steps every AT callback goes through:
 * route lookup → key check (before any parsing) → size limit → body parsing → schema
 * validation → core, with every refusal answered in the route's own format and logged once.
 */
export function callbackHandler(core: (accepted: Accepted) => Promise<Handled>, deps: Deps) {
  return middy<Event, HttpAnswer, Error, Context>()
    .use({ before: authorise(deps.callbackKeys) })
    .use({ before: limitBodySize })
    .use({ before: requireKnownContentType })
    .use(httpUrlencodeBodyParser({ disableContentTypeError: true }))
    .use(httpJsonBodyParser({ disableContentTypeError: true }))
    .use({ onError: answerRefusals })
    .handler(async (event) => {
      const route = routeOf(event);
      const parsed = parseCallback(route.recordType, event.body);
      if (!parsed.ok) throw new ClientError(400, parsed.reason);
      const { callback } = parsed;
      const receivedAt = new Date(event.requestContext?.timeEpoch ?? Date.now());
      const handled = await core({ route, callback, receivedAt, url: requestUrl(event) });
      logger.info("callback", {
        route: route.name,
        recordType: route.recordType,
        atId: maskPhonesIn(callback.atId),
        outcome: handled.outcome,
        statusCode: handled.answer.statusCode,
        phoneNumber: maskPhone(callback.phoneNumber),
      });
      return handled.answer;
    });
}

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

const authorise =
  (keys: Deps["callbackKeys"]) =>
  async (request: { event: Event }): Promise<void> => {
    routeOf(request.event);
    if (!isValidCallbackKey(request.event.queryStringParameters?.key, await keys())) {
      throw new ClientError(403, "invalid or missing callback key");
    }
  };

/** The two encodings AT uses (the same patterns Middy's parsers recognise). */
const FORM = /^application\/x-www-form-urlencoded(;.*)?$/;
const JSON_TYPE = /^application\/(.+\+)?json($|;.+)/;

async function requireKnownContentType(request: { event: Event }): Promise<void> {
  const type = contentType(request.event);
  if (!type || !(FORM.test(type) || JSON_TYPE.test(type))) {
    throw new ClientError(415, `unsupported content type ${type ?? "(none)"}`);
  }
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
    outcome: statusCode >= 500 ? "failed" : "refused",
    statusCode,
    reason,
    ...(statusCode >= 500 ? { error: describeError(request.error) } : {}),
  });
  request.response =
    statusCode >= 500
      ? refusal(style, 503, "temporarily unavailable, please retry")
      : refusal(style, statusCode, reason);
}

function classify(error: unknown): { statusCode: number; reason: string } {
  if (error instanceof ClientError) return { statusCode: error.statusCode, reason: error.message };
  // Middy's parsers report an unparseable body as 415; to a caller it is a malformed body.
  if (error instanceof Error && /malformed/i.test(error.message)) {
    return { statusCode: 400, reason: `malformed body: ${error.message}` };
  }
  return { statusCode: 500, reason: "internal error" };
}
