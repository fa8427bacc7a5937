import { execFileSync } from "node:child_process";
import { mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { EVENT_TYPES } from "../functions/events/event";
import { eventJsonSchemas, SCHEMAS_DIR, schemaFile, schemaText } from "./event-schemas";

// Writes schemas/events/<type>.json for every event type (docs/events.md#schemas); a schema of a
// type that no longer exists is removed.
mkdirSync(SCHEMAS_DIR, { recursive: true });
const schemas = eventJsonSchemas();
for (const type of EVENT_TYPES) writeFileSync(schemaFile(type), schemaText(schemas[type]));
const current = new Set(EVENT_TYPES.map((t) => `${t}.json`));
for (const file of readdirSync(SCHEMAS_DIR)) {
  if (!current.has(file)) rmSync(join(SCHEMAS_DIR, file));
}
// In the repository's format, so that `npm run lint` passes on them as written.
execFileSync("node_modules/.bin/biome", ["format", "--write", SCHEMAS_DIR], { stdio: "ignore" });
console.log(`Wrote ${EVENT_TYPES.length} event schemas to ${SCHEMAS_DIR}/.`);
