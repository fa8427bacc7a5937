import type { ParseArgsConfig } from "node:util";
import { queryRecords } from "../../functions/table/record-store";
import { parseCommand, UsageError } from "../commands/command";
import { resolveTable, type TableTarget } from "../local-state";
import { type PhoneInput, phoneInput } from "../phone-input";
import {
  atDate,
  atId,
  type Encoding,
  type Fields,
  type Io,
  postCallback,
  printExchange,
  resolveTarget,
  type Target,
} from "./http";
import { smsRoundTrip, waitFor } from "./sms";
import { dialUssd } from "./ussd";
import { placeCall } from "./voice";

export const USAGE = `Usage: npm run simulate -- <kind> [options] [--json]
                              [--url BASE --key KEY | --stage S [--region R] [--key KEY]]

An Africa's Talking phone in the terminal: posts each callback exactly as AT does, to the
local stack started by \`npm start\`, to a deployed stage (its URL, key and table read from
the stack's outputs and key secret), or to any deployment (--url https://… --key KEY).

Interactive kinds (follow the application's answers):
  ussd     --code '*384*1#' --phone +254711000111 [--input 1,1]     walk a USSD menu, then
           post AT's end-of-session notification (without --input: type your choices)
  sms      --from +254711000111 --to 20880 --text 'hello'          an incoming SMS, its reply,
           [--delivery-status Success] [--wait 20]                  and the reply's delivery report
           [--table NAME --region R]                                (where a deployment's replies are read)
           [--endpoint URL --table NAME]                            (or any DynamoDB endpoint's)
  voice    --from +254711000111 [--to +254711082000] [--digits 1,2] follow the voice XML, then
                                                                   the final notification and SessionEnded
  airtime  --phone +254711000111 --amount 100 [--currency KES]     validation, then (if Validated) status;
                                                                   if Failed, why (read from the record)

One callback each:
  delivery-report  [--id ATXid_…] [--status Success]   opt-out       [--phone] [--sender MyBrand]
  subscription     [--keyword NEWS] [--status Addition]  ussd-end    [--status Success]
  voice-event      [--status NORMAL_CLEARING]            airtime-validation, airtime-status [--status Success]
  sim-swap         [--status Swapped]

Every kind: --set field=value (repeatable) overrides or adds any field AT sends (on every hop of
a USSD session or call); --id fixes the AT id (message id, sessionId, transactionId), so running
the same command twice shows an AT retry of the same callback;
--json prints each request and answer as one JSON line.
Phones (--phone, --from, voice --to) take +254711000111 or the national 0711000111, read with
--country CODE (else PHONE_COUNTRY_CODE, else 254).`;

export const KINDS = [
  "ussd",
  "sms",
  "voice",
  "airtime",
  "delivery-report",
  "opt-out",
  "subscription",
  "ussd-end",
  "voice-event",
  "airtime-validation",
  "airtime-status",
  "sim-swap",
] as const;
type Kind = (typeof KINDS)[number];

const OPTIONS = {
  url: { type: "string" },
  key: { type: "string" },
  json: { type: "boolean", default: false },
  set: { type: "string", multiple: true },
  code: { type: "string", default: "*384*1#" },
  phone: { type: "string" },
  country: { type: "string" },
  from: { type: "string" },
  to: { type: "string" },
  text: { type: "string", default: "hello" },
  "link-id": { type: "string" },
  input: { type: "string" },
  digits: { type: "string" },
  id: { type: "string" },
  status: { type: "string" },
  "delivery-status": { type: "string", default: "Success" },
  sender: { type: "string", default: "MyBrand" },
  keyword: { type: "string", default: "NEWS" },
  amount: { type: "string", default: "100" },
  currency: { type: "string", default: "KES" },
  network: { type: "string" },
  wait: { type: "string", default: "20" },
  table: { type: "string" },
  region: { type: "string" },
  endpoint: { type: "string" },
  stage: { type: "string" },
  "describe-stacks": { type: "string" },
  help: { type: "boolean", default: false },
} satisfies ParseArgsConfig["options"];

type Values = ReturnType<typeof parseCommand<typeof OPTIONS>>["values"];

interface OneShot {
  path: string;
  encoding: Encoding;
  fields: (v: Values, phone: string) => Fields;
}

