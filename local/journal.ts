import {
  closeSync,
  existsSync,
  fdatasync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  writeSync,
} from "node:fs";
import { dirname, join } from "node:path";

/** A message the embedded SQS holds: enough to put it back on its queue after a restart. */
export interface JournaledMessage {
  queue: string;
  id: string;
  body: string;
  attributes?: Record<string, unknown>;
  sentAt: number;
}

type Entry =
  | ({ op: "put" } & JournaledMessage)
  | { op: "del"; id: string }
  | { op: "purge"; queue: string };

/** Rewrite the journal with only the live messages once it has grown by this much. */
const COMPACT_AFTER_BYTES = 16 * 1024 * 1024;

/**
 * A write-ahead journal of the local queues' contents: every message put on a queue (a send,
 * or a move to a dead-letter queue) and every message deleted, one JSON line each.
 *
 * Each entry is written to the file before the call that caused it returns, so a killed process
 * loses nothing the file had been told; `durable()` resolves once the entries written so far are
 * also fsync'd (one fdatasync covers every entry written while the previous one ran), so a
 * power cut loses nothing acknowledged either. On open, the live messages are read back (a torn
 * last line is ignored) and the file is rewritten with them alone.
 */
export class QueueJournal {
  private fd: number;
  private live = new Map<string, JournaledMessage>();
  private written = 0;
  private synced = 0;
  private syncing = false;
  private waiters: { upTo: number; resolve: () => void; reject: (e: Error) => void }[] = [];
  private growth = 0;
  private failure: Error | undefined;

  private constructor(private readonly path: string) {
    if (existsSync(path)) {
      for (const line of readFileSync(path, "utf8").split("\n")) {
        if (line === "") continue;
        let entry: Entry;
        try {
          entry = JSON.parse(line) as Entry;
        } catch {
          continue; // the last line of a killed process may be torn; it was never acknowledged
        }
        this.apply(entry);
      }
    }
    this.fd = this.rewrite();
  }

  static open(dataDir: string): QueueJournal {
    mkdirSync(dataDir, { recursive: true });
    return new QueueJournal(join(dataDir, "queues.journal"));
  }

  /** The messages that were on the queues when the journal was last written, oldest first. */
  messages(): JournaledMessage[] {
    return [...this.live.values()].sort((a, b) => a.sentAt - b.sentAt);
  }

  put(message: JournaledMessage) {
    this.append({ op: "put", ...message });
  }

  delete(id: string) {
    if (this.live.has(id)) this.append({ op: "del", id });
  }

  purge(queue: string) {
    this.append({ op: "purge", queue });
  }

  /** Resolves once every entry written so far is on disk. */
  durable(): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.synced >= this.written) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.waiters.push({ upTo: this.written, resolve, reject });
      this.syncNext();
    });
  }

  close() {
    fsyncSync(this.fd);
    closeSync(this.fd);
  }

  private append(entry: Entry) {
    if (this.failure) throw this.failure;
    const line = `${JSON.stringify(entry)}\n`;
    writeSync(this.fd, line);
    this.apply(entry);
    this.written++;
    this.growth += line.length;
    if (this.growth > COMPACT_AFTER_BYTES && !this.syncing) this.compact();
  }

  private apply(entry: Entry) {
    if (entry.op === "put") {
      const { op: _op, ...message } = entry;
      this.live.set(entry.id, message);
    } else if (entry.op === "del") this.live.delete(entry.id);
    else for (const [id, m] of this.live) if (m.queue === entry.queue) this.live.delete(id);
  }

  private syncNext() {
    if (this.syncing || this.waiters.length === 0) return;
    this.syncing = true;
    const upTo = this.written;
    fdatasync(this.fd, (error) => {
      this.syncing = false;
      if (error) {
        this.failure = error;
        for (const w of this.waiters.splice(0)) w.reject(error);
        return;
      }
      this.synced = upTo;
      this.waiters = this.waiters.filter((w) => {
        if (w.upTo > upTo) return true;
        w.resolve();
        return false;
      });
      this.syncNext();
    });
  }

  private compact() {
    fsyncSync(this.fd);
    closeSync(this.fd);
    this.fd = this.rewrite();
    this.synced = this.written;
  }

  /** Writes the live messages to a new file, makes it durable, and puts it in place. */
  private rewrite(): number {
    const next = `${this.path}.next`;
    const fd = openSync(next, "w");
    const lines = this.messages().map((m) => `${JSON.stringify({ op: "put", ...m })}\n`);
    if (lines.length > 0) writeSync(fd, lines.join(""));
    fsyncSync(fd);
    renameSync(next, this.path);
    const dir = openSync(dirname(this.path), "r");
    fsyncSync(dir);
    closeSync(dir);
    this.growth = 0;
    return fd;
  }
}
