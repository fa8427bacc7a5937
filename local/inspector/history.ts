import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { dirname } from "node:path";
import type { Exchange } from "../stack";

/** What the inspector keeps of a worker's failure on a request's message. */
export interface FailureNote {
  seq: number;
  /** The reply to the request failed, not its record. */
  reply: boolean;
  receiveCount: number;
  error: { name: string; message: string; stack?: string };
}

/** One line of the history file: a request and its answer, or a failure noted on one. */
export type HistoryLine = { seq: number; exchange: Exchange } | { failure: FailureNote };

interface StoredExchange extends Omit<Exchange, "body"> {
  /** UTF-8 text as received (callbacks are forms or JSON); base64 if it was not text. */
  body: string;
  bodyBase64?: true;
}

/** The query string with the callback key hidden: never written to disk, never sent to the page. */
export const hideKey = (query: string) => query.replace(/(^|&)key=[^&]*/, "$1key=…");

/**
 * The inspector's list across restarts (`npm start -- --data-dir DIR`): one JSON line per
 * request (the callback key removed) or per worker failure, appended as they happen; on start
 * the newest `keep` requests are read back and the file is rewritten with them alone.
 */
export interface History {
  lines: HistoryLine[];
  append(line: HistoryLine): void;
  close(): Promise<void>;
}

export function openHistory(file: string, keep: number): History {
  const lines = existsSync(file) ? readLines(file, keep) : [];
  mkdirSync(dirname(file), { recursive: true });
  let fd = rewrite(file, lines);
  // Requests written since the last rewrite: past a few times `keep`, the file is read back and
  // rewritten with the newest `keep`, so that it never grows without bound.
  let appended = 0;
  return {
    lines,
    append(line) {
      try {
        // A plain write (no fsync): a line costs microseconds, and only with --data-dir.
        writeSync(fd, `${JSON.stringify(toStored(line))}\n`);
        if (!("failure" in line) && ++appended > 4 * keep) {
          closeSync(fd);
          fd = rewrite(file, readLines(file, keep));
          appended = 0;
        }
      } catch {
        // The history is a convenience: a full disk must not stop the stack answering.
      }
    },
    close: async () => closeSync(fd),
  };
}

/** Writes `lines` as the whole file (atomically), then opens it for appending. */
function rewrite(file: string, lines: HistoryLine[]): number {
  const compacted = `${file}.tmp`;
  writeFileSync(compacted, lines.map((l) => `${JSON.stringify(toStored(l))}\n`).join(""), {
    mode: 0o600,
  });
  renameSync(compacted, file);
  return openSync(file, "a", 0o600);
}

function toStored(line: HistoryLine) {
  if ("failure" in line) return line;
  const { body, query, ...rest } = line.exchange;
  const text = body.toString("utf8");
  const exact = Buffer.from(text, "utf8").equals(body);
  return {
    seq: line.seq,
    exchange: {
      ...rest,
      query: hideKey(query),
      body: exact ? text : body.toString("base64"),
      ...(exact ? {} : { bodyBase64: true as const }),
    } satisfies StoredExchange,
  };
}

function readLines(file: string, keep: number): HistoryLine[] {
  const parsed: HistoryLine[] = [];
  for (const text of readFileSync(file, "utf8").split("\n")) {
    if (!text.trim()) continue;
    try {
      const value = JSON.parse(text) as
        | { seq: number; exchange: StoredExchange }
        | { failure: FailureNote };
      if ("failure" in value) parsed.push(value);
      else {
        const { bodyBase64, body, ...exchange } = value.exchange;
        parsed.push({
          seq: value.seq,
          exchange: { ...exchange, body: Buffer.from(body, bodyBase64 ? "base64" : "utf8") },
        });
      }
    } catch {
      // A torn last line (a crash mid-write) is skipped.
    }
  }
  const exchanges = parsed.filter((l) => !("failure" in l)).slice(-keep);
  const kept = new Set(exchanges.map((l) => ("seq" in l ? l.seq : 0)));
  return parsed.filter((l) => ("failure" in l ? kept.has(l.failure.seq) : kept.has(l.seq)));
}
