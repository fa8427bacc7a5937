/**
 * Africa's Talking voice XML: action constructors and a validating builder.
 *
 *   say(text, { voice?, playBeep? })                  play(url)
 *   getDigits({ numDigits?, timeout?, finishOnKey?, callbackUrl? }, prompt?: Say | Play)
 *   dial({ phoneNumbers, record?, sequential?, callerId?, ringBackTone?, maxDuration? })
 *   recordPartial({ finishOnKey?, maxLength?, timeout?, trimSilence?, playBeep?, callbackUrl? }, prompt?)
 *   recordTerminal()   enqueue({ holdMusic?, name? })   dequeue({ phoneNumber, name? })
 *   conference()       redirect(url)                    reject()
 *   buildVoiceXml(actions, { callbackKeys? }): string   // throws VoiceXmlError
 *
 * Output: `<?xml version="1.0" encoding="UTF-8"?><Response>…</Response>`, every text and attribute
 * value escaped. What AT would misread is refused at build time: GetDigits/Record with more than
 * one prompt or a prompt that is not Say/Play; a partial Record without attributes (AT reads a
 * bare `<Record/>` as the terminal kind); Reject with any other action (AT: it must stand alone);
 * actions after a terminal action (terminal Record, Redirect); Dial/Dequeue numbers that are not
 * international (+2547…) or SIP addresses; URLs that are not absolute http(s); a callbackUrl
 * without the callback `key` (AT sends the rest of the call there, and our routes answer 403 to a
 * request without the key); numeric attributes that are not positive integers; finishOnKey other
 * than one of 0-9 * #. Actions are plain data, so flows can also build them without the constructors.
 */

export interface SayAction {
  readonly action: "Say";
  readonly text: string;
  readonly voice?: string;
  readonly playBeep?: boolean;
}

export interface PlayAction {
  readonly action: "Play";
  readonly url: string;
}

export interface GetDigitsOptions {
  readonly numDigits?: number;
  /** Seconds to wait for input. */
  readonly timeout?: number;
  readonly finishOnKey?: string;
  readonly callbackUrl?: string;
}

export interface GetDigitsAction extends GetDigitsOptions {
  readonly action: "GetDigits";
  /** At most one Say or Play (checked by buildVoiceXml). */
  readonly children: readonly VoiceAction[];
}

export interface DialOptions {
  /** International numbers and/or SIP addresses. */
  readonly phoneNumbers: readonly string[];
  readonly record?: boolean;
  readonly sequential?: boolean;
  readonly callerId?: string;
  /** Audio URL played while the callee's phone rings (AT's attribute name, capital B). */
  readonly ringBackTone?: string;
  /** Seconds. */
  readonly maxDuration?: number;
}

export interface DialAction extends DialOptions {
  readonly action: "Dial";
}

export interface RecordOptions {
  readonly finishOnKey?: string;
  /** Seconds. */
  readonly maxLength?: number;
  /** Seconds. */
  readonly timeout?: number;
  readonly trimSilence?: boolean;
  readonly playBeep?: boolean;
  readonly callbackUrl?: string;
}

/**
 * Partial: records until finishOnKey, maxLength or timeout, then AT posts `recordingUrl` and the
 * call goes on with the reply. Needs at least one attribute: a bare `<Record/>` is the terminal kind.
 */
export interface PartialRecordAction extends RecordOptions {
  readonly action: "Record";
  readonly terminal: false;
  readonly children: readonly VoiceAction[];
}

/** Terminal: records until hang-up, takes no attributes, nothing may follow; the URL arrives in the final notification. */
export interface TerminalRecordAction {
  readonly action: "Record";
  readonly terminal: true;
}

export type RecordAction = PartialRecordAction | TerminalRecordAction;

export interface EnqueueAction {
  readonly action: "Enqueue";
  readonly holdMusic?: string;
  readonly name?: string;
}

export interface DequeueAction {
  readonly action: "Dequeue";
  /** The AT number callers dialled to join the queue, international (+254…) or SIP. */
  readonly phoneNumber: string;
  readonly name?: string;
}

export interface ConferenceAction {
  readonly action: "Conference";
}

export interface RedirectAction {
  readonly action: "Redirect";
  readonly url: string;
}

export interface RejectAction {
  readonly action: "Reject";
}

export type VoiceAction =
  | SayAction
  | PlayAction
  | GetDigitsAction
  | DialAction
  | RecordAction
  | EnqueueAction
  | DequeueAction
  | ConferenceAction
  | RedirectAction
  | RejectAction;

export class VoiceXmlError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "VoiceXmlError";
  }
}

export const XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>';

// --- constructors -----------------------------------------------------------------------------

export function say(text: string, options: { voice?: string; playBeep?: boolean } = {}): SayAction {
  return { action: "Say", text, ...options };
}

export function play(url: string): PlayAction {
  return { action: "Play", url };
}

export function getDigits(options: GetDigitsOptions, ...prompt: VoiceAction[]): GetDigitsAction {
  return { action: "GetDigits", ...options, children: prompt };
}

export function dial(options: DialOptions): DialAction {
  return { action: "Dial", ...options };
}

