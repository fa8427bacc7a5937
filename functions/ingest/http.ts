import type { APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import type { AnswerStyle } from "../routes";

export type HttpAnswer = APIGatewayProxyStructuredResultV2 & { statusCode: number; body: string };

/** An error whose one-line message may be shown to the caller (4xx only). */
export class ClientError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
    this.name = "ClientError";
  }
}

const answer = (statusCode: number, contentType: string, body: string): HttpAnswer => ({
  statusCode,
  headers: { "content-type": contentType },
  body,
});

export const text = (statusCode: number, body: string) =>
  answer(statusCode, "text/plain; charset=utf-8", body);
export const xml = (statusCode: number, body: string) =>
  answer(statusCode, "application/xml; charset=utf-8", body);
export const json = (statusCode: number, body: unknown) =>
  answer(statusCode, "application/json", JSON.stringify(body));

/**
 * The answer to a request we refuse, in the format the caller understands: AT ends a USSD
 * session on anything not starting with END, expects voice XML, and reads airtime status JSON.
 */
export function refusal(style: AnswerStyle, statusCode: number, reason: string): HttpAnswer {
  switch (style) {
    case "twoway":
      return text(statusCode, `BAD ${reason}`);
    case "ussd":
      return text(statusCode, `END ${reason}`);
    case "voice":
      return {
        ...xml(statusCode, '<?xml version="1.0" encoding="UTF-8"?><Response><Reject/></Response>'),
        headers: { "content-type": "application/xml; charset=utf-8", "x-refusal-reason": reason },
      };
    case "airtime":
      return json(statusCode, { status: "Failed", reason });
    case "plain":
      return text(statusCode, reason);
  }
}
