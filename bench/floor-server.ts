/**
 * The bench's floor contender: a bare node HTTP server that answers each request 200 after
 * exactly one real SDK SendMessage (the handlers' client settings) to fauxqs on a thread of its
 * own, and nothing else: no key check, no parsing, no validation, no recorder, no inspector.
 * What it costs per request is the least any design that queues a callback before answering
 * can cost on this machine with real SDK clients over HTTP.
 *
 * Prints `floor listening at URL threads {"http":tid,"sqs":tid}` once it answers.
 */
import "../scripts/quiet-sdk";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Worker } from "node:worker_threads";
import { CreateQueueCommand, SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { AWS_CALL } from "../functions/settings";
import { LOCAL_CREDENTIALS, LOCAL_REGION } from "../local/constants";
import { linuxThreadId } from "../local/thread-id";
import type { FloorQueueReady } from "./floor-queue-thread";

const thread = new Worker(new URL("../local/thread.mjs", import.meta.url), {
  workerData: { entry: "../bench/floor-queue-thread.ts" },
});
const queue = await new Promise<FloorQueueReady>((resolve, reject) => {
  thread.once("message", resolve);
  thread.once("error", reject);
});
const sqs = new SQSClient({
  endpoint: queue.endpoint,
  region: LOCAL_REGION,
  credentials: LOCAL_CREDENTIALS,
  useQueueUrlAsEndpoint: false,
  ...AWS_CALL,
});
const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: "floor" }));

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on("data", (chunk: Buffer) => chunks.push(chunk));
  req.on("end", () => {
    sqs
      .send(new SendMessageCommand({ QueueUrl, MessageBody: Buffer.concat(chunks).toString() }))
      .then(
        () => res.end("OK"),
        () => {
          res.statusCode = 500;
          res.end();
        },
      );
  });
});
server.listen(0, "127.0.0.1", () => {
  const { port } = server.address() as AddressInfo;
  const threads = { http: linuxThreadId(), sqs: queue.tid };
  console.log(`floor listening at http://127.0.0.1:${port} threads ${JSON.stringify(threads)}`);
});
