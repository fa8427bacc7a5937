import { describe, expect, it } from "vitest";
import {
  checkMenu,
  DEFAULT_KEYS,
  defineMenu,
  handleUssdRequest,
  InMemorySessionStore,
  type MenuDefinition,
  MenuDefinitionError,
  navigationPath,
} from "../../functions/engines/ussd/engine";
import { withDeadline } from "../../functions/shared/deadline";
import { dial, UssdScriptError } from "../support/ussd-driver";

const request = (text: string, sessionId = "ATUid_test") => ({
  sessionId,
  serviceCode: "*123#",
  phoneNumber: "+254711000111",
  text,
});

const twoScreens: MenuDefinition = {
  root: "home",
  screens: {
    home: { type: "menu", text: "Pick", options: [{ label: "Done", next: "bye" }] },
    bye: { type: "end", text: "Bye" },
  },
};

describe("navigationPath", () => {
  it.each([
    ["", []],
    ["1", ["1"]],
    ["1*2*0722000000", ["1", "2", "0722000000"]],
    ["1*2*0", ["1"]],
    ["1*0*0", []],
    ["0", []],
    ["1*2*00", []],
    ["1*2*00*3", ["3"]],
    ["1*98*0", ["1"]],
    ["1*0*2*00*1*0*2", ["2"]],
  ])("%j -> %j", (text, expected) => {
    expect(navigationPath(text, DEFAULT_KEYS)).toEqual(expected);
  });

  it("honours custom keys", () => {
    expect(navigationPath("1*2*#*3", { back: "#", home: "##", more: "99" })).toEqual(["1", "3"]);
  });
});

