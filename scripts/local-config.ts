import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { generateSigningSecret, parseSigningSecrets } from "../functions/forward/signature";

/** Kept across restarts so that callback URLs pasted into a tunnel's dashboard keep working. */
export const LOCAL_KEY_FILE = ".local/callback-key";
const KEY_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/** 40 letters and digits, as the deployed stack generates (docs/deploy.md: the key travels in URLs). */
export function newCallbackKey(): string {
  const bytes = randomBytes(80);
  let key = "";
  // Rejection sampling keeps every character equally likely (256 is not a multiple of 62).
  for (const byte of bytes) {
    if (byte < 248 && key.length < 40) key += KEY_ALPHABET[byte % 62];
  }
  return key.length === 40 ? key : newCallbackKey();
}

/** CALLBACK_KEY when set; else the key kept in .local/, created on the first run. */
export function localCallbackKey(env: NodeJS.ProcessEnv): {
  callbackKey: string;
  source: "env" | "kept" | "generated";
} {
  if (env.CALLBACK_KEY) return { callbackKey: env.CALLBACK_KEY, source: "env" };
  if (existsSync(LOCAL_KEY_FILE)) {
    const kept = readFileSync(LOCAL_KEY_FILE, "utf8").trim();
    if (/^[A-Za-z0-9]{16,}$/.test(kept)) return { callbackKey: kept, source: "kept" };
  }
  const callbackKey = newCallbackKey();
  mkdirSync(".local", { recursive: true });
  writeFileSync(LOCAL_KEY_FILE, `${callbackKey}\n`, { mode: 0o600 });
  chmodSync(LOCAL_KEY_FILE, 0o600);
  return { callbackKey, source: "generated" };
}

export interface LocalPorts {
  http: number;
  inspector: number;
  sqs: number;
  dynamodb: number;
}

/** The routes' port, and the inspector, SQS and DynamoDB on the three after it unless set. */
export function localPorts(port: string, env: NodeJS.ProcessEnv): LocalPorts {
  const parse = (name: string, value: string) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0 || n > 65_535) {
      throw new Error(`${name} must be a port number, not ${value}`);
    }
    return n;
  };
  const http = parse("--port", port);
  const after = (name: string, offset: number) =>
    env[name] ? parse(name, env[name] as string) : http === 0 ? 0 : http + offset;
  return {
    http,
    inspector: after("INSPECTOR_PORT", 1),
    sqs: after("SQS_PORT", 2),
    dynamodb: after("DYNAMODB_PORT", 3),
  };
}

/** Kept across restarts so that a local receiver keeps its secret. */
export const LOCAL_FORWARD_SECRET_FILE = ".local/forward-secret";

/**
 * The signing secret of `npm start -- --forward-to`: FORWARD_SECRET (a `whsec_` value) when
 * set, else the one kept in .local/, created on the first run.
 */
export function localForwardSecret(env: NodeJS.ProcessEnv): {
  secret: string;
  source: "env" | "kept" | "generated";
} {
  const known = knownForwardSecret(env);
  if (known) return known;
  const secret = generateSigningSecret();
  mkdirSync(".local", { recursive: true });
  writeFileSync(LOCAL_FORWARD_SECRET_FILE, `${secret}\n`, { mode: 0o600 });
  chmodSync(LOCAL_FORWARD_SECRET_FILE, 0o600);
  return { secret, source: "generated" };
}

/** FORWARD_SECRET, else the secret kept in .local/ if there is a readable one; never a new one. */
export function knownForwardSecret(
  env: NodeJS.ProcessEnv,
): { secret: string; source: "env" | "kept" } | undefined {
  if (env.FORWARD_SECRET) {
    try {
      parseSigningSecrets(env.FORWARD_SECRET);
    } catch (error) {
      throw new Error(`FORWARD_SECRET: ${(error as Error).message}`);
    }
    return { secret: env.FORWARD_SECRET, source: "env" };
  }
  if (!existsSync(LOCAL_FORWARD_SECRET_FILE)) return undefined;
  const kept = readFileSync(LOCAL_FORWARD_SECRET_FILE, "utf8").trim();
  try {
    parseSigningSecrets(kept);
    return { secret: kept, source: "kept" };
  } catch {
    return undefined; // unreadable: npm start replaces it
  }
}

const NAMED_ENDPOINT = /^[a-z][a-z0-9-]*(\[[^\]]*\])?=/;

/**
 * `--forward-to` (repeatable) as the FORWARD_TO setting: bare URLs are endpoints `local`,
 * `local-2`, … (numbered among themselves, so named ones never shift them) for every event; `name=URL` or `name[type,type]=URL` is taken as the stage's
 * `forwardTo` takes it (only those event types).
 */
export function localForwardTo(values: readonly string[]): string {
  let bare = 0;
  return values
    .map((value) => {
      if (NAMED_ENDPOINT.test(value)) return value;
      bare++;
      return `${bare === 1 ? "local" : `local-${bare}`}=${value}`;
    })
    .join(" ");
}
