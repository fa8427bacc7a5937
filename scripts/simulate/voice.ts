import { XMLParser } from "fast-xml-parser";
import {
  atDate,
  atId,
  type Exchange,
  type Fields,
  type Io,
  type Overrides,
  postCallback,
  postUrl,
  printExchange,
  routeUrl,
  type Target,
} from "./http";

const INSTRUCT_PATH = "/api/voice/instruct";
const EVENTS_PATH = "/api/voice/events";

export interface VoiceOptions extends Overrides {
  from: string;
  /** The AT number called. */
  to: string;
  /** Keys pressed at each GetDigits, in order; when they run out the user is asked. */
  digits: string[];
  json: boolean;
  maxRequests?: number;
}

export interface VoiceAction {
  name: string;
  attributes: Record<string, string>;
  text: string;
  children: VoiceAction[];
}

export interface VoiceCall {
  sessionId: string;
  hangupCause: string;
  /** What the caller heard and did, one line each (`Say: …`, `GetDigits: 1`, …). */
  transcript: string[];
  exchanges: Exchange[];
}

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: "",
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
});

type Node = Record<string, unknown> & { ":@"?: Record<string, string> };

/** The actions of an AT voice response, in order; throws when the body is not `<Response>` XML. */
export function parseVoiceXml(xml: string): VoiceAction[] {
  const nodes = parser.parse(xml) as Node[];
  const response = nodes.find((n) => "Response" in n);
  if (!response) throw new Error("the answer is not a voice <Response>");
  return toActions(response.Response as Node[]);
}

function toActions(nodes: Node[]): VoiceAction[] {
  const actions: VoiceAction[] = [];
  for (const node of nodes) {
    const name = Object.keys(node).find((k) => k !== ":@");
    if (!name || name === "#text") continue;
    const content = (node[name] as Node[]) ?? [];
    actions.push({
      name,
      attributes: node[":@"] ?? {},
      text: content
        .filter((c) => "#text" in c)
        .map((c) => String(c["#text"]))
        .join(""),
      children: toActions(content),
    });
  }
  return actions;
}

/**
 * Places a call the way AT does: POSTs the call to the voice route, follows the XML it answers
 * (Say, Play, GetDigits with the digits posted back, partial Record, Redirect), stops on Reject,
 * Hangup, a bridging or terminal action or the end of the actions, then sends AT's final
 * notification (`isActive=0`) and the `SessionEnded` event.
 */