export function recordPartial(
  options: RecordOptions,
  ...prompt: VoiceAction[]
): PartialRecordAction {
  return { action: "Record", terminal: false, ...options, children: prompt };
}

export function recordTerminal(): TerminalRecordAction {
  return { action: "Record", terminal: true };
}

export function enqueue(options: { holdMusic?: string; name?: string } = {}): EnqueueAction {
  return { action: "Enqueue", ...options };
}

export function dequeue(options: { phoneNumber: string; name?: string }): DequeueAction {
  return { action: "Dequeue", ...options };
}

export function conference(): ConferenceAction {
  return { action: "Conference" };
}

export function redirect(url: string): RedirectAction {
  return { action: "Redirect", url };
}

export function reject(): RejectAction {
  return { action: "Reject" };
}

// --- builder ----------------------------------------------------------------------------------

export interface BuildOptions {
  /**
   * The keys the callback routes accept: a callbackUrl must carry one of them. Without this
   * list a callbackUrl must still carry a non-empty `key`.
   */
  readonly callbackKeys?: readonly string[];
}

export function buildVoiceXml(actions: readonly VoiceAction[], options: BuildOptions = {}): string {
  if (actions.length > 1 && actions.some((action) => action.action === "Reject")) {
    throw new VoiceXmlError(
      `Reject must be the only action of a response (got ${actions.map((a) => a.action).join(", ")})`,
    );
  }
  let terminalAction: string | undefined;
  const rendered = actions.map((action, index) => {
    if (terminalAction !== undefined) {
      throw new VoiceXmlError(
        `${action.action} (action ${index + 1}) follows terminal ${terminalAction}: it would never run`,
      );
    }
    if (isTerminal(action)) terminalAction = action.action;
    return renderAction(action, options);
  });
  return `${XML_DECLARATION}<Response>${rendered.join("")}</Response>`;
}

function isTerminal(action: VoiceAction): boolean {
  return (
    action.action === "Reject" ||
    action.action === "Redirect" ||
    (action.action === "Record" && action.terminal)
  );
}

type AttributeValue = string | number | boolean | undefined;

function renderAction(action: VoiceAction, options: BuildOptions): string {
  switch (action.action) {
    case "Say":
      return element(
        "Say",
        { voice: optionalText("Say voice", action.voice), playBeep: action.playBeep },
        escapeXml(requiredText("Say text", action.text)),
      );
    case "Play":
      return element("Play", { url: httpUrl("Play url", action.url) });
    case "GetDigits":
      return element(
        "GetDigits",
        {
          numDigits: positiveInteger("GetDigits numDigits", action.numDigits),
          timeout: positiveInteger("GetDigits timeout", action.timeout),
          finishOnKey: finishKey("GetDigits finishOnKey", action.finishOnKey),
          callbackUrl: callbackUrl("GetDigits callbackUrl", action.callbackUrl, options),
        },
        renderPrompt("GetDigits", action.children, options),
      );
    case "Dial":
      return element("Dial", {
        phoneNumbers: phoneNumberList(action.phoneNumbers),
        record: action.record,
        sequential: action.sequential,
        callerId: optionalText("Dial callerId", action.callerId),
        ringBackTone: optionalUrl("Dial ringBackTone", action.ringBackTone),
        maxDuration: positiveInteger("Dial maxDuration", action.maxDuration),
      });
    case "Record":
      return action.terminal ? renderTerminalRecord(action) : renderPartialRecord(action, options);
    case "Enqueue":
      return element("Enqueue", {
        holdMusic: optionalUrl("Enqueue holdMusic", action.holdMusic),
        name: optionalText("Enqueue name", action.name),
      });
    case "Dequeue":
      return element("Dequeue", {
        phoneNumber: dialable("Dequeue phoneNumber", action.phoneNumber),
        name: optionalText("Dequeue name", action.name),
      });
    case "Conference":
      return element("Conference", {});
    case "Redirect":
      return element("Redirect", {}, escapeXml(httpUrl("Redirect url", action.url)));
    case "Reject":
      return element("Reject", {});
  }
}

const RECORD_ATTRIBUTES = [
  "finishOnKey",
  "maxLength",
  "timeout",
  "trimSilence",
  "playBeep",
  "callbackUrl",
] as const satisfies readonly (keyof RecordOptions)[];

function renderPartialRecord(action: PartialRecordAction, options: BuildOptions): string {
  if (RECORD_ATTRIBUTES.every((name) => action[name] === undefined)) {
    throw new VoiceXmlError(
      "partial Record needs at least one attribute (finishOnKey, maxLength, timeout, trimSilence, playBeep, callbackUrl): AT reads a bare <Record/> as a terminal recording; use recordTerminal() for that",
    );
  }
  return element(
    "Record",
    {
      finishOnKey: finishKey("Record finishOnKey", action.finishOnKey),
      maxLength: positiveInteger("Record maxLength", action.maxLength),
      timeout: positiveInteger("Record timeout", action.timeout),
      trimSilence: action.trimSilence,
      playBeep: action.playBeep,
      callbackUrl: callbackUrl("Record callbackUrl", action.callbackUrl, options),
    },
    renderPrompt("Record", action.children, options),
  );
}

