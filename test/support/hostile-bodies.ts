import fc from "fast-check";
import { CALLBACKS } from "../../functions/model/callbacks";
import { ROUTES, type Route } from "../../functions/routes";

/**
 * Generated callback requests for the acceptance property: any route, either encoding, media
 * types in any case, bodies base64-encoded or not, made of AT's fields plus hostile extras
 * (reserved names, deep nesting, numbers a double or DynamoDB cannot hold, lone surrogates,
 * garbage text). The property: a 4xx and nothing queued or stored, or a 2xx and exactly one
 * record whose payload is what was sent.
 */

export type CallbackRoute = Route;
export const CALLBACK_ROUTES: readonly CallbackRoute[] = ROUTES;

/** The field that makes each generated callback's AT id unique (set when the request is sent). */
export const UNIQUE_FIELD: Record<CallbackRoute["recordType"], string> = {
  "sms.incoming": "id",
  "sms.delivery": "id",
  "sms.optout": "senderId",
  "sms.subscription": "shortCode",
  "ussd.session": "sessionId",
  "ussd.end": "sessionId",
  "voice.call": "sessionId",
  "voice.event": "sessionId",
  "airtime.validation": "transactionId",
  "airtime.status": "requestId",
  "simswap.status": "requestId",
};

/** A JSON value whose numbers are kept as the text to send (`1e999` is not a JS number). */
type Tree =
  | { kind: "string"; value: string }
  | { kind: "number"; text: string }
  | { kind: "literal"; value: boolean | null }
  | { kind: "array"; items: Tree[] }
  | { kind: "object"; entries: [string, Tree][] };

export interface GeneratedRequest {
  route: CallbackRoute;
  encoding: "form" | "json";
  contentType: string;
  base64: boolean;
  /** AT's fields plus extras, or a raw text body. */
  body: { kind: "fields"; fields: [string, Tree][] } | { kind: "raw"; text: string };
  /** A well-formed JSON callback (some fields `null`): it must be accepted, never refused. */
  mustAccept?: true;
}

const HOSTILE_KEYS = [
  "__proto__",
  "constructor",
  "prototype",
  "toString",
  "hasOwnProperty",
  "valueOf",
  "",
  "M",
  "S",
  "N",
  "NULL",
  "a.b",
  "#pk",
  ":v",
  "k".repeat(255),
  "k".repeat(256),
];
const NUMBER_TOKENS = [
  "0",
  "-0",
  "1",
  "-1",
  "0.1",
  "500.00",
  "254711000111",
  "1e3",
  "2.5E-7",
  "9007199254740991",
  "9007199254740992",
  "9007199254740993",
  "12345678901234567890",
  "0.10000000000000000001",
  "1e999",
  "-1e999",
  "1e125",
  "1e126",
  "1e-130",
  "1e-131",
  "5e-324",
];

const anyText = fc.oneof(
  { weight: 3, arbitrary: fc.string({ maxLength: 12 }) },
  { weight: 2, arbitrary: fc.string({ unit: "grapheme", maxLength: 8 }) },
  // Any code unit, unpaired surrogates included.
  { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 8 }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom("+254711000111", "%2B254", "a+b", "x&y=z", "\ud800", "👋"),
  },
);

const key = fc.oneof(
  { weight: 4, arbitrary: fc.string({ minLength: 1, maxLength: 8 }) },
  { weight: 2, arbitrary: fc.constantFrom(...HOSTILE_KEYS) },
  { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 4 }) },
);

const leaf: fc.Arbitrary<Tree> = fc.oneof(
  { weight: 4, arbitrary: anyText.map((value) => ({ kind: "string" as const, value })) },
  {
    weight: 2,
    arbitrary: fc
      .oneof(
        fc.constantFrom(...NUMBER_TOKENS),
        fc.integer().map(String),
        fc.double({ noNaN: true, noDefaultInfinity: true }).map(String),
      )
      .map((text) => ({ kind: "number" as const, text })),
  },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom(true, false, null)
      .map((value) => ({ kind: "literal" as const, value })),
  },
);

