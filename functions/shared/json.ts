import * as v from "valibot";

/** A value as JSON (and a form body, whose fields are strings or lists of strings) can hold it. */
export type JsonValue = string | number | boolean | null | JsonValue[] | JsonObject;
export interface JsonObject {
  [field: string]: JsonValue;
}

export const jsonValueSchema: v.GenericSchema<JsonValue> = v.lazy(() =>
  v.union([
    v.string(),
    v.number(),
    v.boolean(),
    v.null(),
    v.array(jsonValueSchema),
    jsonObjectSchema,
  ]),
);

/** An object of JSON values: a callback body, or a payload read back from the table. */
export const jsonObjectSchema: v.GenericSchema<JsonObject> = v.record(v.string(), jsonValueSchema);

/** The first issue of a failed parse as one line that names the field: `payload.from: …`. */
export function describeIssues(issues: readonly v.BaseIssue<unknown>[]): string {
  const [issue] = issues;
  if (!issue) return "invalid";
  const path = v.getDotPath(issue);
  return path ? `${path}: ${issue.message}` : issue.message;
}

/** An object of fields, not a list or a scalar. */
export const isFieldObject = (value: unknown): value is { readonly [field: string]: unknown } =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** A JSON text parsed, then checked by a schema; errors name the setting and the field. */
export function parseJsonSetting<S extends v.GenericSchema>(
  name: string,
  schema: S,
  text: string,
  expected: string,
): v.InferOutput<S> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error(`${name} must be ${expected}`);
  }
  const result = v.safeParse(schema, value);
  if (result.success) return result.output;
  const [issue] = result.issues;
  const path = issue ? v.getDotPath(issue) : null;
  throw new Error(path ? `${name}.${path} ${issue?.message}` : `${name} must be ${expected}`);
}
