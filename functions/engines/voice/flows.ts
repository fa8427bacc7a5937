/**
 * Voice call instructions (AT "instruct" callback) as a pure function.
 *
 *   answerVoiceCall(call: VoiceCallRequest, flow: VoiceFlow, context: VoiceCallContext): Promise<VoiceReply>
 *     isActive === "0"  -> { kind: "final" }   answer an empty 200; the caller records the call end
 *     otherwise         -> { kind: "xml", xml } answer 200 with the XML (flow's actions, validated)
 *   type VoiceFlow = (call, context) => readonly VoiceAction[] | Promise<readonly VoiceAction[]>
 *   welcomeFlow: VoiceFlow                     // the seed's demo: one Say, then AT hangs up
 *   createAccountMenuFlow(options): VoiceFlow  // GetDigits example, see below
 *
 * Flows receive the parsed form fields as strings and return actions; buildVoiceXml errors
 * (a flow bug) propagate to the caller.
 */
import type { CallbackFields } from "../../model/callbacks";
import {
  buildVoiceXml,
  dial,
  getDigits,
  recordPartial,
  type SayAction,
  say,
  type VoiceAction,
} from "./xml";

/**
 * AT's voice callback fields as the callback map reads them (functions/model/callbacks.ts):
 * all text, most optional (see the reference, section 7).
 */
export type VoiceCallRequest = Readonly<Partial<CallbackFields<"voice.call">>>;

export type VoiceReply =
  | { readonly kind: "xml"; readonly xml: string }
  | { readonly kind: "final" };

/** What a flow knows of the request beyond AT's fields. */
export interface VoiceCallContext {
  /**
   * The URL AT called for this request, its `?key=` included: as a GetDigits or Record
   * `callbackUrl` it keeps the rest of the call on this route.
   */
  readonly callbackUrl: string;
  /** The keys the callback routes accept; every callbackUrl in the XML must carry one of them. */
  readonly callbackKeys: readonly string[];
}

export type VoiceFlow = (
  call: VoiceCallRequest,
  context: VoiceCallContext,
) => readonly VoiceAction[] | Promise<readonly VoiceAction[]>;

export const WELCOME_MESSAGE = "Welcome to the service. This is a demo voice application. Goodbye.";

export const welcomeFlow: VoiceFlow = () => [say(WELCOME_MESSAGE)];

export async function answerVoiceCall(
  call: VoiceCallRequest,
  flow: VoiceFlow,
  context: VoiceCallContext,
): Promise<VoiceReply> {
  if (isFinalNotification(call)) return { kind: "final" };
  const actions = await flow(call, context);
  return { kind: "xml", xml: buildVoiceXml(actions, { callbackKeys: context.callbackKeys }) };
}

export function isFinalNotification(call: VoiceCallRequest): boolean {
  return call.isActive?.trim() === "0";
}

// --- example: account menu --------------------------------------------------------------------

export interface AccountMenuFlowOptions {
  /** Numbers (or SIP addresses) of the agents option 2 rings. */
  readonly agentPhoneNumbers: readonly string[];
  /** Account number for a caller; undefined when the caller has no account. */
  readonly lookupAccountNumber: (callerNumber: string) => Promise<string | undefined>;
  /**
   * Where AT posts the digits and the recording, `?key=` included; default: the URL of the
   * request being answered (the number's callback URL).
   */
  readonly callbackUrl?: string;
}

export const ACCOUNT_MENU_PROMPT =
  "Press 1 to hear your account number. Press 2 to talk to an agent. Press 3 to leave a message.";

/**
 * Example flow:
 *   first request        -> GetDigits(1 digit) "Press 1 … 2 … 3 …", then a goodbye if nothing is pressed
 *   dtmfDigits=1         -> Say the account number, spelled out
 *   dtmfDigits=2         -> Say "connecting", Dial the agents (sequentially, recorded)
 *   dtmfDigits=3         -> partial Record with a beep; AT posts recordingUrl afterwards
 * GetDigits and Record name a callbackUrl that carries the key (by default the request's own URL).
 *   recordingUrl present -> thank the caller (or apologise if the recording is empty)
 *   other digits         -> "Invalid choice" and the menu again
 */
export function createAccountMenuFlow(options: AccountMenuFlowOptions): VoiceFlow {
  // A callbackUrl without the key would lose the rest of every call: refuse it now, not mid-call.
  if (options.callbackUrl !== undefined)
    buildVoiceXml([getDigits({ callbackUrl: options.callbackUrl })]);
  const menu = (callbackUrl: string, preface?: SayAction): VoiceAction[] => [
    ...(preface ? [preface] : []),
    getDigits({ numDigits: 1, timeout: 10, callbackUrl }, say(ACCOUNT_MENU_PROMPT)),
    say("We did not receive your choice. Goodbye."),
  ];

  return async (call, context) => {
    const callbackUrl = options.callbackUrl ?? context.callbackUrl;
    if (call.recordingUrl !== undefined) {
      return call.recordingUrl.trim() === ""
        ? [say("Sorry, we did not get your message. Goodbye.")]
        : [say("Thank you. Your message has been recorded. Goodbye.")];
    }
    switch (call.dtmfDigits?.trim()) {
      case undefined:
      case "":
        return menu(callbackUrl);
      case "1": {
        const accountNumber = await options.lookupAccountNumber(call.callerNumber ?? "");
        return accountNumber === undefined
          ? [say("Sorry, we could not find an account for this number. Goodbye.")]
          : [say(`Your account number is ${spellOut(accountNumber)}. Goodbye.`)];
      }
      case "2":
        return [
          say("Please hold while we connect you to an agent."),
          dial({ phoneNumbers: options.agentPhoneNumbers, sequential: true, record: true }),
        ];
      case "3":
        return [
          recordPartial(
            { finishOnKey: "#", maxLength: 60, trimSilence: true, playBeep: true, callbackUrl },
            say("Please leave your message after the beep, then press the hash key."),
          ),
        ];
      default:
        return menu(callbackUrl, say("Invalid choice."));
    }
  };
}

/** "ACC1001" -> "A C C 1 0 0 1", so text-to-speech reads it character by character. */
export function spellOut(text: string): string {
  return [...text.replace(/\s+/g, "")].join(" ");
}