const tree: fc.Arbitrary<Tree> = fc.letrec<{ tree: Tree }>((tie) => ({
  tree: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    { weight: 5, arbitrary: leaf },
    {
      weight: 1,
      arbitrary: fc
        .array(tie("tree"), { maxLength: 3 })
        .map((items) => ({ kind: "array" as const, items })),
    },
    {
      weight: 1,
      arbitrary: fc
        .array(fc.tuple(key, tie("tree")), { maxLength: 3 })
        .map((entries) => ({ kind: "object" as const, entries })),
    },
  ),
})).tree;

/** A value wrapped in 1 to 40 arrays or objects: around the nesting limit and far beyond it. */
const deep: fc.Arbitrary<Tree> = fc
  .tuple(fc.integer({ min: 1, max: 40 }), fc.boolean(), leaf)
  .map(([levels, arrays, inner]) => {
    let value = inner;
    for (let i = 0; i < levels; i++) {
      value = arrays
        ? { kind: "array", items: [value] }
        : { kind: "object", entries: [["a", value]] };
    }
    return value;
  });

/** AT's fields for the route, as strings (form) or with JSON numbers where AT sends them. */
const atFields = (route: CallbackRoute) => {
  const entries: Record<string, { type: string }> = CALLBACKS[route.recordType].entries;
  const fields = Object.keys(entries);
  const required = fields.filter((name) => entries[name]?.type !== "optional");
  return fc
    .tuple(
      ...fields.map((name) =>
        fc.option(
          fc.oneof(
            {
              weight: 4,
              arbitrary: fc
                .constantFrom("+254711000111", "Success", "ATXid_x", "1", "KES", "", "*384#", "1*2")
                .map((value) => ({ kind: "string" as const, value })),
            },
            { weight: 1, arbitrary: leaf },
          ),
          { freq: required.includes(name) ? 12 : 2 },
        ),
      ),
    )
    .map((values) =>
      values.flatMap((value, i) =>
        value === null ? [] : [[fields[i] as string, value] as [string, Tree]],
      ),
    );
};

const FORM_TYPES = [
  "application/x-www-form-urlencoded",
  "Application/X-WWW-Form-Urlencoded",
  "application/x-www-form-urlencoded; charset=UTF-8",
];
const JSON_TYPES = [
  "application/json",
  "APPLICATION/JSON",
  "application/json;",
  "application/json; charset=utf-8",
];

const NULL: Tree = { kind: "literal", value: null };
const plain = fc
  .constantFrom("+254711000111", "1", "Success", "KES")
  .map((value): Tree => ({ kind: "string", value }));

/**
 * A JSON callback as a JSON API sends it: every required field with a value (the text of an SMS
 * may be null: it may be empty), every other field AT documents absent, a value or `null`.
 */
const withNulls: fc.Arbitrary<GeneratedRequest> = fc
  .tuple(fc.constantFrom(...CALLBACK_ROUTES), fc.constantFrom(...JSON_TYPES), fc.boolean())
  .chain(([route, contentType, base64]) => {
    const entries: Record<string, { type: string }> = CALLBACKS[route.recordType].entries;
    const fields = Object.entries(entries).map(([name, schema]) => {
      const value =
        schema.type === "optional"
          ? fc.option(fc.oneof(fc.constant(NULL), plain), { freq: 4 })
          : route.recordType === "sms.incoming" && name === "text"
            ? fc.oneof(fc.constant(NULL), plain)
            : plain;
      return value.map((v) => (v === null ? [] : [[name, v] as [string, Tree]]));
    });
    return fc.tuple(...fields, fc.constant(NULL)).map(([...parts]) => {
      const nullExtra = parts.pop() as Tree;
      return {
        route,
        encoding: "json" as const,
        contentType,
        base64,
        body: {
          kind: "fields" as const,
          fields: [...(parts as [string, Tree][][]).flat(), ["note", nullExtra] as [string, Tree]],
        },
        mustAccept: true as const,
      };
    });
  });

