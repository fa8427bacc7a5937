import { readConfig, STAGES_CONTEXT_KEY } from "../infra/config";

/** A stage's saved settings: context option → value, as `-c` would give it. */
export type StageSettings = Record<string, string | number | boolean>;

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
type CdkJson = { context?: Record<string, Json> } & Record<string, Json>;

/** The settings saved for `stage` in a cdk.json text (none: an empty object). */
export function savedSettings(cdkJsonText: string, stage: string): StageSettings {
  const cdkJson = JSON.parse(cdkJsonText) as CdkJson;
  const stages = cdkJson.context?.[STAGES_CONTEXT_KEY];
  const saved =
    stages && typeof stages === "object" && !Array.isArray(stages) ? stages[stage] : undefined;
  return saved && typeof saved === "object" && !Array.isArray(saved)
    ? (saved as StageSettings)
    : {};
}

/**
 * cdk.json with `settings` saved as the stage's settings (`context.stages.<stage>`), after
 * checking them exactly as `cdk synth` will (infra/config.ts): a bad value throws with the
 * option's name and nothing is written. Every other line of the file is kept as it was.
 */
export function withStageSaved(cdkJsonText: string, stage: string, settings: StageSettings) {
  const cdkJson = JSON.parse(cdkJsonText) as CdkJson;
  const context = cdkJson.context ?? {};
  const { stageName: _ignored, ...clean } = settings;
  const stages = { ...(context[STAGES_CONTEXT_KEY] as Record<string, Json> | undefined) };
  stages[stage] = clean;
  const next = { ...context, [STAGES_CONTEXT_KEY]: stages };
  // The stage as synth will see it: its saved settings under the cdk.json context.
  readConfig((key) => (key === "stageName" ? stage : (next as Record<string, unknown>)[key]));
  return formatJson({ ...cdkJson, context: next });
}

/**
 * JSON as Biome formats it (2 spaces, objects one member a line, arrays of plain values on one
 * line when they fit in 100 columns), so a saved cdk.json stays lint-clean and its diff small.
 */
export function formatJson(value: Json, indent = 0, prefixLength = 0): string {
  const pad = " ".repeat(indent);
  if (Array.isArray(value)) {
    const items = value.map((v) => formatJson(v, indent + 2, 0));
    const inline = `[${items.join(", ")}]`;
    const plain = value.every((v) => v === null || typeof v !== "object");
    if (plain && indent + prefixLength + inline.length <= 100) return inline;
    if (items.length === 0) return "[]";
    return `[\n${items.map((i) => `${pad}  ${i}`).join(",\n")}\n${pad}]`;
  }
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value);
    if (entries.length === 0) return "{}";
    const lines = entries.map(([k, v]) => {
      const key = `${JSON.stringify(k)}: `;
      return `${pad}  ${key}${formatJson(v, indent + 2, key.length)}`;
    });
    return `{\n${lines.join(",\n")}\n${pad}}`;
  }
  return JSON.stringify(value);
}
