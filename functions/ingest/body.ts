import { isFieldObject, type JsonObject, type JsonValue } from "../shared/json";
import { ClientError } from "./http";

/**
 * The one acceptance rule for a callback body: it is accepted only if it can be stored in
 * DynamoDB and read back unchanged (docs/operations.md "What every route does with a request"). Checked
 * before anything is queued; a body that breaks it is refused with 400 and a one-line reason.
 */
export const BODY_RULE = {
  /** Levels of objects and arrays, the body itself being level 1 (DynamoDB allows 32). */
  maxDepth: 16,
  /** Bytes of one field name (UTF-8). */
  maxKeyBytes: 255,
  /** Field names the SDK's marshaller and JavaScript objects treat specially. */
  reservedKeys: ["__proto__", "constructor", "prototype"] as readonly string[],
  /** Fields of a form body, empty pairs included (Node's querystring reads no more). */
  maxFormFields: 1000,
  /** Smallest magnitude DynamoDB's Number type holds (zero aside). */
  smallestNumber: 1e-130,
} as const;

export type MediaType = "form" | "json";

/**
 * The media type of a Content-Type header, compared case-insensitively as RFC 9110 says
 * (`APPLICATION/JSON`, `application/json;` and `application/json; charset=UTF-8` alike).
 */
export function mediaTypeOf(header: string | undefined): MediaType | undefined {
  const type = (header ?? "").split(";", 1)[0]?.trim().toLowerCase() ?? "";
  if (type === "application/x-www-form-urlencoded") return "form";
  if (/^application\/([a-z0-9.+-]+\+)?json$/.test(type)) return "json";
  return undefined;
}

/** The text of a request body as API Gateway hands it over (base64 when it was not text). */
export function bodyText(body: string | undefined, isBase64Encoded: boolean | undefined): string {
  if (body === undefined) return "";
  if (!isBase64Encoded) return body;
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(Buffer.from(body, "base64"));
  } catch {
    throw new ClientError(400, "body is not UTF-8 text");
  }
}

/**
 * Checks a form body for what Middy's urlencode parser (Node's querystring) would silently
 * change rather than refuse: a `%`-escape that is not UTF-8 (decoded to U+FFFD), a
 * `__proto__` field (dropped when the parser copies the fields into a plain object), and
 * fields beyond the 1000th (querystring stops there, counting empty pairs too).
 */
export function checkFormBody(text: string): void {
  const pairs = text.split("&");
  if (pairs.length > BODY_RULE.maxFormFields) {
    refuse(`a form has more than ${BODY_RULE.maxFormFields} fields`);
  }
  for (const pair of pairs) {
    const at = pair.indexOf("=");
    acceptKey(decodeFormPart(at < 0 ? pair : pair.slice(0, at)), pair === "");
    if (at >= 0) decodeFormPart(pair.slice(at + 1));
  }
}

function decodeFormPart(part: string): string {
  try {
    return decodeURIComponent(part.replaceAll("+", " "));
  } catch {
    throw new ClientError(400, "malformed form body: a %-escape is not UTF-8");
  }
}

/**
 * Applies the acceptance rule to a parsed body and returns a copy made of null-prototype
 * objects. `jsonText`, for JSON bodies, lets numbers be checked as they were written: one that
 * a double cannot hold exactly would be stored as a different number.
 */
export function acceptBody(value: unknown, jsonText?: string): JsonObject {
  if (!isFieldObject(value)) throw new ClientError(400, "body must be an object of fields");
  if (jsonText !== undefined) checkJsonNumbers(jsonText);
  return copyObject(value, 1);
}

function copyAccepted(value: unknown, depth: number): JsonValue {
  if (typeof value === "string") {
    if (!value.isWellFormed()) refuse("a string holds an unpaired UTF-16 surrogate");
    return value;
  }
  if (typeof value === "number") return acceptNumber(value);
  if (typeof value === "boolean" || value === null) return value;
  if (Array.isArray(value)) {
    checkDepth(depth);
    return value.map((item) => copyAccepted(item, depth + 1));
  }
  if (isFieldObject(value)) return copyObject(value, depth);
  return refuse(`a value of type ${typeof value} is not JSON`);
}

function copyObject(value: { readonly [field: string]: unknown }, depth: number): JsonObject {
  checkDepth(depth);
  const copy: JsonObject = Object.create(null);
  for (const [key, item] of Object.entries(value)) {
    acceptKey(key);
    copy[key] = copyAccepted(item, depth + 1);
  }
  return copy;
}

function checkDepth(depth: number): void {
  if (depth > BODY_RULE.maxDepth) refuse(`nesting is deeper than ${BODY_RULE.maxDepth} levels`);
}

/** `emptyPair`: a bare `&&` in a form, which names no field and is skipped by the parser. */
function acceptKey(key: string, emptyPair = false): void {
  if (emptyPair) return;
  if (key === "") refuse("a field name is empty");
  if (BODY_RULE.reservedKeys.includes(key)) refuse(`field name ${key} is not allowed`);
  if (!key.isWellFormed()) refuse("a field name holds an unpaired UTF-16 surrogate");
  if (Buffer.byteLength(key) > BODY_RULE.maxKeyBytes) {
    refuse(`a field name is longer than ${BODY_RULE.maxKeyBytes} bytes`);
  }
}

/**
 * Integers beyond 2^53 are refused too: the SDK reads them back as BigInt, which no JSON tool
 * prints, and most were already rounded by the parser.
 */
function acceptNumber(n: number): number {
  const magnitude = Math.abs(n);
  if (!Number.isFinite(n) || (magnitude !== 0 && magnitude < BODY_RULE.smallestNumber)) {
    refuse(`number ${n} is out of the storable range`);
  }
  if (Number.isInteger(n) && !Number.isSafeInteger(n)) {
    refuse(`number ${n} is beyond 2^53; send it as a string`);
  }
  return n === 0 ? 0 : n; // -0 is stored as 0
}

/** Strings removed first, so only the number tokens of (already valid) JSON text remain. */
const JSON_STRING = /"(?:[^"\\]|\\.)*"/g;
const JSON_NUMBER = /-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/g;

function checkJsonNumbers(text: string): void {
  for (const [token] of text.replace(JSON_STRING, '""').matchAll(JSON_NUMBER)) {
    const parsed = Number(token);
    if (!Number.isFinite(parsed)) refuse(`number ${short(token)} is out of the storable range`);
    if (decimalOf(token) !== decimalOf(String(parsed))) {
      refuse(`number ${short(token)} cannot be stored exactly; send it as a string`);
    }
  }
}

/** A decimal number's value as `digits e exponent`, with no leading or trailing zeros. */
function decimalOf(token: string): string {
  const match = /^-?(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/.exec(token);
  if (!match) return token;
  const [, whole = "", fraction = "", exponent = "0"] = match;
  const digits = `${whole}${fraction}`.replace(/^0+/, "");
  if (digits === "") return "0";
  const trimmed = digits.replace(/0+$/, "");
  const scale = Number(exponent) - fraction.length + (digits.length - trimmed.length);
  return `${token.startsWith("-") ? "-" : ""}${trimmed}e${scale}`;
}

const short = (token: string) => (token.length > 24 ? `${token.slice(0, 21)}...` : token);

function refuse(reason: string): never {
  throw new ClientError(400, `body cannot be stored as sent: ${reason}`);
}
