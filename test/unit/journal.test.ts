import { appendFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { QueueJournal } from "../../local/journal";

const dirs: string[] = [];
const fresh = () => {
  const dir = mkdtempSync(join(tmpdir(), "journal-"));
  dirs.push(dir);
  return dir;
};
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const message = (queue: string, id: string, sentAt: number) => ({
  queue,
  id,
  body: `{"id":"${id}","text":"Habari \\u00e9"}`,
  sentAt,
});

describe("the local queues' journal", () => {
  it("gives back, after a reopen, exactly the messages put and not deleted, oldest first", async () => {
    const dir = fresh();
    const journal = QueueJournal.open(dir);
    journal.put(message("events", "b", 2));
    journal.put(message("events", "a", 1));
    journal.put(message("replies", "c", 3));
    journal.delete("b");
    // A move to a dead-letter queue is a put of the same id on the other queue.
    journal.put(message("events-dlq", "c", 3));
    await journal.durable();
    // No close: as if the process had been killed.
    expect(QueueJournal.open(dir).messages()).toEqual([
      message("events", "a", 1),
      message("events-dlq", "c", 3),
    ]);
  });

  it("creates its data folder when it does not exist yet (the table may live elsewhere)", async () => {
    const dir = join(fresh(), "data", "nested");
    const journal = QueueJournal.open(dir);
    journal.put(message("events", "a", 1));
    await journal.durable();
    expect(QueueJournal.open(dir).messages()).toEqual([message("events", "a", 1)]);
  });

  it("forgets a purged queue's messages", async () => {
    const dir = fresh();
    const journal = QueueJournal.open(dir);
    journal.put(message("events", "a", 1));
    journal.put(message("replies", "b", 2));
    journal.purge("events");
    await journal.durable();
    expect(
      QueueJournal.open(dir)
        .messages()
        .map((m) => m.id),
    ).toEqual(["b"]);
  });

  it("ignores a last line torn by a crash, and rewrites the file with the live messages only", () => {
    const dir = fresh();
    const journal = QueueJournal.open(dir);
    journal.put(message("events", "a", 1));
    journal.put(message("events", "b", 2));
    journal.delete("a");
    appendFileSync(join(dir, "queues.journal"), '{"op":"put","queue":"events","id":"c","bo');
    const reopened = QueueJournal.open(dir);
    expect(reopened.messages().map((m) => m.id)).toEqual(["b"]);
    expect(readFileSync(join(dir, "queues.journal"), "utf8").trim().split("\n")).toHaveLength(1);
  });
});
