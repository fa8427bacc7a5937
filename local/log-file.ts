import { appendFileSync, closeSync, mkdirSync, openSync } from "node:fs";
import { dirname } from "node:path";

/** Where `npm start` keeps the functions' log lines, for `npm run logs`. */
export const LOCAL_LOG_FILE = ".local/logs.jsonl";

/**
 * Copies every JSON line written on stdout or stderr (the functions' log lines and metrics, the
 * workers' thread's included: Node forwards its output here) to `file`, begun afresh, as
 * CloudWatch Logs keeps them on AWS. The console still shows everything. Returns the undo.
 */
export function keepLogLines(file = LOCAL_LOG_FILE): () => void {
  mkdirSync(dirname(file), { recursive: true });
  const fd = openSync(file, "w");
  const undo = [process.stdout, process.stderr].map((stream) => {
    const write = stream.write;
    let partial = "";
    stream.write = function (this: NodeJS.WriteStream, chunk: unknown, ...rest: unknown[]) {
      const lines = (
        partial +
        (typeof chunk === "string" ? chunk : Buffer.from(chunk as Uint8Array).toString("utf8"))
      ).split("\n");
      partial = lines.pop() ?? "";
      const json = lines.filter((line) => line.startsWith("{"));
      if (json.length > 0) appendFileSync(fd, `${json.join("\n")}\n`);
      return (write as (...args: unknown[]) => boolean).call(this, chunk, ...rest);
    } as typeof stream.write;
    return () => {
      stream.write = write;
    };
  });
  return () => {
    for (const restore of undo) restore();
    closeSync(fd);
  };
}

/**
 * The same file for a stack whose log lines reach the console through a callback (`npm start`
 * prints them reformatted): each JSON line given is kept, begun afresh at start.
 */
export function logFileWriter(file = LOCAL_LOG_FILE): (line: string) => void {
  mkdirSync(dirname(file), { recursive: true });
  const fd = openSync(file, "w");
  return (line) => {
    if (line.startsWith("{")) appendFileSync(fd, `${line}\n`);
  };
}
