import { randomBytes } from "node:crypto";
import type { SmsSender } from "./worker";

/**
 * The local stand-in for AT when no credentials are set: nothing leaves the machine. Each reply
 * is "accepted" with status `local-outbox` and a generated AT-style messageId, so a delivery
 * report posted locally with that id updates the reply exactly as AT's would.
 */
export function outboxSender(print?: (line: string) => void): SmsSender {
  return {
    async send(request) {
      const messageId = `ATXid_local_${randomBytes(12).toString("hex")}`;
      print?.(
        `[outbox] SMS to ${request.to} from ${request.from || "(default sender)"}` +
          `${request.linkId ? ` linkId=${request.linkId}` : ""} messageId=${messageId}: ${request.message}`,
      );
      return { kind: "accepted", messageId, status: "local-outbox", cost: "0" };
    },
  };
}
