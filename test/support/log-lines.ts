import { vi } from "vitest";
import { logger } from "../../functions/shared/logger";

export type LogEntry = Record<string, unknown> & { level?: string; message?: string };

export interface CapturedLogs {
  /** Every line written, exactly as CloudWatch would receive it. */
  lines: string[];
  /** The lines that are JSON objects, parsed. */
  entries: LogEntry[];
}

/**
 * Runs `work` with the logger at `level` (the tests run with logs off) and returns what it
 * wrote on stdout and stderr: the logger's lines, and any metric lines, as Lambda would ship them.
 */
export async function captureLogs(
  work: () => Promise<unknown>,
  level: "DEBUG" | "INFO" = "INFO",
): Promise<CapturedLogs> {
  const chunks: string[] = [];
  // Errors and warnings go to stderr: Lambda ships both streams.
  const spies = [process.stdout, process.stderr].map((stream) =>
    vi
      .spyOn(stream, "write")
      .mockImplementation((chunk: string | Uint8Array) => chunks.push(String(chunk)) > 0),
  );
  logger.setLogLevel(level);
  try {
    await work();
  } finally {
    logger.setLogLevel("SILENT");
    for (const spy of spies) spy.mockRestore();
  }
  const lines = chunks.join("").split("\n").filter(Boolean);
  const entries = lines.flatMap((line) => {
    try {
      const value: unknown = JSON.parse(line);
      return typeof value === "object" && value !== null ? [value as LogEntry] : [];
    } catch {
      return [];
    }
  });
  return { lines, entries };
}
