import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Webhook } from "standardwebhooks";
import type { CallbackEvent } from "../../functions/events/event";

/** A delivery whose signature the standardwebhooks package verified. */
export interface VerifiedDelivery {
  /** The request's path without its leading slash: which receiver the endpoint names. */
  name: string;
  /** `webhook-id`: the event id. */
  id: string;
  event: CallbackEvent;
}

/**
 * A user's receiver as docs/forwarding.md shows one: each request verified with the
 * standardwebhooks package (401 and `onBadSignature` when that fails), then answered with the
 * status `answer` gives.
 */
export function webhookReceiver(
  secret: string,
  answer: (delivery: VerifiedDelivery) => number,
  onBadSignature: (message: string) => void,
): Server {
  const webhook = new Webhook(secret);
  return createServer(async (req, res) => {
    const body = await readBody(req);
    let event: CallbackEvent;
    try {
      event = webhook.verify(body, req.headers as Record<string, string>) as CallbackEvent;
    } catch (error) {
      onBadSignature(`${req.url}: ${(error as Error).message}`);
      res.writeHead(401).end();
      return;
    }
    const status = answer({
      name: req.url?.slice(1) ?? "",
      id: String(req.headers["webhook-id"]),
      event,
    });
    res.writeHead(status).end(status === 200 ? "ok" : "not now");
  });
}

/** Listens on 127.0.0.1 (`port`, or a free one); resolves with the port. */
export const listen = (server: Server, port = 0) =>
  new Promise<number>((resolve) =>
    server.listen(port, "127.0.0.1", () => resolve((server.address() as AddressInfo).port)),
  );

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let body = "";
    req.on("data", (chunk) => {
      body += chunk;
    });
    req.on("end", () => resolve(body));
  });
}
