import "./quiet-sdk";
import { toE164 } from "../functions/shared/phone";
import { dynamoPendingTransactions } from "../functions/table/airtime-pending";
import { cli } from "./cli";
import { resolveTable } from "./local-state";

const USAGE = `Usage: npm run airtime:pending -- --transaction-id ID --phone +254711000111 --currency KES --amount 100
                                [--stage S [--region R] | --table NAME --region R | --endpoint URL --table NAME]
Registers an airtime request this application is about to make, so that the validation
callback (with AIRTIME_REQUIRE_PENDING=true) answers Validated for it, once.`;

const { values, fail, orFail } = cli(USAGE, {
  "transaction-id": { type: "string" },
  phone: { type: "string" },
  currency: { type: "string" },
  amount: { type: "string" },
  stage: { type: "string" },
  "describe-stacks": { type: "string" },
  table: { type: "string" },
  region: { type: "string" },
  endpoint: { type: "string" },
});
const transactionId = values["transaction-id"] ?? fail("--transaction-id is required");
const phoneNumber = toE164(values.phone ?? "") ?? fail("--phone must be an international number");
const currencyCode = (values.currency ?? fail("--currency is required")).toUpperCase();
const amount = Number(values.amount);
if (!(amount > 0)) fail("--amount must be a positive number");

const target = orFail(() => resolveTable(values));
await dynamoPendingTransactions(target.client, target.tableName).register(transactionId, {
  phoneNumber,
  currencyCode,
  amount,
});
console.log(`registered ${transactionId}: ${currencyCode} ${amount} to ${phoneNumber}`);
