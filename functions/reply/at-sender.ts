import { Agent, type AgentOptions } from "node:https";
import type { Socket } from "node:net";
import AfricasTalking from "africastalking";
// The SDK calls the default axios instance of axios's CommonJS build; this is that instance.
import sdkAxios from "axios/dist/node/axios.cjs";
import { AT_REQUEST } from "../settings";
import { classifySendError, parseSendResponse } from "./at-response";
import type { SmsSender } from "./worker";

/**
 * The only module that imports the AT SDK: imported by the reply worker's handler alone, so no
 * other bundle contains it (test/unit/replies-bundles.test.ts checks).
 */
export interface AtCredentials {
  username: string;
  apiKey: string;
}

export interface AtHttpOptions {
  /** The whole request (axios `timeout`): no answer in time may mean AT sent it. */
  timeoutMs: number;
  /** TCP + TLS handshake: a connect that has not completed never reached AT. */
  connectTimeoutMs: number;
}

/** An HTTPS agent that fails a connection still not established after `connectTimeoutMs`. */
export class ConnectTimeoutAgent extends Agent {
  constructor(
    readonly connectTimeoutMs: number,
    options: AgentOptions = {},
  ) {
    // No keep-alive: a stale pooled socket reset mid-request would make a reply's fate unknown.
    super({ keepAlive: false, ...options });
  }

  override createConnection(
    ...args: Parameters<Agent["createConnection"]>
  ): ReturnType<Agent["createConnection"]> {
    const socket = super.createConnection(...args) as Socket;
    const timer = setTimeout(() => {
      socket.destroy(
        Object.assign(new Error(`no connection to AT within ${this.connectTimeoutMs} ms`), {
          code: "ECONNECT_TIMEOUT",
        }),
      );
    }, this.connectTimeoutMs);
    socket.once("secureConnect", () => clearTimeout(timer));
    socket.once("close", () => clearTimeout(timer));
    return socket;
  }
}

/**
 * Bounds every request the SDK makes (it sets no timeout of its own) through the defaults of
 * the axios instance it uses. Applied once per container, before the first send.
 */
export function configureAtHttp(options: AtHttpOptions = AT_REQUEST): void {
  sdkAxios.defaults.timeout = options.timeoutMs;
  sdkAxios.defaults.httpsAgent = new ConnectTimeoutAgent(options.connectTimeoutMs);
}

/** SMS through the official SDK: `SMS.send`, or `SMS.sendPremium` for on-demand premium replies. */
export function atSmsSender(
  credentials: AtCredentials,
  options: AtHttpOptions = AT_REQUEST,
): SmsSender {
  configureAtHttp(options);
  // username "sandbox" switches the SDK to api.sandbox.africastalking.com.
  const sms = AfricasTalking({ username: credentials.username, apiKey: credentials.apiKey }).SMS;
  return {
    async send(request) {
      const from = request.from ? { from: request.from } : {};
      try {
        const data =
          request.linkId && request.keyword
            ? await sms.sendPremium({
                to: request.to,
                message: request.message,
                keyword: request.keyword,
                linkId: request.linkId,
                ...from,
              })
            : await sms.send({ to: request.to, message: request.message, ...from });
        return parseSendResponse(data, request.to);
      } catch (error) {
        return classifySendError(error, request.to);
      }
    },
  };
}

/** Reads `{"username","apiKey"}` (the Secrets Manager secret's JSON). */
export function parseAtCredentials(json: string): AtCredentials {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    throw new Error('the AT credentials secret must be JSON {"username":"…","apiKey":"…"}');
  }
  const v = (value ?? {}) as Record<string, unknown>;
  if (typeof v.username !== "string" || !v.username || typeof v.apiKey !== "string" || !v.apiKey) {
    throw new Error('the AT credentials secret must be JSON {"username":"…","apiKey":"…"}');
  }
  if (v.username === PLACEHOLDER_USERNAME) {
    throw new Error(
      "the AT credentials secret still holds the placeholder the stack created: put your AT username and API key in it",
    );
  }
  return { username: v.username, apiKey: v.apiKey };
}

/** What the CDK stack puts in the AT credentials secret until the operator replaces it. */
export const PLACEHOLDER_USERNAME = "REPLACE_ME";
