import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

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

export function allFixtures(): Fixture[] {
  return readdirSync(ROOT, { withFileTypes: true })
    .filter((d) => d.isDirectory())
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
