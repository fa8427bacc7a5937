/**
 * How the inspector shows a callback at a glance: a one-line summary per route, the request as
 * a copyable curl command (key left as a shell variable), and an edited body encoded again the
 * way AT sends it. Pure functions of the request; no IO.
 */

export type Fields = Record<string, unknown>;

const text = (value: unknown) =>
  value === undefined || value === null
    ? ""
    : typeof value === "string"
      ? value
      : JSON.stringify(value);
const oneLine = (value: string, max = 80) => {
  const flat = value.replace(/\s*\n\s*/g, " / ").trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
};
const status = (answer: string) => {
  try {
    const parsed: unknown = JSON.parse(answer);
    return typeof parsed === "object" && parsed !== null && "status" in parsed
      ? text((parsed as { status: unknown }).status)
      : "";
  } catch {
    return "";
  }
};

/** What a person wants to know of each callback without opening it. */
export function summarize(route: string, fields: Fields | undefined, answer: string): string {
  if (!fields) return "";
  const f = (name: string) => text(fields[name]);
  switch (route) {
    case "sms-twoway":
      return `“${oneLine(f("text"), 70)}” → ${f("to")}`;
    case "sms-delivery-reports":
      return `delivery ${f("status")}${f("failureReason") ? ` (${f("failureReason")})` : ""}`;
    case "sms-opt-out":
      return `opt-out from ${f("senderId") || "(no senderId)"}`;
    case "sms-subscription":
      return `${f("updateType")} ${f("keyword")} at ${f("shortCode")}`;
    case "ussd-session": {
      const input = f("text") === "" ? `dial ${f("serviceCode")}` : `input ${f("text")}`;
      return `${input} → ${oneLine(answer, 60)}`;
    }
    case "ussd-status":
      return `session ${f("status")}, input ${f("input") || "(none)"}`;
    case "voice-instruct":
      if (f("dtmfDigits")) return `digits ${f("dtmfDigits")}`;
      if (f("isActive") === "0")
        return `call ended: ${f("hangupCause") || f("callSessionState") || "?"}`;
      if (f("recordingUrl")) return "recording";
      return `call ${f("direction").toLowerCase() || "starts"} to ${f("destinationNumber")}`;
    case "voice-events":
      return `${f("eventType") || "event"}${f("hangupCause") ? `: ${f("hangupCause")}` : ""}`;
    case "airtime-validation":
      return `${f("currencyCode")} ${f("amount")} → ${status(answer) || "?"}`;
    case "airtime-status":
      return `airtime ${f("status")}${f("description") ? `: ${f("description")}` : ""}`;
    case "sim-swap-status":
      return `SIM swap ${f("status")}`;
    default:
      return f("status");
  }
}

const shellQuote = (value: string) => `'${value.replaceAll("'", `'\\''`)}'`;

/**
 * The request as a curl command: the callback key as `$CALLBACK_KEY` (never the key itself, so
 * a screenshot or a pasted snippet does not leak it), the headers AT sends, the body as received.
 */
export function curlOf(request: {
  baseUrl: string;
  path: string;
  /** The query string as received; its `key` is replaced by the variable. */
  query: string;
  headers: Record<string, string>;
  body: string;
}): string {
  const params = new URLSearchParams(request.query);
  const hasKey = params.has("key");
  params.delete("key");
  const rest = params.toString();
  const url = `${request.baseUrl}${request.path}${hasKey ? "?key=" : rest ? "?" : ""}`;
  const quotedUrl = hasKey
    ? `${shellQuote(url)}"$CALLBACK_KEY"${rest ? shellQuote(`&${rest}`) : ""}`
    : shellQuote(`${url}${rest}`);
  const lines = [`curl -X POST ${quotedUrl}`];
  for (const name of ["content-type", "user-agent"]) {
    const value = request.headers[name];
    if (value) lines.push(`-H ${shellQuote(`${name}: ${value}`)}`);
  }
  if (request.body) lines.push(`--data-raw ${shellQuote(request.body)}`);
  return lines.join(" \\\n  ");
}

/**
 * A body with some fields edited, encoded as the original was: a form with `+` for spaces and
 * `*` as `%2A` (as AT sends USSD codes), or JSON where a field that was a number stays one.
 */
export function encodeEdited(
  media: "form" | "json",
  original: Fields,
  edited: Record<string, string>,
): string {
  const fields: Fields = { ...original };
  for (const [name, value] of Object.entries(edited)) {
    fields[name] =
      media === "json" && typeof original[name] === "number" && value.trim() !== ""
        ? Number.isNaN(Number(value))
          ? value
          : Number(value)
        : value;
  }
  if (media === "json") return JSON.stringify(fields);
  return new URLSearchParams(Object.entries(fields).map(([k, v]): [string, string] => [k, text(v)]))
    .toString()
    .replaceAll("*", "%2A");
}