const anyRequest: fc.Arbitrary<GeneratedRequest> = fc
  .tuple(fc.constantFrom(...CALLBACK_ROUTES), fc.constantFrom("form" as const, "json" as const))
  .chain(([route, encoding]) =>
    fc.record({
      route: fc.constant(route),
      encoding: fc.constant(encoding),
      contentType: fc.oneof(
        {
          weight: 20,
          arbitrary: fc.constantFrom(...(encoding === "form" ? FORM_TYPES : JSON_TYPES)),
        },
        { weight: 1, arbitrary: fc.constantFrom("text/plain", "application/xml", "") },
      ),
      base64: fc.boolean(),
      body: fc.oneof(
        {
          weight: 8,
          arbitrary: fc
            .tuple(
              atFields(route),
              fc.array(
                fc.tuple(
                  key,
                  fc.oneof({ weight: 3, arbitrary: tree }, { weight: 1, arbitrary: deep }),
                ),
                {
                  maxLength: 3,
                },
              ),
            )
            .map(([fields, extras]) => ({
              kind: "fields" as const,
              fields: [...fields, ...extras],
            })),
        },
        {
          weight: 1,
          arbitrary: fc
            .string({ unit: "binary", maxLength: 40 })
            .map((text) => ({ kind: "raw" as const, text })),
        },
      ),
    }),
  );

export const generatedRequest: fc.Arbitrary<GeneratedRequest> = fc.oneof(
  { weight: 9, arbitrary: anyRequest },
  { weight: 2, arbitrary: withNulls },
);

export interface EncodedRequest {
  contentType: string;
  /** The body as API Gateway hands it to the function. */
  body: string;
  isBase64Encoded: boolean;
  /** The unique value given to the route's id field, when the body has fields. */
  unique?: string;
}

/** Encodes a generated request, giving its id field `unique` so its record can be found. */
export function encodeRequest(request: GeneratedRequest, unique: string): EncodedRequest {
  let text: string;
  let marked: string | undefined;
  if (request.body.kind === "raw") {
    text = request.body.text;
  } else {
    const idField = UNIQUE_FIELD[request.route.recordType];
    const fields: [string, Tree][] = request.body.fields.map(([name, value]) =>
      name === idField ? [name, { kind: "string", value: unique }] : [name, value],
    );
    if (!fields.some(([name]) => name === idField))
      fields.push([idField, { kind: "string", value: unique }]);
    marked = unique;
    text =
      request.encoding === "json"
        ? jsonText({ kind: "object", entries: fields })
        : formText(fields);
  }
  const bytes = Buffer.from(text, "utf8");
  return {
    contentType: request.contentType,
    body: request.base64 ? bytes.toString("base64") : bytes.toString("utf8"),
    isBase64Encoded: request.base64,
    ...(marked ? { unique: marked } : {}),
  };
}

function jsonText(value: Tree): string {
  switch (value.kind) {
    case "string":
      return JSON.stringify(value.value);
    case "number":
      return value.text;
    case "literal":
      return JSON.stringify(value.value);
    case "array":
      return `[${value.items.map(jsonText).join(",")}]`;
    case "object":
      return `{${value.entries.map(([k, v]) => `${JSON.stringify(k)}:${jsonText(v)}`).join(",")}}`;
  }
}

/** Form fields carry text: a nested value is sent as its JSON text, a lone surrogate as U+FFFD. */
function formText(fields: [string, Tree][]): string {
  const asText = (value: Tree) =>
    value.kind === "string" ? value.value : value.kind === "number" ? value.text : jsonText(value);
  const encode = (s: string) => encodeURIComponent(s.toWellFormed());
  return fields.map(([k, v]) => `${encode(k)}=${encode(asText(v))}`).join("&");
}

/**
 * What was sent, read independently of the code under test: `JSON.parse` for JSON (numbers
 * as doubles, -0 as 0), `URLSearchParams` for forms (a repeated field as the list of its values).
 */
export function sentFields(encoded: EncodedRequest, encoding: "form" | "json"): unknown {
  const text = encoded.isBase64Encoded
    ? Buffer.from(encoded.body, "base64").toString("utf8")
    : encoded.body;
  if (encoding === "json") return JSON.parse(JSON.stringify(JSON.parse(text)));
  const fields: Record<string, unknown> = {};
  for (const [k, v] of new URLSearchParams(text)) {
    const previous = Object.hasOwn(fields, k) ? fields[k] : undefined;
    Object.defineProperty(fields, k, {
      value: previous === undefined ? v : [previous, v].flat(),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return fields;
}
