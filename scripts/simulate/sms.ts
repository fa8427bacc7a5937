import { queryRecords } from "../../functions/table/record-store";
import type { TableTarget } from "../local-state";
import {
  atDate,
  atId,
  type Exchange,
  type Fields,
  type Io,
  type Overrides,
  postCallback,
  printExchange,
  type Target,
} from "./http";

export interface SmsOptions extends Overrides {
  from: string;
  to: string;
  text: string;
  linkId?: string;
  networkCode: string;
  /** The status of the delivery report AT sends for the reply. */
  deliveryStatus: string;
  /** How long to wait for the reply and its delivery status. */
  waitMs: number;
  json: boolean;
}

export interface Reply {
  state: string;
  message?: string;
  messageId?: string;
  status?: string;
  deliveryStatus?: string;
  [field: string]: unknown;
}

export interface SmsRoundTrip {
  id: string;
  reply?: Reply;
  exchanges: Exchange[];
}

const SETTLED = new Set(["sent", "rejected", "unknown", "suppressed", "skipped", "failed"]);

/**
 * An incoming two-way SMS as AT posts it, then its reply as the application sent it (read from
 * the records table: the local outbox or AT's answer), then the delivery report AT sends for
 * that reply, and the reply's delivery status once the recorder has applied it.
 */
export async function smsRoundTrip(
  target: Target,
  table: TableTarget | undefined,
  options: SmsOptions,
  io: Io,
): Promise<SmsRoundTrip> {
  const set = options.set ?? ((f: Fields) => f);
  const fields: Fields = set({
    date: atDate(),
    from: options.from,
    id: options.id ?? atId("ATXid_", 8),
    ...(options.linkId ? { linkId: options.linkId } : {}),
    text: options.text,
    to: options.to,
    networkCode: options.networkCode,
  });
  const id = String(fields.id);
  const exchanges = [await postCallback(target, "/api/sms/twoway", fields, "form")];
  const incoming = exchanges[0] as Exchange;
  printExchange(io, incoming, options.json);
  const show = (what: string, value: unknown, line: string) =>
    io.out(options.json ? JSON.stringify({ [what]: value }) : line);
  if (incoming.answer.status !== 200) return { id, exchanges };
  if (!table) {
    show(
      "reply",
      null,
      "(reply not checked: pass --table NAME --region R to read it from the deployed table)",
    );
    return { id, exchanges };
  }

  const readReply = async () => {
    const records = await queryRecords(table.client, table.tableName, { id, limit: 10 });
    return records.find((r) => r.type === "sms.reply") as Reply | undefined;
  };
  let reply = await waitFor(
    readReply,
    (r) => r !== undefined && SETTLED.has(r.state),
    options.waitMs,
  );
  if (!reply) {
    show(
      "reply",
      null,
      `(no reply settled within ${options.waitMs / 1000} s: is the reply worker running? see npm run dlq -- list --queue replies)`,
    );
    return { id, exchanges };
  }
  show(
    "reply",
    reply,
    `reply ${reply.state}${reply.messageId ? ` (messageId ${reply.messageId}, ${reply.status})` : ""}${reply.message ? `: ${reply.message}` : ""}`,
  );
  if (!reply.messageId) return { id, reply, exchanges };

  const report: Fields = {
    id: reply.messageId,
    status: options.deliveryStatus,
    phoneNumber: options.from,
    networkCode: options.networkCode,
    ...(/^(Failed|Rejected)$/.test(options.deliveryStatus)
      ? { failureReason: "DeliveryFailure" }
      : {}),
    retryCount: "0",
  };
  const delivery = await postCallback(target, "/api/sms/delivery-reports", report, "form");
  exchanges.push(delivery);
  printExchange(io, delivery, options.json);
  reply =
    (await waitFor(
      readReply,
      (r) => r?.deliveryStatus === options.deliveryStatus,
      options.waitMs,
    )) ?? reply;
  show(
    "delivery",
    { deliveryStatus: reply.deliveryStatus ?? null },
    reply.deliveryStatus
      ? `reply delivery status: ${reply.deliveryStatus}`
      : `(the delivery report was not applied within ${options.waitMs / 1000} s)`,
  );
  return { id, reply, exchanges };
}

export async function waitFor<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs: number,
): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) return undefined;
    await new Promise((r) => setTimeout(r, 150));
  }
}
