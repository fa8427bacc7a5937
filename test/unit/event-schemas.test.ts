import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { EVENT_TYPES } from "../../functions/events/event";
import { eventJsonSchemas, SCHEMAS_DIR, schemaFile } from "../../scripts/event-schemas";

describe("committed event schemas", () => {
  const generated = eventJsonSchemas();

  it.each(EVENT_TYPES.map((t) => [t]))(
    "%s: schemas/events matches the code (run `npm run schemas` after changing an event)",
    (type) => {
      const committed = JSON.parse(readFileSync(schemaFile(type), "utf8"));
      expect(committed).toEqual(generated[type]);
    },
  );

  it("holds a schema for every event type and nothing else", () => {
    expect(readdirSync(SCHEMAS_DIR).sort()).toEqual(EVENT_TYPES.map((t) => `${t}.json`).sort());
  });

  it("describes the envelope and the callback's fields, keeping fields AT may add", () => {
    const schema = generated["sms.incoming"] as {
      required: string[];
      properties: { type: unknown; data: { required: string[]; additionalProperties?: unknown } };
    };
    expect(schema.required).toEqual(["id", "type", "version", "receivedAt", "stage", "data"]);
    expect(schema.properties.type).toEqual({ const: "sms.incoming" });
    expect(schema.properties.data.required).toEqual(["from", "to", "text", "id", "date"]);
    // JSON Schema allows properties it does not name unless told otherwise.
    expect(schema.properties.data.additionalProperties).toBeUndefined();
  });
});
