import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { APIGatewayProxyEventV2 } from "aws-lambda";

const ROOT = join(import.meta.dirname, "..", "fixtures");

export interface Fixture {
  route: string;
  variant: string;
  body: string;
  contentType: string;
}

export const INVALID_VARIANT = /^(missing|repeated|malformed)/;

export function loadFixture(route: string, variant: string): Fixture {
  const file = readdirSync(join(ROOT, route)).find(
    (f) => f.replace(/\.(form|json)$/, "") === variant,
  );
  if (!file) throw new Error(`no fixture ${route}/${variant}`);
  return {
    route,
    variant,
    body: readFileSync(join(ROOT, route, file), "utf8"),
    contentType: file.endsWith(".json") ? "application/json" : "application/x-www-form-urlencoded",
  };
}

/** Captured-shape API Gateway HTTP API (payload 2.0) events, beside the callback bodies. */
const EVENTS_DIR = "api-gateway";

export function allFixtures(): Fixture[] {
  return readdirSync(ROOT, { withFileTypes: true })
    .filter((d) => d.isDirectory() && d.name !== EVENTS_DIR)
    .flatMap((d) =>
      readdirSync(join(ROOT, d.name)).map((f) =>
        loadFixture(d.name, f.replace(/\.(form|json)$/, "")),
      ),
    );
}

/** The fields of a fixture as the handler's body parsers produce them. */
export function parsedFields(fixture: Fixture): Record<string, unknown> {
  if (fixture.contentType === "application/json") return JSON.parse(fixture.body);
  const fields: Record<string, unknown> = {};
  for (const [k, v] of new URLSearchParams(fixture.body)) {
    const prev = fields[k];
    fields[k] = prev === undefined ? v : [prev, v].flat();
  }
  return fields;
}

/** The HTTP API events under `test/fixtures/api-gateway`, by file name. */
export function httpApiEvents(): [string, APIGatewayProxyEventV2][] {
  return readdirSync(join(ROOT, EVENTS_DIR))
    .filter((f) => f.endsWith(".json"))
    .map((f) => [f, JSON.parse(readFileSync(join(ROOT, EVENTS_DIR, f), "utf8"))]);
}

/**
 * `template` carrying `fixture` to `path` as API Gateway would: the body base64-encoded
 * unless it is JSON, the key in the raw and the parsed query, everything else as captured.
 */
export function httpApiEventFor(
  template: APIGatewayProxyEventV2,
  fixture: Fixture,
  path: string,
  key: string,
): APIGatewayProxyEventV2 {
  const routeKey = `POST ${path}`;
  const base64 = fixture.contentType !== "application/json";
  const query = new URLSearchParams(template.rawQueryString);
  query.set("key", key);
  return {
    ...template,
    routeKey,
    rawPath: path,
    rawQueryString: query.toString(),
    queryStringParameters: { ...template.queryStringParameters, key },
    headers: {
      ...template.headers,
      "content-type": fixture.contentType,
      "content-length": String(Buffer.byteLength(fixture.body)),
    },
    requestContext: {
      ...template.requestContext,
      routeKey,
      http: { ...template.requestContext.http, path },
    },
    body: base64 ? Buffer.from(fixture.body).toString("base64") : fixture.body,
    isBase64Encoded: base64,
  };
}
