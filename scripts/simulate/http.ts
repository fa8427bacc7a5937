import { randomBytes } from "node:crypto";
import { UsageError } from "../commands/command";
import { loadOutputs, output, readCallbackKey, type StackOutputs } from "../deployed-stack";
import { readLocalState } from "../local-state";

/** Where callbacks go: the running local stack, or a deployment (`--url --key`). */
export interface Target {
  baseUrl: string;
  key: string;
  local: boolean;
  /** A deployed stage's records table (from its outputs), where replies are read. */
  table?: { tableName: string; region: string };
}

export type Fields = Record<string, string | number>;

/** What every kind takes: a fixed AT id (to show a retry) and `--set` overrides per request. */
export interface Overrides {
  id?: string;
  set?: (fields: Fields) => Fields;
}
export type Encoding = "form" | "json" | "ussd";

export interface Exchange {
  request: { method: "POST"; path: string; contentType: string; fields: Fields };
  answer: { status: number; contentType: string; headers: Record<string, string>; body: string };
}

/** How the simulator talks to the user: lines out, and a question when it needs input. */
export interface Io {
  out(line: string): void;
  /** Asks the user; undefined when there is nobody to ask (input closed). */
  ask?(prompt: string): Promise<string | undefined>;
}

export interface TargetOptions {
  url?: string | undefined;
  key?: string | undefined;
  stage?: string | undefined;
  region?: string | undefined;
  "describe-stacks"?: string | undefined;
}

/**
 * Where to post: `--url` (with `--key`), a deployed `--stage` (its API endpoint, callback key
 * and table from the stack's outputs), or the running local stack.
 */
export async function resolveTarget(options: TargetOptions): Promise<Target> {
  if (options.stage) {
    let outputs: StackOutputs;
    try {
      outputs = loadOutputs({
        stage: options.stage,
        region: options.region,
        describeStacksFile: options["describe-stacks"],
      });
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
    const baseUrl = output(outputs, "ApiEndpoint").replace(/\/+$/, "");
    const region = options.region ?? /\.execute-api\.([a-z0-9-]+)\./.exec(baseUrl)?.[1];
    const key = options.key ?? (await readCallbackKey(output(outputs, "CallbackKeySecretArn")));
    const tableName = outputs.get("TableName")?.value;
    return {
      baseUrl,
      key,
      local: false,
      ...(tableName && region ? { table: { tableName, region } } : {}),
    };
  }
  if (options.url) {
    const key = options.key ?? process.env.CALLBACK_KEY?.split(",")[0];
    if (!key) throw new UsageError("--key (or CALLBACK_KEY) is needed with --url");
    let base: URL;
    try {
      base = new URL(options.url);
    } catch {
      throw new UsageError(
        `--url must be a URL like https://abc123.execute-api.eu-west-1.amazonaws.com, not ${options.url}`,
      );
    }
    return { baseUrl: base.href.replace(/\/+$/, ""), key, local: false } satisfies Target;
  }
  let state: ReturnType<typeof readLocalState>;
  try {
    state = readLocalState();
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const key = options.key ?? state.callbackKey;
  if (!state.url || !key) {
    throw new UsageError(
      "The running local stack is older than this command: restart `npm start`, or pass --url and --key.",
    );
  }
  return { baseUrl: state.url, key, local: true } satisfies Target;
}

/** AT's ids look like `ATXid_…`, `ATUid_…`, `ATVId_…`: a prefix and random hex. */
export const atId = (prefix: string, bytes = 16) =>
  `${prefix}${randomBytes(bytes).toString("hex")}`;

/** AT's `date` fields: UTC `yyyy-MM-dd HH:mm:ss`. */
export const atDate = (at = new Date()) => at.toISOString().slice(0, 19).replace("T", " ");

/**
 * The body exactly as AT puts it on the wire: form fields percent-encoded with `+` for spaces
 * (so `+254…` travels as `%2B254…` and `*384#` as `%2A384%23`), or a JSON object.
 */
export function encode(fields: Fields, encoding: Encoding): { contentType: string; body: string } {
  if (encoding === "json") return { contentType: "application/json", body: JSON.stringify(fields) };
  const body = new URLSearchParams(
    Object.entries(fields).map(([k, v]): [string, string] => [k, String(v)]),
  ).toString();
  return {
    contentType:
      encoding === "ussd"
        ? "application/x-www-form-urlencoded; charset=UTF-8"
        : "application/x-www-form-urlencoded",
    body: body.replaceAll("*", "%2A"),
  };
}

/** Headers about the connection rather than the answer: left out of what is shown. */
const TRANSPORT_HEADERS = new Set([
  "connection",
  "date",
  "keep-alive",
  "transfer-encoding",
  "content-length",
]);

/** Posts to an absolute URL (a flow's callbackUrl or Redirect) exactly as given. */
export async function postUrl(url: string, fields: Fields, encoding: Encoding): Promise<Exchange> {
  const { contentType, body } = encode(fields, encoding);
  const headers: Record<string, string> = { "content-type": contentType };
  if (encoding === "ussd") headers["user-agent"] = "at-ussd-api/1.0";
  let response: Response;
  try {
    response = await fetch(url, {
      method: "POST",
      headers,
      body,
      signal: AbortSignal.timeout(15_000),
    });
  } catch (error) {
    const reason = (error as Error & { cause?: Error }).cause?.message ?? (error as Error).message;
    throw new Error(`could not reach ${new URL(url).origin}: ${reason}`);
  }
  const answerHeaders: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    if (!TRANSPORT_HEADERS.has(name)) answerHeaders[name] = value;
  });
  return {
    request: { method: "POST", path: new URL(url).pathname, contentType, fields },
    answer: {
      status: response.status,
      contentType: response.headers.get("content-type") ?? "",
      headers: answerHeaders,
      body: await response.text(),
    },
  };
}

export const routeUrl = (target: Target, path: string) =>
  `${target.baseUrl}${path}?key=${encodeURIComponent(target.key)}`;

export const postCallback = (target: Target, path: string, fields: Fields, encoding: Encoding) =>
  postUrl(routeUrl(target, path), fields, encoding);

/** One line per field, values quoted only when they need it. */
export const showFields = (fields: Fields) =>
  Object.entries(fields)
    .map(
      ([k, v]) =>
        `${k}=${typeof v === "string" && (v === "" || /\s/.test(v)) ? JSON.stringify(v) : v}`,
    )
    .join(" ");

/** Prints an exchange the way the simulator does in text mode (`--json`: one JSON line). */
export function printExchange(io: Io, exchange: Exchange, json: boolean) {
  if (json) {
    io.out(JSON.stringify(exchange));
    return;
  }
  io.out(`→ POST ${exchange.request.path}  ${showFields(exchange.request.fields)}`);
  const body = exchange.answer.body;
  io.out(
    `← ${exchange.answer.status}${body ? `  ${body.length > 300 ? `${body.slice(0, 300)}…` : body}` : ""}`,
  );
}