/** Fields as AT sends them for each callback (shapes from test/fixtures and the AT reference). */
const ONE_SHOT: Record<Exclude<Kind, "ussd" | "sms" | "voice" | "airtime">, OneShot> = {
  "delivery-report": {
    path: "/api/sms/delivery-reports",
    encoding: "form",
    fields: (v, phone) => {
      const status = v.status ?? "Success";
      return {
        id: v.id ?? atId("ATXid_", 8),
        status,
        phoneNumber: phone,
        networkCode: v.network ?? "63902",
        ...(/^(Failed|Rejected)$/.test(status) ? { failureReason: "DeliveryFailure" } : {}),
        retryCount: "0",
      };
    },
  },
  "opt-out": {
    path: "/api/sms/opt-out",
    encoding: "form",
    fields: (v, phone) => ({ senderId: v.sender, phoneNumber: phone }),
  },
  subscription: {
    path: "/api/sms/subscription",
    encoding: "form",
    fields: (v, phone) => ({
      phoneNumber: phone,
      shortCode: v.to ?? "6942",
      keyword: v.keyword,
      updateType: v.status ?? "Addition",
    }),
  },
  "ussd-end": {
    path: "/api/ussd/status",
    encoding: "form",
    fields: (v, phone) => ({
      date: atDate(),
      sessionId: v.id ?? atId("ATUid_"),
      serviceCode: v.code,
      networkCode: v.network ?? "99999",
      phoneNumber: phone,
      status: v.status ?? "Success",
      cost: "KES 0.10",
      durationInMillis: "12345",
      hopsCount: "2",
      input: "1",
      lastAppResponse: "END Thank you",
    }),
  },
  "voice-event": {
    path: "/api/voice/events",
    encoding: "form",
    fields: (v, phone) => ({
      sessionId: v.id ?? atId("ATVId_"),
      eventType: "SessionEnded",
      callerNumber: phone,
      destinationNumber: v.to ?? "+254711082000",
      hangupCause: v.status ?? "NORMAL_CLEARING",
      durationInSeconds: "45",
      currencyCode: v.currency,
      amount: "1.50",
    }),
  },
  "airtime-validation": {
    path: "/api/airtime/validation",
    encoding: "json",
    fields: (v, phone) => ({
      transactionId: v.id ?? atId("ATQid_"),
      phoneNumber: phone,
      sourceIpAddress: "127.12.32.24",
      currencyCode: v.currency,
      amount: Number(v.amount),
    }),
  },
  "airtime-status": {
    path: "/api/airtime/status",
    encoding: "json",
    fields: (v, phone) => ({
      phoneNumber: phone,
      description:
        (v.status ?? "Success") === "Success"
          ? "Airtime Delivered Successfully"
          : "Insufficient balance",
      status: v.status ?? "Success",
      requestId: v.id ?? atId("ATQid_"),
      discount: `${v.currency} ${(Number(v.amount) * 0.006).toFixed(4)}`,
      value: `${v.currency} ${Number(v.amount).toFixed(4)}`,
    }),
  },
  "sim-swap": {
    path: "/api/sim-swap/status",
    encoding: "json",
    fields: (v) => ({
      status: v.status ?? "Swapped",
      lastSimSwapDate: "01-01-1900",
      providerRefId: atId("", 12),
      requestId: v.id ?? atId("ATSwpid_"),
      transactionId: crypto.randomUUID(),
    }),
  },
};

/** `--set a=b` pairs over the defaults; a JSON number stays a number. */
function applySets(fields: Fields, sets: string[]): Fields {
  const result = { ...fields };
  for (const pair of sets) {
    const at = pair.indexOf("=");
    if (at < 1) throw new UsageError(`--set takes field=value, not ${pair}`);
    const name = pair.slice(0, at);
    const value = pair.slice(at + 1);
    result[name] =
      typeof fields[name] === "number" && value !== "" && !Number.isNaN(Number(value))
        ? Number(value)
        : value;
  }
  return result;
}