export async function placeCall(target: Target, options: VoiceOptions, io: Io): Promise<VoiceCall> {
  const sessionId = options.id ?? atId("ATVId_");
  const set = options.set ?? ((f: Fields) => f);
  const started = Date.now();
  const call: Fields = {
    isActive: "1",
    sessionId,
    direction: "Inbound",
    callerNumber: options.from,
    destinationNumber: options.to,
  };
  const first: Fields = {
    ...call,
    callerCarrierName: "Safaricom",
    callerCountryCode: "KE",
    callStartTime: atDate(),
  };
  const digits = [...options.digits];
  const transcript: string[] = [];
  const exchanges: Exchange[] = [];
  const say = (line: string) => {
    transcript.push(line);
    if (!options.json) io.out(`  ${line}`);
  };
  let url = routeUrl(target, INSTRUCT_PATH);
  let fields = first;
  let hangupCause = "NORMAL_CLEARING";
  let recordingUrl = "";
  let dialled: string | undefined;

  if (!options.json) io.out(`Calling ${options.to} from ${options.from} (session ${sessionId})`);
  requests: for (let n = 0; n < (options.maxRequests ?? 30); n++) {
    const exchange = await postUrl(url, set(fields), "form");
    exchanges.push(exchange);
    if (options.json) printExchange(io, exchange, true);
    if (exchange.answer.status !== 200) {
      say(
        `✗ HTTP ${exchange.answer.status}${exchange.answer.body ? `: ${exchange.answer.body}` : ""}: AT hangs up`,
      );
      hangupCause = "NORMAL_TEMPORARY_FAILURE";
      break;
    }
    let actions: VoiceAction[];
    try {
      actions = parseVoiceXml(exchange.answer.body);
    } catch (error) {
      say(`✗ ${(error as Error).message}: AT hangs up`);
      hangupCause = "NORMAL_TEMPORARY_FAILURE";
      break;
    }
    for (const action of actions) {
      const next = action.attributes.callbackUrl ?? url;
      switch (action.name) {
        case "Say":
          say(`Say: ${action.text}`);
          break;
        case "Play":
          say(`Play: ${action.attributes.url ?? ""}`);
          break;
        case "GetDigits": {
          for (const prompt of action.children)
            say(`${prompt.name}: ${prompt.text || prompt.attributes.url || ""}`);
          const pressed = digits.length > 0 ? digits.shift() : await io.ask?.("digits> ");
          if (!pressed) {
            say("GetDigits: (no input, AT moves on)");
            break;
          }
          say(`GetDigits: ${pressed}`);
          url = next;
          fields = { ...call, dtmfDigits: pressed };
          continue requests;
        }
        case "Record": {
          const terminal =
            Object.keys(action.attributes).length === 0 && action.children.length === 0;
          for (const prompt of action.children)
            say(`${prompt.name}: ${prompt.text || prompt.attributes.url || ""}`);
          recordingUrl = `https://example.com/recordings/${sessionId}.mp3`;
          if (terminal) {
            say("Record: recording until the caller hangs up");
            break requests;
          }
          say(`Record: ${recordingUrl}`);
          url = next;
          fields = { ...call, recordingUrl };
          continue requests;
        }
        case "Redirect":
          say(`Redirect: ${action.text}`);
          url = action.text;
          fields = call;
          continue requests;
        case "Dial":
          dialled = action.attributes.phoneNumbers ?? "";
          say(`Dial: ${dialled}`);
          break requests;
        case "Reject":
          say("Reject: the call is rejected");
          hangupCause = "CALL_REJECTED";
          break requests;
        case "Hangup":
          say("Hangup");
          break requests;
        default:
          say(
            `${action.name}${Object.keys(action.attributes).length ? ` ${JSON.stringify(action.attributes)}` : ""}`,
          );
          if (["Enqueue", "Dequeue", "Conference"].includes(action.name)) break requests;
      }
    }
    say("(end of the actions: AT hangs up)");
    break;
  }

  const answered = hangupCause !== "CALL_REJECTED";
  const durationInSeconds = answered
    ? String(Math.max(1, Math.round((Date.now() - started) / 1000)))
    : "0";
  const cost = { currencyCode: "KES", amount: answered ? "1.50" : "0" };
  const final: Fields = {
    ...call,
    isActive: "0",
    durationInSeconds,
    ...cost,
    hangupCause,
    callSessionState: "Completed",
    recordingUrl,
    ...(dialled
      ? {
          dialDestinationNumber: dialled.split(",")[0] ?? "",
          dialDurationInSeconds: durationInSeconds,
          dialStartTime: atDate(new Date(started)),
        }
      : {}),
  };
  const ended = await postUrl(url, set(final), "form");
  const event: Fields = {
    sessionId,
    eventType: "SessionEnded",
    callerNumber: options.from,
    destinationNumber: options.to,
    hangupCause,
    durationInSeconds,
    ...cost,
  };
  const sessionEnded = await postCallback(target, EVENTS_PATH, event, "form");
  exchanges.push(ended, sessionEnded);
  if (options.json) {
    printExchange(io, ended, true);
    printExchange(io, sessionEnded, true);
  } else {
    io.out(
      `Call ended (${hangupCause}); final notification → ${ended.answer.status}, SessionEnded event → ${sessionEnded.answer.status} ${sessionEnded.answer.body}`,
    );
  }
  return { sessionId, hangupCause, transcript, exchanges };
}
