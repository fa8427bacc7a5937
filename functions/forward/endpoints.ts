import { EVENT_TYPES } from "../events/event";

export { EVENT_TYPES };

/** A user's endpoint as configured: events of `types` (all when absent) go to `url`. */
export interface ForwardEndpoint {
  readonly name: string;
  readonly url: string;
  readonly types: readonly string[] | undefined;
}

const NAME = /^[a-z][a-z0-9-]{0,29}$/;

/**
 * The `forwardTo` setting: endpoints separated by spaces, each `name=URL` or
 * `name[type,type]=URL` (only those event types), e.g.
 * `crm=https://crm.example.com/at billing[sms.delivery,airtime.status]=https://bill.example.com/hook`.
 * cdk.json may also hold a list of `{"name","url","types"}`. Errors name the endpoint and the
 * problem. `https` is required unless `allowHttp` (the local stack).
 */
export function parseForwardTo(value: unknown, options: { allowHttp: boolean }): ForwardEndpoint[] {
  const entries = Array.isArray(value)
    ? value.map(fromObject)
    : typeof value === "string"
      ? value.trim().split(/\s+/).filter(Boolean).map(fromText)
      : fail("must be a string of name=URL entries or a list of {name, url, types}");
  const seen = new Set<string>();
  for (const endpoint of entries) {
    if (!NAME.test(endpoint.name)) {
      fail(
        `endpoint name "${endpoint.name}" must be lower-case letters, digits and '-', starting with a letter (max 30)`,
      );
    }
    if (seen.has(endpoint.name)) fail(`endpoint name "${endpoint.name}" is used twice`);
    seen.add(endpoint.name);
    checkUrl(endpoint, options.allowHttp);
    for (const type of endpoint.types ?? []) {
      if (!(EVENT_TYPES as readonly string[]).includes(type)) {
        fail(
          `endpoint ${endpoint.name}: unknown event type "${type}" (one of ${EVENT_TYPES.join(", ")})`,
        );
      }
    }
  }
  return entries;
}

function fromText(entry: string): ForwardEndpoint {
  const match = /^([^=[\]]+)(?:\[([^\]]*)\])?=(.+)$/.exec(entry);
  if (!match) fail(`"${entry}" is not name=URL or name[type,type]=URL`);
  const [, name = "", types, url = ""] = match;
  return { name, url, types: types === undefined ? undefined : splitTypes(name, types) };
}

function fromObject(entry: unknown): ForwardEndpoint {
  if (typeof entry !== "object" || entry === null) fail("each entry must be {name, url, types}");
  const { name, url, types } = entry as Record<string, unknown>;
  if (typeof name !== "string" || typeof url !== "string")
    fail("each entry needs a name and a url");
  if (types !== undefined && !(Array.isArray(types) && types.every((t) => typeof t === "string"))) {
    fail(`endpoint ${name}: types must be a list of event types`);
  }
  return { name, url, types: types === undefined ? undefined : splitTypes(name, types.join(",")) };
}

function splitTypes(name: string, list: string): string[] {
  const types = list
    .split(",")
    .map((t) => t.trim())
    .filter(Boolean);
  if (types.length === 0) fail(`endpoint ${name}: an empty type filter would forward nothing`);
  return types;
}

function checkUrl(endpoint: ForwardEndpoint, allowHttp: boolean): void {
  let url: URL;
  try {
    url = new URL(endpoint.url);
  } catch {
    fail(`endpoint ${endpoint.name}: "${endpoint.url}" is not a URL`);
  }
  if (url.protocol === "https:" || (allowHttp && url.protocol === "http:")) return;
  fail(
    `endpoint ${endpoint.name}: ${endpoint.url} must be https${allowHttp ? " or http" : " (deliveries leave AWS signed, never in clear text)"}`,
  );
}

function fail(message: string): never {
  throw new Error(message);
}
