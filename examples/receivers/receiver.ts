/**
 * A receiver for forwarded events (docs/forwarding.md), verified with the `standardwebhooks`
 * package: `npm install standardwebhooks`, then
 *   FORWARD_SECRET=whsec_... PORT=8000 npx tsx examples/receivers/receiver.ts
 * It refuses a bad signature and a timestamp over 5 minutes from now (the package checks both),
 * and handles each event id once: deliveries are at least once.
 */
import { createServer } from "node:http";
import { Webhook } from "standardwebhooks";

const secret = process.env.FORWARD_SECRET;
if (!secret) throw new Error("set FORWARD_SECRET to the endpoint's whsec_ secret");
const webhook = new Webhook(secret);
// In production: a table with a unique key on the id, written with the event's effects.
const seen = new Set<string>();

function handle(event: { id: string; type: string; data: Record<string, unknown> }) {
  console.log(JSON.stringify({ handled: event.id, type: event.type }));
}

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on("data", (chunk: Buffer) => chunks.push(chunk));
  req.on("end", () => {
    const body = Buffer.concat(chunks).toString("utf8");
    let event: { id: string; type: string; data: Record<string, unknown> };
    try {
      // The raw body, as received: a re-serialized one would not match the signature.
      event = webhook.verify(body, req.headers as Record<string, string>) as typeof event;
    } catch (error) {
      res.writeHead(401).end(`refused: ${(error as Error).message}\n`);
      return;
    }
    const id = String(req.headers["webhook-id"]);
    if (!seen.has(id)) {
      seen.add(id);
      handle(event);
    }
    res.writeHead(204).end();
  });
});
server.listen(Number(process.env.PORT ?? 8000), "127.0.0.1", () => {
  const address = server.address();
  console.log(`listening on ${typeof address === "object" && address ? address.port : ""}`);
});
