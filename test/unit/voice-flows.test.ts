import { XMLParser, XMLValidator } from "fast-xml-parser";
import { describe, expect, it } from "vitest";
import {
  ACCOUNT_MENU_PROMPT,
  answerVoiceCall,
  createAccountMenuFlow,
  spellOut,
  type VoiceCallContext,
  type VoiceCallRequest,
  type VoiceFlow,
  type VoiceReply,
  welcomeFlow,
} from "../../functions/engines/voice/flows";
import { say } from "../../functions/engines/voice/xml";

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: "@",
  parseTagValue: false,
  parseAttributeValue: false,
});

const liveCall: VoiceCallRequest = {
  isActive: "1",
  sessionId: "ATVId_b2beff43fbe0d2749cc1693b4df4f585",
  direction: "Inbound",
  callerNumber: "+254711000111",
  destinationNumber: "+254711000999",
};

const finalCall: VoiceCallRequest = {
  ...liveCall,
  isActive: "0",
  durationInSeconds: "42",
  amount: "0.40",
  currencyCode: "KES",
  hangupCause: "NORMAL_CLEARING",
};

function responseOf(reply: VoiceReply): Record<string, unknown> {
  if (reply.kind !== "xml") throw new Error(`expected XML, got ${reply.kind}`);
  expect(XMLValidator.validate(reply.xml)).toBe(true);
  const document = parser.parse(reply.xml) as { Response: Record<string, unknown> };
  return document.Response;
}

const accounts: Record<string, string> = { "+254711000111": "ACC1001" };
const lookups: string[] = [];
const accountFlow = createAccountMenuFlow({
  agentPhoneNumbers: ["+254711000222", "+254711000333"],
  lookupAccountNumber: async (callerNumber) => {
    lookups.push(callerNumber);
    return accounts[callerNumber];
  },
  callbackUrl: "https://api.example.com/voice?flow=account&key=k3y",
});

/** The request being answered: AT called the number's callback URL, key included. */
const context: VoiceCallContext = {
  callbackUrl: "https://abc123.execute-api.eu-west-1.amazonaws.com/api/voice/instruct?key=k3y",
  callbackKeys: ["k3y"],
};
const answer = (call: VoiceCallRequest, flow: VoiceFlow = welcomeFlow) =>
  answerVoiceCall(call, flow, context);

describe("answerVoiceCall with the default flow", () => {
  it("answers a live call with the seed's welcome message", async () => {
    expect(await answer(liveCall)).toEqual({
      kind: "xml",
      xml: '<?xml version="1.0" encoding="UTF-8"?><Response><Say>Welcome to the service. This is a demo voice application. Goodbye.</Say></Response>',
    });
  });

  it("the final notification (isActive=0) gets no XML", async () => {
    expect(await answer(finalCall)).toEqual({ kind: "final" });
    expect(await answer(finalCall, accountFlow)).toEqual({ kind: "final" });
  });

  it("a flow that builds invalid XML fails loudly", async () => {
    await expect(answer(liveCall, () => [say("")])).rejects.toThrow("Say text");
  });
});

describe("account menu example flow", () => {
  it("first asks for one digit, posting to the configured callback, then says goodbye", async () => {
    const response = responseOf(await answer(liveCall, accountFlow));
    expect(response.GetDigits).toEqual({
      "@numDigits": "1",
      "@timeout": "10",
      "@callbackUrl": "https://api.example.com/voice?flow=account&key=k3y",
      Say: ACCOUNT_MENU_PROMPT,
    });
    expect(response.Say).toBe("We did not receive your choice. Goodbye.");
  });

  it("1 reads the caller's account number character by character", async () => {
    const response = responseOf(await answer({ ...liveCall, dtmfDigits: "1" }, accountFlow));
    expect(response.Say).toBe("Your account number is A C C 1 0 0 1. Goodbye.");
    expect(lookups).toContain("+254711000111");
  });

  it("1 from an unknown caller apologises", async () => {
    const response = responseOf(
      await answer({ ...liveCall, callerNumber: "+254700000000", dtmfDigits: "1" }, accountFlow),
    );
    expect(response.Say).toMatch(/could not find an account/);
  });

  it("2 connects to the agents with Dial", async () => {
    const response = responseOf(await answer({ ...liveCall, dtmfDigits: "2" }, accountFlow));
    expect(response.Say).toBe("Please hold while we connect you to an agent.");
    expect(response.Dial).toEqual({
      "@phoneNumbers": "+254711000222,+254711000333",
      "@record": "true",
      "@sequential": "true",
    });
  });

  it("without a configured callbackUrl, names the URL of the request it answers", async () => {
    const flow = createAccountMenuFlow({
      agentPhoneNumbers: ["+254711000222"],
      lookupAccountNumber: async () => undefined,
    });
    expect(responseOf(await answer(liveCall, flow)).GetDigits).toMatchObject({
      "@callbackUrl": context.callbackUrl,
    });
    expect(responseOf(await answer({ ...liveCall, dtmfDigits: "3" }, flow)).Record).toMatchObject({
      "@callbackUrl": context.callbackUrl,
    });
  });

  it("refuses to build with a callbackUrl that lacks the key, and at answer time one with a wrong key", async () => {
    const options = { agentPhoneNumbers: ["+254711000222"], lookupAccountNumber: async () => "A1" };
    expect(() =>
      createAccountMenuFlow({
        ...options,
        callbackUrl: "https://api.example.com/api/voice/instruct",
      }),
    ).toThrow(/GetDigits callbackUrl must carry the callback key/);
    const stale = createAccountMenuFlow({ ...options, callbackUrl: "https://h.example/v?key=old" });
    await expect(answer(liveCall, stale)).rejects.toThrow(
      /a key the callback routes do not accept/,
    );
  });

  it("3 records a message after a beep", async () => {
    const response = responseOf(await answer({ ...liveCall, dtmfDigits: "3" }, accountFlow));
    expect(response.Record).toMatchObject({
      "@finishOnKey": "#",
      "@maxLength": "60",
      "@playBeep": "true",
      "@trimSilence": "true",
      "@callbackUrl": "https://api.example.com/voice?flow=account&key=k3y",
      Say: "Please leave your message after the beep, then press the hash key.",
    });
  });

  it("thanks the caller once the recording URL arrives", async () => {
    const response = responseOf(
      await answer(
        { ...liveCall, dtmfDigits: "3", recordingUrl: "https://files.example.com/rec.mp3" },
        accountFlow,
      ),
    );
    expect(response.Say).toBe("Thank you. Your message has been recorded. Goodbye.");
  });

  it("apologises when the recording is empty", async () => {
    const response = responseOf(await answer({ ...liveCall, recordingUrl: "" }, accountFlow));
    expect(response.Say).toBe("Sorry, we did not get your message. Goodbye.");
  });

  it("other digits repeat the menu after 'Invalid choice.'", async () => {
    const reply = await answer({ ...liveCall, dtmfDigits: "9" }, accountFlow);
    if (reply.kind !== "xml") throw new Error("expected XML");
    expect(reply.xml).toMatch(/<Response><Say>Invalid choice\.<\/Say><GetDigits /);
    expect(responseOf(reply).GetDigits).toMatchObject({ Say: ACCOUNT_MENU_PROMPT });
  });
});

describe("spellOut", () => {
  it("separates characters and drops spaces", () => {
    expect(spellOut("AC 12")).toBe("A C 1 2");
  });
});
