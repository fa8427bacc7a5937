import { toJsonSchema } from "@valibot/to-json-schema";
import { EVENT_SCHEMAS, EVENT_TYPES, type EventType } from "../functions/events/event";

/** Where the JSON Schema of every event type is committed, one file per type. */
export const SCHEMAS_DIR = "schemas/events";

export const schemaFile = (type: EventType) => `${SCHEMAS_DIR}/${type}.json`;

/**
 * The JSON Schema of each event type, from its valibot schema (functions/events/event.ts).
 * A callback field's schema reads its value, then transforms and checks it: the transforms
 * have no JSON Schema, so they are skipped and each field is described by what it accepts
 * before them, which is how `data` holds it (the body as stored).
 */
export function eventJsonSchemas(): Record<EventType, object> {
  return Object.fromEntries(
    EVENT_TYPES.map((type) => [
      type,
      {
        ...toJsonSchema(EVENT_SCHEMAS[type], { errorMode: "ignore", typeMode: "output" }),
        title: `${type} event, version 1`,
      },
    ]),
  ) as Record<EventType, object>;
}

export const schemaText = (schema: object) => `${JSON.stringify(schema, null, 2)}\n`;
