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

/** The tightest screen among Kenyan telcos (Safaricom); longer menus may be cut by the network. */
export const SCREEN_LIMIT = 160;
const USSD_PATH = "/api/ussd/session";
const STATUS_PATH = "/api/ussd/status";

export interface UssdOptions extends Overrides {
  code: string;
  phone: string;
  networkCode: string;
  /** Answers given in order; when they run out the user is asked (or the session is left). */
  inputs: string[];
  json: boolean;
  /** The most screens to walk before giving up (a menu that never ends). */
  maxHops?: number;
}

export interface UssdSession {
  sessionId: string;
  status: "Success" | "Incomplete" | "Failed";
  screens: string[];
  exchanges: Exchange[];
}

/**
 * Dials a USSD code the way a handset and AT do: the same `sessionId` for every hop, `text`
 * the user's inputs so far joined with `*` (empty on the first hop), stopping on `END`; then
 * AT's end-of-session notification (status, hops, duration, last response) to /api/ussd/status.
 */
export async function dialUssd(target: Target, options: UssdOptions, io: Io): Promise<UssdSession> {
  const sessionId = options.id ?? atId("ATUid_");
  const set = options.set ?? ((f: Fields) => f);
  const started = Date.now();
  const inputs: string[] = [];
  const pending = [...options.inputs];
  const screens: string[] = [];
  const hops: string[] = [];
  const exchanges: Exchange[] = [];
  let status: UssdSession["status"] = "Incomplete";
  let lastAppResponse = "";
  let errorMessage: string | undefined;

  if (!options.json)
    io.out(`Dialling ${options.code} from ${options.phone} (session ${sessionId})`);
  for (let hop = 0; hop < (options.maxHops ?? 50); hop++) {
    const fields: Fields = set({
      phoneNumber: options.phone,
      serviceCode: options.code,
      text: inputs.join("*"),
      sessionId,
      networkCode: options.networkCode,
    });
    const exchange = await postCallback(target, USSD_PATH, fields, "ussd");
    exchanges.push(exchange);
    const { status: code, body } = exchange.answer;
    lastAppResponse = body;
    const label = exchange.answer.headers["at-ussd-hop-metadata"];
    if (label) hops.push(label);
    if (options.json) printExchange(io, exchange, true);
    // AT ends the session on a 40x or a body that starts with neither CON nor END.
    if (code !== 200 || !/^(CON|END) /.test(body)) {
      status = "Failed";
      errorMessage = code === 200 ? "Response should start with a CON or an END" : `HTTP ${code}`;
      if (!options.json)
        io.out(`✗ AT ends the session: ${errorMessage}${body ? ` (${body})` : ""}`);
      break;
    }
    const screen = body.slice(4);
    screens.push(screen);
    if (!options.json) showScreen(io, body, screen);
    if (body.startsWith("END ")) {
      status = "Success";
      break;
    }
    const answer = pending.length > 0 ? pending.shift() : await io.ask?.("> ");
    if (answer === undefined) {
      if (!options.json) io.out("(no answer: the session times out)");
      break;
    }
    if (!options.json && options.inputs.length > 0) io.out(`> ${answer}`);
    inputs.push(answer);
  }

  const notification: Fields = {
    date: atDate(),
    sessionId,
    serviceCode: options.code,
    networkCode: options.networkCode,
    phoneNumber: options.phone,
    status,
    cost: "KES 0.10",
    durationInMillis: String(Date.now() - started),
    hopsCount: String(exchanges.length),
    ...(hops.length > 0 ? { hopsMetadata: hops.join("|") } : {}),
    input: inputs.join("*"),
    lastAppResponse,
    ...(errorMessage ? { errorMessage } : {}),
  };
  const ended = await postCallback(target, STATUS_PATH, notification, "form");
  exchanges.push(ended);
  if (options.json) printExchange(io, ended, true);
  else
    io.out(
      `Session ${status.toLowerCase()} after ${exchanges.length - 1} hop(s); AT's end-of-session notification → ${ended.answer.status} ${ended.answer.body}`,
    );
  return { sessionId, status, screens, exchanges };
}

function showScreen(io: Io, body: string, screen: string) {
  const rule = "─".repeat(40);
  io.out(`┌${rule}`);
  for (const line of screen.split("\n")) io.out(`│ ${line}`);
  const kind = body.startsWith("END ") ? "END" : "CON";
  const over =
    body.length > SCREEN_LIMIT
      ? `  ⚠ ${body.length} characters: over the ${SCREEN_LIMIT} a Safaricom screen shows`
      : "";
  io.out(`└${rule} ${kind}, ${body.length} chars${over}`);
}
