import { describe, expect, it } from "vitest";
import {
  acceptBody,
  BODY_RULE,
  bodyText,
  checkFormBody,
  mediaTypeOf,
} from "../../functions/ingest/body";
import { ClientError } from "../../functions/ingest/http";

const acceptJson = (text: string) => acceptBody(JSON.parse(text), text);
const reasonOf = (run: () => unknown) => {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ClientError);
    return (error as ClientError).message;
  }
  throw new Error("accepted");
};

describe("media types", () => {
  it.each([
    ["application/json", "json"],
    ["APPLICATION/JSON", "json"],
    ["application/json;", "json"],
    ["application/json; charset=UTF-8", "json"],
    ["application/vnd.at+json", "json"],
    ["Application/X-WWW-Form-Urlencoded;charset=utf-8", "form"],
    ["text/plain", undefined],
    ["application/jsonx", undefined],
    [undefined, undefined],
  ])("%s is %s", (header, media) => {
    expect(mediaTypeOf(header)).toBe(media);
  });
});

describe("form bodies", () => {
  // Middy's urlencode parser (Node's querystring) would silently change these: refused instead.
  it("allows up to 1000 fields, empty pairs included, as the parser reads them", () => {
    const fields = (n: number) => Array.from({ length: n }, (_, i) => `f${i}=${i}`).join("&");
    expect(() => checkFormBody(fields(1000))).not.toThrow();
    expect(reasonOf(() => checkFormBody(fields(1001)))).toMatch(/more than 1000 fields/);
    expect(reasonOf(() => checkFormBody(`&&${fields(999)}`))).toMatch(/more than 1000 fields/);
  });

  it("refuses a __proto__ field however it is escaped, and empty or reserved names", () => {
    expect(reasonOf(() => checkFormBody("id=1&__proto__=x"))).toMatch(/__proto__/);
    expect(reasonOf(() => checkFormBody("id=1&%5F_proto__=x"))).toMatch(/__proto__/);
    expect(reasonOf(() => checkFormBody("constructor=x"))).toMatch(/constructor/);
    expect(reasonOf(() => checkFormBody("=x"))).toMatch(/empty/);
    expect(() => checkFormBody("a=1&&b=%2B254&b=x+y&c&toString=z")).not.toThrow();
  });

  it("refuses a %-escape that is not UTF-8, in a name or a value", () => {
    expect(reasonOf(() => checkFormBody("a=%FF"))).toMatch(/^malformed form body/);
    expect(reasonOf(() => checkFormBody("%ZZ=1"))).toMatch(/^malformed form body/);
  });

  it("refuses base64 bodies that are not UTF-8", () => {
    expect(bodyText(Buffer.from("a=é").toString("base64"), true)).toBe("a=é");
    expect(reasonOf(() => bodyText(Buffer.from([0xff, 0xfe]).toString("base64"), true))).toBe(
      "body is not UTF-8 text",
    );
  });
});

describe("the acceptance rule", () => {
  it("accepts what DynamoDB stores unchanged, copied into null-prototype objects", () => {
    const body = acceptJson('{"a":{"b":[1,0.1,-2.5e-7,true,null,""]},"c":"Habari 👋","n":-0}');
    expect(Object.getPrototypeOf(body.a)).toBeNull();
    expect(JSON.stringify(body)).toBe(
      '{"a":{"b":[1,0.1,-2.5e-7,true,null,""]},"c":"Habari 👋","n":0}',
    );
  });

  it(`allows ${BODY_RULE.maxDepth} levels of nesting and no more`, () => {
    const nested = (levels: number) => `${'{"a":'.repeat(levels - 1)}{}${"}".repeat(levels - 1)}`;
    expect(() => acceptJson(nested(BODY_RULE.maxDepth))).not.toThrow();
    expect(reasonOf(() => acceptJson(nested(BODY_RULE.maxDepth + 1)))).toMatch(/nesting/);
    expect(reasonOf(() => acceptJson(`{"a":${"[".repeat(10_000)}${"]".repeat(10_000)}}`))).toMatch(
      /nesting/,
    );
  });

  it.each([
    ['{"__proto__":{}}', /field name __proto__/],
    ['{"a":{"constructor":1}}', /field name constructor/],
    ['{"prototype":1}', /field name prototype/],
    ['{"":1}', /field name is empty/],
    [`{"${"k".repeat(256)}":1}`, /longer than 255 bytes/],
    ['{"a":"\\ud800"}', /unpaired/],
    ['{"a":1e999}', /storable range/],
    ['{"a":1e-200}', /storable range/],
    ['{"a":9007199254740993}', /exactly/],
    ['{"a":9007199254740992}', /beyond 2\^53/],
    ['{"a":0.10000000000000000001}', /exactly/],
  ])("refuses %s", (text, reason) => {
    const message = reasonOf(() => acceptJson(text));
    expect(message).toMatch(/^body cannot be stored as sent: /);
    expect(message).toMatch(reason);
  });

  it("reads numbers inside strings as text, not as numbers", () => {
    expect(acceptJson('{"a":"1e999 and \\"9007199254740993\\""}').a).toBe(
      '1e999 and "9007199254740993"',
    );
  });

  it("refuses a body that is not an object of fields", () => {
    for (const text of ["[]", "null", "1", '"x"']) {
      expect(reasonOf(() => acceptJson(text))).toBe("body must be an object of fields");
    }
  });
});
