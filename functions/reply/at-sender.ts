import { Agent, type AgentOptions } from "node:https";
import type { Socket } from "node:net";
// The SDK's module-wide endpoints, and its SMS service alone: the package entry point would also
// load every other service and an Express USSD middleware (body-parser, iconv-lite).
import endpoints from "africastalking/lib/common.js";
import SmsService from "africastalking/lib/sms.js";
// The SDK calls the default axios instance of axios's CommonJS build; this is that instance.
import sdkAxios from "axios/dist/node/axios.cjs";
import * as v from "valibot";
import { AT_REQUEST } from "../settings";
import { AT_HOST_REFUSED, classifySendError, parseSendResponse } from "./at-response";
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

export type AtEnvironment = "live" | "sandbox";

/**
 * The SDK's endpoints per environment, as its `lib/common.js` spells them (a unit test compares
 * them). The SDK keeps one module-wide set and its sandbox switch never switches back, so the
 * sender pins the right set before every call instead.
 */
export const AT_ENDPOINTS: Readonly<
  Record<AtEnvironment, { readonly SMS_URL: string; readonly CONTENT_URL: string }>
> = {
  live: {
    SMS_URL: "https://api.africastalking.com/version1/messaging",
    CONTENT_URL: "https://content.africastalking.com/version1",
  },
  sandbox: {
    SMS_URL: "https://api.sandbox.africastalking.com/version1/messaging",
    CONTENT_URL: "https://api.sandbox.africastalking.com/version1",
  },
};

/** The only hosts a request carrying an AT API key may go to. */
export const AT_HOSTS: ReadonlySet<string> = new Set(
  Object.values(AT_ENDPOINTS).flatMap((e) =>
    [e.SMS_URL, e.CONTENT_URL].map((u) => new URL(u).host),
  ),
);

/** AT's rule: the username `sandbox` means the sandbox, any other the live service. */
export const environmentOf = (username: string): AtEnvironment =>
  username.toLowerCase() === "sandbox" ? "sandbox" : "live";

let hostGuard = false;

/**
 * Bounds every request the SDK makes (it sets no timeout of its own) through the defaults of
 * the axios instance it uses, follows no redirect (axios would carry the `apikey` header to
 * whatever host a 3xx names), and refuses to send the API key to any host but AT's.
 * Applied once per container, before the first send.
 */
export function configureAtHttp(options: AtHttpOptions = AT_REQUEST): void {
  sdkAxios.defaults.timeout = options.timeoutMs;
  sdkAxios.defaults.httpsAgent = new ConnectTimeoutAgent(options.connectTimeoutMs);
  sdkAxios.defaults.maxRedirects = 0;
  if (hostGuard) return;
  hostGuard = true;
  // Asynchronous (the default): axios's synchronous interceptors still send after a throw.
  sdkAxios.interceptors.request.use((config) => {
    const headers = config.headers ?? {};
    const carriesKey = Object.keys(headers).some((name) => name.toLowerCase() === "apikey");
    const host = config.url ? new URL(config.url, config.baseURL).host : "";
    if (carriesKey && !AT_HOSTS.has(host)) {
      throw Object.assign(new Error(`refused to send the AT API key to ${host || "no host"}`), {
        code: AT_HOST_REFUSED,
      });
    }
    return config;
  });
}

/** SMS through the official SDK: `SMS.send`, or `SMS.sendPremium` for on-demand premium replies. */
export function atSmsSender(
  credentials: AtCredentials,
  options: AtHttpOptions = AT_REQUEST,
): SmsSender {
  configureAtHttp(options);
  const environment = environmentOf(credentials.username);
  const sms = new SmsService({
    username: credentials.username,
    apiKey: credentials.apiKey,
    format: "application/json",
  });
  return {
    async send(request) {
      const from = request.from ? { from: request.from } : {};
      try {
        // The SDK reads the endpoints synchronously at the start of the call, so what is pinned
        // here is what this call uses, whatever another sender pinned before.
        Object.assign(endpoints, AT_ENDPOINTS[environment]);
        const call =
          request.linkId && request.keyword
            ? sms.sendPremium({
                to: request.to,
                message: request.message,
                keyword: request.keyword,
                linkId: request.linkId,
                ...from,
              })
            : sms.send({ to: request.to, message: request.message, ...from });
        return parseSendResponse(await call, request.to);
      } catch (error) {
        return classifySendError(error, request.to);
      }
    },
  };
}

const CREDENTIALS_SHAPE = 'JSON {"username":"…","apiKey":"…"}';
const credentialsSchema = v.object({
  username: v.pipe(v.string(), v.nonEmpty()),
  apiKey: v.pipe(v.string(), v.nonEmpty()),
});

/** Reads `{"username","apiKey"}` (the Secrets Manager secret's JSON). */
export function parseAtCredentials(json: string): AtCredentials {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    throw new Error(`the AT credentials secret must be ${CREDENTIALS_SHAPE}`);
  }
  const result = v.safeParse(credentialsSchema, value);
  if (!result.success) {
    const field = result.issues[0] ? v.getDotPath(result.issues[0]) : null;
    throw new Error(
      `the AT credentials secret must be ${CREDENTIALS_SHAPE}${field ? ` (${field} is missing or empty)` : ""}`,
    );
  }
  if (result.output.username === PLACEHOLDER_USERNAME) {
    throw new Error(
      "the AT credentials secret still holds the placeholder the stack created: put your AT username and API key in it",
    );
  }
  return result.output;
}

/** What the CDK stack puts in the AT credentials secret until the operator replaces it. */
export const PLACEHOLDER_USERNAME = "REPLACE_ME";
