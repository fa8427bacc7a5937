import { loadCallbackConfig } from "../lib/config";
import { text } from "../lib/http";
import { interactive } from "../lib/interactive";
import { callbackHandler } from "../lib/pipeline";
import { sqsEventQueue } from "../lib/sqs";

const config = loadCallbackConfig();
const queue = sqsEventQueue(config.eventsQueueUrl);

function demoMenu(input: string, phoneNumber: string): string {
  switch (input) {
    case "":
      return "CON What would you want to check\n1. My Account\n2. My phone number";
    case "1":
      return "CON Choose account information you want to view\n1. Account number";
    case "2":
      return `END Your phone number is ${phoneNumber}`;
    case "1*1":
      return "END Your account number is ACC1001";
    default:
      return "END Invalid choice";
  }
}

export const handler = callbackHandler(
  interactive(queue, async ({ payload, phones }) => {
    const body = demoMenu(
      String(payload.text ?? ""),
      phones.phoneNumber ?? String(payload.phoneNumber),
    );
    return { answer: text(200, body), recorded: body };
  }),
  config,
);
