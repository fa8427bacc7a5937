import { XMLParser, XMLValidator } from "fast-xml-parser";
import { describe, expect, it } from "vitest";
import {
  buildVoiceXml,
  conference,
  dequeue,
  dial,
  enqueue,
  getDigits,
  play,
  recordPartial,
  recordTerminal,
  redirect,
  reject,
  say,
  type VoiceAction,
  VoiceXmlError,
} from "../../functions/engines/voice/xml";

const NASTY = `Tom & Jerry <b>"quoted"</b> it's > 5 && < 6`;
const URL_WITH_QUERY = "https://media.example.com/a b/tone.mp3?a=1&b=2&c=%22x%22&d='y'";
const CALLBACK = "https://api.example.com/voice/digits?session=abc&key=k3y&step=2";

type Node = Record<string, unknown>;

// Keeps text and attribute values as strings, untrimmed, so the round trip is compared exactly.
const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: "@",
  textNodeName: "#text",
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
  preserveOrder: true,
});

/** Parses the XML and returns the actions inside <Response> as [name, attributes, children]. */
function parseActions(xml: string): { name: string; attributes: Node; children: Node[] }[] {
  expect(XMLValidator.validate(xml)).toBe(true);
  expect(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?><Response>')).toBe(true);
  expect(xml.endsWith("</Response>")).toBe(true);
  const document = parser.parse(xml) as Node[];
  const response = document.find((node) => "Response" in node);
  const actions = (response?.Response ?? []) as Node[];
  return actions.map((node) => {
    const name = Object.keys(node).find((key) => key !== ":@") ?? "";
    return {
      name,
      attributes: (node[":@"] ?? {}) as Node,
      children: (node[name] ?? []) as Node[],
    };
  });
}

function textOf(children: Node[]): string {
  return children.map((child) => String(child["#text"] ?? "")).join("");
}

function single(action: VoiceAction) {
  const [parsed, ...rest] = parseActions(buildVoiceXml([action]));
  expect(rest).toEqual([]);
  if (parsed === undefined) throw new Error("no action parsed");
  return parsed;
}

describe("buildVoiceXml round trip", () => {
  it("renders the exact document for a simple Say", () => {
    expect(buildVoiceXml([say("Hello & welcome")])).toBe(
      '<?xml version="1.0" encoding="UTF-8"?><Response><Say>Hello &amp; welcome</Say></Response>',
    );
  });

  it("Say: text, voice and playBeep survive escaping", () => {
    const parsed = single(say(NASTY, { voice: `en-US "C" & 'D'`, playBeep: true }));
    expect(parsed.name).toBe("Say");
    expect(textOf(parsed.children)).toBe(NASTY);
    expect(parsed.attributes).toEqual({ "@voice": `en-US "C" & 'D'`, "@playBeep": "true" });
  });

  it("Play: url with a query string", () => {
    const parsed = single(play(URL_WITH_QUERY));
    expect(parsed).toMatchObject({ name: "Play", attributes: { "@url": URL_WITH_QUERY } });
  });

  it("GetDigits: attributes and a nested Say", () => {
    const parsed = single(
      getDigits({ numDigits: 4, timeout: 30, finishOnKey: "#", callbackUrl: CALLBACK }, say(NASTY)),
    );
    expect(parsed.attributes).toEqual({
      "@numDigits": "4",
      "@timeout": "30",
      "@finishOnKey": "#",
      "@callbackUrl": CALLBACK,
    });
    expect(parsed.children).toHaveLength(1);
    expect(textOf((parsed.children[0]?.Say ?? []) as Node[])).toBe(NASTY);
  });

  it("GetDigits: a nested Play", () => {
    const parsed = single(getDigits({ finishOnKey: "*" }, play(URL_WITH_QUERY)));
    expect(parsed.children[0]?.[":@"]).toEqual({ "@url": URL_WITH_QUERY });
  });

  it("Dial: numbers joined with commas and every attribute", () => {
    const parsed = single(
      dial({
        phoneNumbers: ["+254711000222", "agent&1@ke.sip.africastalking.com"],
        record: true,
        sequential: false,
        callerId: `+254711"000'333`,
        ringBackTone: URL_WITH_QUERY,
        maxDuration: 120,
      }),
    );
    expect(parsed.attributes).toEqual({
      "@phoneNumbers": "+254711000222,agent&1@ke.sip.africastalking.com",
      "@record": "true",
      "@sequential": "false",
      "@callerId": `+254711"000'333`,
      "@ringBackTone": URL_WITH_QUERY,
      "@maxDuration": "120",
    });
  });

  it("Record (partial): attributes and a prompt", () => {
    const parsed = single(
      recordPartial(
        {
          finishOnKey: "#",
          maxLength: 60,
          timeout: 5,
          trimSilence: true,
          playBeep: true,
          callbackUrl: CALLBACK,
        },
        say(NASTY),
      ),
    );
    expect(parsed.attributes).toEqual({
      "@finishOnKey": "#",
      "@maxLength": "60",
      "@timeout": "5",
      "@trimSilence": "true",
      "@playBeep": "true",
      "@callbackUrl": CALLBACK,
    });
    expect(textOf((parsed.children[0]?.Say ?? []) as Node[])).toBe(NASTY);
  });

  it("Record (terminal): no attributes", () => {
    expect(buildVoiceXml([say("Speak now"), recordTerminal()])).toContain(
      "<Say>Speak now</Say><Record/></Response>",
    );
  });

  it("Enqueue and Dequeue: names and hold music", () => {
    const [queued, dequeued] = parseActions(
      buildVoiceXml([
        enqueue({ holdMusic: URL_WITH_QUERY, name: `sales & "support"` }),
        dequeue({ phoneNumber: "+254711000222", name: `sales & "support"` }),
      ]),
    );
    expect(queued).toMatchObject({
      name: "Enqueue",
      attributes: { "@holdMusic": URL_WITH_QUERY, "@name": `sales & "support"` },
    });
    expect(dequeued).toMatchObject({
      name: "Dequeue",
      attributes: { "@phoneNumber": "+254711000222", "@name": `sales & "support"` },
    });
  });

  it("Conference, Redirect and Reject", () => {
    expect(parseActions(buildVoiceXml([conference()]))[0]?.name).toBe("Conference");
    const redirected = single(redirect(CALLBACK));
    expect(redirected.name).toBe("Redirect");
    expect(textOf(redirected.children)).toBe(CALLBACK);
    expect(buildVoiceXml([reject()])).toBe(
      '<?xml version="1.0" encoding="UTF-8"?><Response><Reject/></Response>',
    );
  });

  it("keeps actions in order", () => {
    const names = parseActions(
      buildVoiceXml([
        say("a"),
        play(URL_WITH_QUERY),
        getDigits({}, say("b")),
        dial({ phoneNumbers: ["+254711000222"] }),
        recordPartial({ maxLength: 5 }),
        enqueue(),
      ]),
    ).map((action) => action.name);
    expect(names).toEqual(["Say", "Play", "GetDigits", "Dial", "Record", "Enqueue"]);
  });

  it("drops control characters that would make the document invalid", () => {
    const xml = buildVoiceXml([say("bell\u0007 and tab\tok")]);
    expect(textOf(single(say("bell\u0007 and tab\tok")).children)).toBe("bell and tab\tok");
    expect(XMLValidator.validate(xml)).toBe(true);
  });

  it("an empty response is still a valid document", () => {
    expect(buildVoiceXml([])).toBe('<?xml version="1.0" encoding="UTF-8"?><Response></Response>');
  });
});

describe("buildVoiceXml rejects invalid combinations", () => {
  it.each<[string, VoiceAction[], RegExp]>([
    [
      "GetDigits with two prompts",
      [getDigits({}, say("a"), say("b"))],
      /one Say or Play prompt, got 2/,
    ],
    [
      "GetDigits with a Dial inside",
      [getDigits({}, dial({ phoneNumbers: ["+254711000222"] }))],
      /must be Say or Play, got Dial/,
    ],
    [
      "Record with two prompts",
      [recordPartial({ maxLength: 5 }, say("a"), play("https://x.example/a.mp3"))],
      /got 2/,
    ],
    ["Dial without numbers", [dial({ phoneNumbers: [] })], /phoneNumbers must not be empty/],
    [
      "Dial with a comma inside a number",
      [dial({ phoneNumbers: ["+254711000222,+254711000333"] })],
      /"\+254711000222,\+254711000333" must be an international number/,
    ],
    ["Dial with a blank number", [dial({ phoneNumbers: [" "] })], /international number/],
    ["Dial with a local number", [dial({ phoneNumbers: ["0711000222"] })], /"0711000222" must be/],
    [
      "Dial with a number without its +",
      [dial({ phoneNumbers: ["254711000222"] })],
      /international number \(\+254711000222\) or a SIP address/,
    ],
    [
      "Dequeue with a local number",
      [dequeue({ phoneNumber: "0711082000" })],
      /Dequeue phoneNumber "0711082000" must be an international number/,
    ],
    ["Play with a relative URL", [play("/audio/a.mp3")], /absolute http\(s\) URL/],
    ["Play with an ftp URL", [play("ftp://x.example/a.mp3")], /absolute http\(s\) URL/],
    ["Play with a javascript URL", [play("javascript:alert(1)")], /absolute http\(s\) URL/],
    ["Redirect with a relative URL", [redirect("next")], /Redirect url/],
    [
      "GetDigits with a bad callbackUrl",
      [getDigits({ callbackUrl: "example.com/x" })],
      /callbackUrl/,
    ],
    ["Enqueue with a bad holdMusic", [enqueue({ holdMusic: "music.mp3" })], /holdMusic/],
    [
      "Dial with a bad ringBackTone",
      [dial({ phoneNumbers: ["+254711000222"], ringBackTone: "x" })],
      /ringBackTone/,
    ],
    ["Say after Reject", [reject(), say("too late")], /Reject must be the only action/],
    ["Reject after Say", [say("Bye"), reject()], /Reject must be the only action .*Say, Reject/],
    [
      "GetDigits whose callbackUrl lacks the key",
      [getDigits({ callbackUrl: "https://api.example.com/api/voice/instruct" })],
      /GetDigits callbackUrl must carry the callback key/,
    ],
    [
      "GetDigits whose callbackUrl has an empty key",
      [getDigits({ callbackUrl: "https://api.example.com/api/voice/instruct?key=" })],
      /must carry the callback key/,
    ],
    [
      "partial Record whose callbackUrl lacks the key",
      [recordPartial({ maxLength: 5, callbackUrl: "https://api.example.com/rec?k=1" })],
      /Record callbackUrl must carry the callback key/,
    ],
    [
      "partial Record without attributes (AT would read it as terminal)",
      [recordPartial({}, say("Speak")), say("Thanks")],
      /partial Record needs at least one attribute/,
    ],
    [
      "Play after terminal Record",
      [recordTerminal(), play("https://x.example/a.mp3")],
      /follows terminal Record/,
    ],
    [
      "Say after Redirect",
      [redirect("https://x.example/next"), say("never")],
      /follows terminal Redirect/,
    ],
    ["numDigits 0", [getDigits({ numDigits: 0 })], /numDigits must be a positive integer, got 0/],
    ["timeout -1", [getDigits({ timeout: -1 })], /timeout must be a positive integer/],
    ["maxLength 1.5", [recordPartial({ maxLength: 1.5 })], /maxLength must be a positive integer/],
    [
      "maxDuration NaN",
      [dial({ phoneNumbers: ["+254711000222"], maxDuration: Number.NaN })],
      /maxDuration/,
    ],
    ["finishOnKey of two keys", [getDigits({ finishOnKey: "##" })], /finishOnKey must be one of/],
    ["empty Say", [say("  ")], /Say text must not be empty/],
    ["Dequeue without a phone number", [dequeue({ phoneNumber: "" })], /Dequeue phoneNumber/],
    [
      "terminal Record with attributes",
      [{ action: "Record", terminal: true, maxLength: 10 } as VoiceAction],
      /terminal Record takes no attributes or prompt \(got maxLength\)/,
    ],
  ])("%s", (_, actions, message) => {
    expect(() => buildVoiceXml(actions)).toThrow(VoiceXmlError);
    expect(() => buildVoiceXml(actions)).toThrow(message);
  });

  it("a callbackUrl must carry a key the routes accept, when the keys are known", () => {
    const digits = (url: string) => [getDigits({ numDigits: 1, callbackUrl: url }, say("Press 1"))];
    const keys = { callbackKeys: ["current", "previous"] };
    expect(
      buildVoiceXml(digits("https://h.example/api/voice/instruct?key=previous"), keys),
    ).toContain('callbackUrl="https://h.example/api/voice/instruct?key=previous"');
    expect(() =>
      buildVoiceXml(digits("https://h.example/api/voice/instruct?key=old"), keys),
    ).toThrow(/GetDigits callbackUrl carries a key the callback routes do not accept/);
  });

  it("keeps the two kinds of Record apart: only a partial one lets the call go on", () => {
    expect(
      buildVoiceXml([recordPartial({ finishOnKey: "#" }, say("Speak")), say("Thanks")]),
    ).toContain('<Record finishOnKey="#"><Say>Speak</Say></Record><Say>Thanks</Say>');
    expect(() => buildVoiceXml([recordTerminal(), say("Thanks")])).toThrow(
      /Say \(action 2\) follows terminal Record/,
    );
  });

  it("allows actions after Dial and Dequeue (they run when nobody answers)", () => {
    expect(() =>
      buildVoiceXml([
        dial({ phoneNumbers: ["+254711000222"] }),
        dequeue({ phoneNumber: "+254711000333" }),
        say("Nobody answered"),
      ]),
    ).not.toThrow();
  });
});