/** Where a kind reads back what the application stored: the local table or a deployment's. */
function tableOf(v: Values, target: Target): TableTarget | undefined {
  if (!(target.local || v.table || target.table)) return undefined;
  try {
    return resolveTable({
      table: v.table ?? target.table?.tableName,
      region: v.region ?? target.table?.region,
      endpoint: v.endpoint,
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/**
 * AT's validation answer carries only the status; why it failed is the `note` of the
 * airtime.validation record, read back from the table.
 */
async function showAirtimeReason(
  io: Io,
  table: TableTarget | undefined,
  transactionId: string,
  options: { waitMs: number; json: boolean },
) {
  const show = (reason: string | null, line: string) =>
    io.out(options.json ? JSON.stringify({ reason }) : line);
  if (!table) {
    show(
      null,
      "(reason not read: pass --table NAME --region R to read it from the deployed table)",
    );
    return;
  }
  const read = async () =>
    (await queryRecords(table.client, table.tableName, { id: transactionId, limit: 5 })).find(
      (r) => r.type === "airtime.validation",
    );
  const record = await waitFor(read, (r) => r !== undefined, options.waitMs);
  table.client.destroy();
  const note = record?.note;
  if (note) show(note, `reason: ${note}`);
  else if (record) show(null, "(the record gives no reason)");
  else show(null, `(no record within ${options.waitMs / 1000} s: the reason is not known)`);
}

const list = (value: string | undefined) => (value === undefined ? [] : value.split(","));

/** A phone flag's number in E.164, international or national (`0711…`) as typed. */
function phoneFlag(v: Values, name: string, raw: string): string {
  let phones: PhoneInput;
  try {
    phones = phoneInput(v.country, process.env);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const phone = phones.normalise(raw);
  if (!phone)
    throw new UsageError(`${name} must be a number like +254711000111 or 0711000111, not ${raw}`);
  return phone;
}

const phoneOf = (v: Values) =>
  phoneFlag(v, v.phone ? "--phone" : "--from", v.phone ?? v.from ?? "+254711000111");

/** Runs one simulation; returns the exit code (0: the application answered 2xx throughout). */
export async function simulate(argv: string[], io: Io): Promise<number> {
  const { values: v, positionals } = parseCommand(argv, OPTIONS);
  if (v.help) {
    io.out(USAGE);
    return 0;
  }
  const kind = positionals[0] as Kind | undefined;
  if (!kind || !(KINDS as readonly string[]).includes(kind)) {
    throw new UsageError(
      kind ? `unknown kind ${kind}: one of ${KINDS.join(", ")}` : "name what to simulate",
    );
  }
  if (positionals.length > 1) throw new UsageError(`unexpected argument ${positionals[1]}`);
  const target = await resolveTarget(v);
  const phone = phoneOf(v);
  const ok = (status: number) => status >= 200 && status < 300;
  const waitSeconds = Number(v.wait);
  if (!(waitSeconds >= 0)) throw new UsageError(`--wait must be seconds, not ${v.wait}`);
  // What every interactive kind takes: its AT id, and the --set overrides for each request.
  const sets = v.set ?? [];
  const shared = {
    ...(v.id ? { id: v.id } : {}),
    ...(sets.length > 0 ? { set: (fields: Fields) => applySets(fields, sets) } : {}),
  };

  switch (kind) {
    case "ussd": {
      const session = await dialUssd(
        target,
        {
          code: v.code,
          phone,
          networkCode: v.network ?? "99999",
          inputs: list(v.input),
          json: v.json,
          ...shared,
        },
        io,
      );
      return session.exchanges.every((e) => ok(e.answer.status)) && session.status === "Success"
        ? 0
        : 1;
    }
    case "voice": {
      const call = await placeCall(
        target,
        {
          from: phone,
          to: v.to === undefined ? "+254711082000" : phoneFlag(v, "--to", v.to),
          digits: list(v.digits),
          json: v.json,
          ...shared,
        },
        io,
      );
      return call.exchanges.every((e) => ok(e.answer.status)) ? 0 : 1;
    }
    case "sms": {
      const table = tableOf(v, target);
      const trip = await smsRoundTrip(
        target,
        table,
        {
          from: phone,
          to: v.to ?? "20880",
          text: v.text,
          ...(v["link-id"] ? { linkId: v["link-id"] } : {}),
          networkCode: v.network ?? "63902",
          deliveryStatus: v["delivery-status"],
          waitMs: waitSeconds * 1000,
          json: v.json,
          ...shared,
        },
        io,
      );
      table?.client.destroy();
      return trip.exchanges.every((e) => ok(e.answer.status)) && (trip.reply || !table) ? 0 : 1;
    }
    case "airtime": {
      const validation = ONE_SHOT["airtime-validation"];
      const fields = applySets(validation.fields(v, phone), v.set ?? []);
      const asked = await postCallback(target, validation.path, fields, "json");
      printExchange(io, asked, v.json);
      if (!/"Validated"/.test(asked.answer.body)) {
        if (ok(asked.answer.status))
          await showAirtimeReason(io, tableOf(v, target), String(fields.transactionId), {
            waitMs: waitSeconds * 1000,
            json: v.json,
          });
        if (!v.json) io.out("(not validated: AT does not send the airtime, so no status follows)");
        return ok(asked.answer.status) ? 0 : 1;
      }
      const status = ONE_SHOT["airtime-status"];
      const result = await postCallback(
        target,
        status.path,
        {
          ...status.fields(v, phone),
          requestId: atId("ATQid_"),
          phoneNumber: String(fields.phoneNumber),
        },
        "json",
      );
      printExchange(io, result, v.json);
      return ok(asked.answer.status) && ok(result.answer.status) ? 0 : 1;
    }
    default: {
      const shot = ONE_SHOT[kind];
      const exchange = await postCallback(
        target,
        shot.path,
        applySets(shot.fields(v, phone), v.set ?? []),
        shot.encoding,
      );
      printExchange(io, exchange, v.json);
      return ok(exchange.answer.status) ? 0 : 1;
    }
  }
}