describe("defineMenu checks", () => {
  it("reports non-GSM-7 characters in static texts, with the screen and characters", () => {
    const definition: MenuDefinition = {
      root: "home",
      screens: {
        home: {
          type: "menu",
          text: "Karibu — chagua",
          options: [{ label: "Salio ₦", next: "bye" }],
        },
        bye: { type: "end", text: "It’s done" },
        ask: { type: "prompt", text: "Enter amount…", next: "bye" },
      },
    };
    const error = (() => {
      try {
        defineMenu(definition);
      } catch (caught) {
        return caught;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(MenuDefinitionError);
    const problems = error instanceof MenuDefinitionError ? error.problems : [];
    expect(problems).toHaveLength(4);
    expect(problems.join("\n")).toContain('screen "home": non-GSM-7 characters "—"');
    expect(problems.join("\n")).toContain('"₦"');
    expect(problems.join("\n")).toContain('screen "bye": non-GSM-7 characters "’"');
    expect(problems.join("\n")).toContain('screen "ask": non-GSM-7 characters "…"');
    expect(checkMenu(definition)).toEqual(problems);
  });

  it("accepts GSM-7 accents and extension characters", () => {
    const definition: MenuDefinition = {
      root: "bye",
      screens: { bye: { type: "end", text: "Asante! é è ñ Ü £ € [ok] {x} ~ ^" } },
    };
    expect(checkMenu(definition)).toEqual([]);
  });

  it("reports a missing root, dangling next ids and an empty menu", () => {
    const problems = checkMenu({
      root: "start",
      screens: {
        home: { type: "menu", text: "Pick", options: [{ label: "Go", next: "nowhere" }] },
        ask: { type: "prompt", text: "Name?", next: "gone" },
        empty: { type: "menu", text: "Nothing", options: [] },
      },
    });
    expect(problems).toEqual([
      'root screen "start" is not defined',
      'screen "home": next screen "nowhere" is not defined',
      'screen "ask": next screen "gone" is not defined',
      'screen "empty": a menu needs at least one option',
    ]);
  });

  it("reports static texts longer than the budget", () => {
    const problems = checkMenu({
      root: "bye",
      budget: 30,
      messages: { timeout: "Try again.", error: "Sorry." },
      screens: { bye: { type: "end", text: "This goodbye is far too long" } },
    });
    expect(problems).toEqual(['screen "bye": 32 chars exceed the 30-char budget']);
  });

  it("reports option numbers that clash with the More key", () => {
    const options = Array.from({ length: 98 }, (_, index) => ({ label: `${index}`, next: "bye" }));
    const problems = checkMenu({
      root: "home",
      budget: 2000,
      screens: { home: { type: "menu", text: "Pick", options }, bye: { type: "end", text: "ok" } },
    });
    expect(problems).toEqual(['screen "home": option number 98 clashes with a navigation key']);
  });

  it("reports navigation keys containing * or repeated", () => {
    expect(checkMenu({ ...twoScreens, keys: { back: "*", home: "00", more: "98" } })).toEqual([
      'navigation key "*" must be non-empty and must not contain "*"',
    ]);
    expect(checkMenu({ ...twoScreens, keys: { back: "0", home: "0" } })).toEqual([
      "navigation keys must be distinct",
    ]);
  });

  it("accepts a valid menu", () => {
    expect(() => defineMenu(twoScreens)).not.toThrow();
  });
});

describe("handleUssdRequest", () => {
  it("gives every answer a valid hop label, even for awkward screen ids", async () => {
    const id = `step|${"x".repeat(150)}`;
    const menu = defineMenu({ root: id, screens: { [id]: { type: "end", text: "ok" } } });
    const answer = await handleUssdRequest(menu, request(""));
    expect(answer.hop).not.toContain("|");
    expect(answer.hop.length).toBeLessThanOrEqual(99);
    expect(answer.hop.startsWith("step-xxx")).toBe(true);
    expect(answer.screenId).toBe(id);
  });

  it("truncates over-long dynamic content to the budget instead of breaking the protocol", async () => {
    const menu = defineMenu({
      root: "news",
      screens: {
        news: { type: "dynamic", resolve: async () => ({ text: "n".repeat(500), options: [] }) },
      },
    });
    const answer = await handleUssdRequest(menu, request(""));
    expect(answer.body).toBe(`END ${"n".repeat(156)}`);
  });

  it("a dynamic screen with no options ends the session", async () => {
    const menu = defineMenu({
      root: "home",
      screens: {
        home: { type: "menu", text: "Pick", options: [{ label: "Status", next: "status" }] },
        status: { type: "dynamic", resolve: async () => ({ text: "All good", options: [] }) },
      },
    });
    const answer = await handleUssdRequest(menu, request("1"));
    expect(answer).toMatchObject({ body: "END All good", ended: true, screenId: "status" });
  });

  it("passes collected inputs, keyed by screen id, to later screens", async () => {
    const menu = defineMenu({
      root: "size",
      screens: {
        size: {
          type: "menu",
          text: "Size",
          options: [
            { label: "Small", next: "name", value: "S" },
            { label: "Large", next: "name", value: "L" },
          ],
        },
        name: { type: "prompt", text: "Name?", next: "summary" },
        summary: { type: "end", text: (ctx) => `${ctx.inputs.name} ordered ${ctx.inputs.size}` },
      },
    });
    const answer = await handleUssdRequest(menu, request("2*Wanjiku"));
    expect(answer.body).toBe("END Wanjiku ordered L");
  });

  it("input after an END screen is ignored rather than crashing", async () => {
    const answer = await handleUssdRequest(defineMenu(twoScreens), request("1*5*6"));
    expect(answer.body).toBe("END Bye");
  });

  it("a prompt routing to an unknown screen ends with the generic apology and an error", async () => {
    const menu = defineMenu({
      root: "ask",
      screens: { ask: { type: "prompt", text: "Code?", next: () => "missing" } },
    });
    const answer = await handleUssdRequest(menu, request("42"));
    expect(answer.body).toBe("END Sorry, something went wrong. Please try again later.");
    expect(answer.error?.message).toContain('"missing"');
    expect(answer.hop).toBe("missing!error");
  });

  it("uses custom messages and budget", async () => {
    const menu = defineMenu({ ...twoScreens, messages: { invalidChoice: "Chaguo si sahihi." } });
    const answer = await handleUssdRequest(menu, request("9"));
    expect(answer.body).toBe("CON Chaguo si sahihi.\nPick\n1. Done");
  });

  it("drops the title rather than options when an error does not fit with it", async () => {
    const menu = defineMenu({
      root: "home",
      budget: 40,
      messages: { error: "Sorry, try later." },
      screens: {
        home: {
          type: "menu",
          text: "A fairly long title here",
          options: [{ label: "Yes", next: "bye" }],
        },
        bye: { type: "end", text: "Bye" },
      },
    });
    const answer = await handleUssdRequest(menu, request("5"));
    expect(answer.body).toBe("CON Invalid choice.\n1. Yes");
  });
});

describe("session state", () => {
  interface Profile {
    name: string;
  }

  const profileMenu = (store: InMemorySessionStore<Profile>) =>
    defineMenu<Profile>({
      root: "home",
      session: { store, ttlSeconds: 180 },
      screens: {
        home: {
          type: "menu",
          text: "Menu",
          options: [
            { label: "Set name", next: "ask" },
            { label: "Greet", next: "greet" },
          ],
        },
        ask: {
          type: "prompt",
          text: "Your name?",
          next: (input, ctx) => {
            ctx.setState({ name: input });
            return "home";
          },
        },
        greet: { type: "end", text: (ctx) => `Hello ${ctx.state?.name ?? "stranger"}` },
      },
    });

  it("saves state set during a request and reads it in later requests", async () => {
    const store = new InMemorySessionStore<Profile>();
    const menu = profileMenu(store);
    await handleUssdRequest(menu, request("1*Amina", "s1"));
    expect(await store.get("s1")).toEqual({ name: "Amina" });
    const greeting = await handleUssdRequest(menu, request("2", "s1"));
    expect(greeting.body).toBe("END Hello Amina");
    const otherSession = await handleUssdRequest(menu, request("2", "s2"));
    expect(otherSession.body).toBe("END Hello stranger");
  });

  it("forgets state after its time to live", async () => {
    let now = 1_000_000;
    const store = new InMemorySessionStore<Profile>(() => now);
    await store.put("s1", { name: "Amina" }, 180);
    now += 179_000;
    expect(await store.get("s1")).toEqual({ name: "Amina" });
    now += 2_000;
    expect(await store.get("s1")).toBeUndefined();
  });

  it("setState without the session option is a definition bug reported as an error", async () => {
    const menu = defineMenu({
      root: "ask",
      screens: {
        ask: {
          type: "prompt",
          text: "Name?",
          next: (input, ctx) => {
            ctx.setState({ input });
            return "bye";
          },
        },
        bye: { type: "end", text: "Bye" },
      },
    });
    const answer = await handleUssdRequest(menu, request("x"));
    expect(answer.ended).toBe(true);
    expect(answer.error?.message).toContain("session");
  });

  it("a failing session store ends with the apology instead of throwing", async () => {
    const menu = defineMenu<Profile>({
      ...twoScreens,
      session: {
        ttlSeconds: 60,
        store: {
          get: async () => {
            throw new Error("table missing");
          },
          put: async () => undefined,
        },
      },
    });
    const answer = await handleUssdRequest(menu, request(""));
    expect(answer).toMatchObject({ ended: true, timedOut: false });
    expect(answer.error?.message).toBe("table missing");
  });
});

describe("withDeadline", () => {
  const later = <T>(value: T, ms: number) =>
    new Promise<T>((resolve) => setTimeout(() => resolve(value), ms));

  it("returns the value when the work is in time", async () => {
    expect(await withDeadline(later("done", 5), 200, "late")).toBe("done");
  });

  it("returns the fallback when the work is late", async () => {
    expect(await withDeadline(later("done", 200), 10, "late")).toBe("late");
  });

  it("passes an early rejection through", async () => {
    await expect(withDeadline(Promise.reject(new Error("boom")), 100, "late")).rejects.toThrow(
      "boom",
    );
  });
});

describe("dial driver", () => {
  const menu = defineMenu(twoScreens);

  it("rejects with the transcript when an expectation fails", async () => {
    const run = dial(menu, "*123#").press("1").expectEnd(/Nope/).run();
    await expect(run).rejects.toBeInstanceOf(UssdScriptError);
    await expect(dial(menu, "*123#").press("1").expectEnd(/Nope/).run()).rejects.toThrow(
      /expected END matching \/Nope\/[\s\S]*> text="1"\n {2}< END Bye/,
    );
  });

  it("rejects pressing after the session ended", async () => {
    await expect(dial(menu, "*123#").press("1").press("1").run()).rejects.toThrow(
      'cannot press "1": the session ended',
    );
  });

  it("rejects answers over the asserted budget", async () => {
    await expect(dial(menu, "*123#", { budget: 10 }).run()).rejects.toThrow(
      "answer is 16 chars, over the 10-char budget",
    );
  });

  it("rejects a CON where END was expected", async () => {
    await expect(dial(menu, "*123#").expectEnd().run()).rejects.toThrow("expected END");
  });
});