function renderTerminalRecord(action: TerminalRecordAction): string {
  // Actions are plain data: a hand-built terminal Record may still carry what AT would misread.
  const loose = action as TerminalRecordAction & RecordOptions & { children?: unknown[] };
  const given: string[] = RECORD_ATTRIBUTES.filter((name) => loose[name] !== undefined);
  if ((loose.children?.length ?? 0) > 0) given.push("prompt");
  if (given.length > 0) {
    throw new VoiceXmlError(
      `terminal Record takes no attributes or prompt (got ${given.join(", ")})`,
    );
  }
  return element("Record", {});
}

function renderPrompt(
  parent: string,
  children: readonly VoiceAction[],
  options: BuildOptions,
): string {
  if (children.length > 1) {
    throw new VoiceXmlError(`${parent} takes one Say or Play prompt, got ${children.length}`);
  }
  const [prompt] = children;
  if (prompt === undefined) return "";
  if (prompt.action !== "Say" && prompt.action !== "Play") {
    throw new VoiceXmlError(`${parent} prompt must be Say or Play, got ${prompt.action}`);
  }
  return renderAction(prompt, options);
}

function element(name: string, attributes: Record<string, AttributeValue>, content = ""): string {
  const rendered = Object.entries(attributes)
    .filter((entry): entry is [string, string | number | boolean] => entry[1] !== undefined)
    .map(([key, value]) => ` ${key}="${escapeXml(String(value))}"`)
    .join("");
  return content === "" ? `<${name}${rendered}/>` : `<${name}${rendered}>${content}</${name}>`;
}

// --- values -----------------------------------------------------------------------------------

const XML_ESCAPES: Readonly<Record<string, string>> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&apos;",
};

/** Escapes markup characters and drops control characters that XML 1.0 cannot carry at all. */
export function escapeXml(text: string): string {
  return (
    text
      // biome-ignore lint/suspicious/noControlCharactersInRegex: removing characters invalid in XML
      .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, "")
      .replace(/[&<>"']/g, (char) => XML_ESCAPES[char] ?? char)
  );
}

function requiredText(name: string, value: string): string {
  if (value.trim() === "") throw new VoiceXmlError(`${name} must not be empty`);
  return value;
}

function optionalText(name: string, value: string | undefined): string | undefined {
  return value === undefined ? undefined : requiredText(name, value);
}

function httpUrl(name: string, value: string): string {
  let protocol: string | undefined;
  try {
    protocol = new URL(value).protocol;
  } catch {
    protocol = undefined;
  }
  if ((protocol !== "http:" && protocol !== "https:") || value.trim() !== value) {
    throw new VoiceXmlError(
      `${name} must be an absolute http(s) URL, got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

function optionalUrl(name: string, value: string | undefined): string | undefined {
  return value === undefined ? undefined : httpUrl(name, value);
}

function positiveInteger(name: string, value: number | undefined): number | undefined {
  if (value !== undefined && !(Number.isSafeInteger(value) && value > 0)) {
    throw new VoiceXmlError(`${name} must be a positive integer, got ${value}`);
  }
  return value;
}

function finishKey(name: string, value: string | undefined): string | undefined {
  if (value !== undefined && !/^[0-9*#]$/.test(value)) {
    throw new VoiceXmlError(`${name} must be one of 0-9, * or #, got ${JSON.stringify(value)}`);
  }
  return value;
}

/**
 * A callbackUrl moves every later request of the call to that URL, so it must carry the key the
 * routes check: without it AT's digits, recording and final notification would all get a 403.
 */
function callbackUrl(
  name: string,
  value: string | undefined,
  options: BuildOptions,
): string | undefined {
  if (value === undefined) return undefined;
  const key = new URL(httpUrl(name, value)).searchParams.get("key");
  if (!key) {
    throw new VoiceXmlError(
      `${name} must carry the callback key (?key=…): AT sends the rest of the call there, and a request without the key is refused`,
    );
  }
  if (options.callbackKeys !== undefined && !options.callbackKeys.includes(key)) {
    throw new VoiceXmlError(`${name} carries a key the callback routes do not accept`);
  }
  return value;
}

const INTERNATIONAL_NUMBER = /^\+[1-9]\d{6,14}$/;
const SIP_ADDRESS = /^[^\s@,:]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$/;

/** AT dials international numbers (+254711000222) and SIP addresses (agent@ke.sip.africastalking.com). */
function dialable(name: string, value: string): string {
  if (!INTERNATIONAL_NUMBER.test(value) && !SIP_ADDRESS.test(value)) {
    throw new VoiceXmlError(
      `${name} ${JSON.stringify(value)} must be an international number (+254711000222) or a SIP address (agent@ke.sip.africastalking.com)`,
    );
  }
  return value;
}

function phoneNumberList(phoneNumbers: readonly string[]): string {
  if (phoneNumbers.length === 0) throw new VoiceXmlError("Dial phoneNumbers must not be empty");
  return phoneNumbers.map((number) => dialable("Dial phone number", number)).join(",");
}
