import { describe, expect, it } from "vitest";
import { AIRTIME_AMOUNTS, createShopMenu } from "../../examples/ussd/shop-menu";
import { dial } from "../support/ussd-driver";

const PHONE = "+254711000111";
const shop = createShopMenu({ getBalance: async () => 1250 });
const session = () => dial(shop, "*384*1#", { phoneNumber: PHONE });

function optionNumbers(body: string): number[] {
  return [...body.matchAll(/^(\d+)\. /gm)].map((match) => Number(match[1]));
}

describe("shop menu: amount list pagination", () => {
  it("splits the long amount list into pages with 98. More", async () => {
    const { exchanges } = await session()
      .press("1")
      .expectContinue(/\n98\. More$/)
      .press("98")
      .expectContinue("Choose airtime amount");
    const first = exchanges[1]?.answer.body ?? "";
    const second = exchanges[2]?.answer.body ?? "";
    expect(optionNumbers(first)[0]).toBe(1);
    expect(second).not.toContain("98. More");
    const shown = [...optionNumbers(first), ...optionNumbers(second)].filter((n) => n !== 98);
    expect(shown).toEqual(AIRTIME_AMOUNTS.map((_, index) => index + 1));
  });

  it("reaches every option on a smaller screen, one page at a time", async () => {
    const small = createShopMenu({ getBalance: async () => 0, budget: 60 });
    let script = dial(small, "*384*1#").press("1");
    const seen: number[] = [];
    for (let page = 0; page < 20; page += 1) {
      const { last } = await script;
      seen.push(...optionNumbers(last.body).filter((n) => n !== 98));
      if (!last.body.endsWith("98. More")) break;
      script = script.press("98");
    }
    expect(seen).toEqual(AIRTIME_AMOUNTS.map((_, index) => index + 1));
  });

  it("98 on the last page is an invalid choice on that same page", async () => {
    const { exchanges, last } = await session().press("1").press("98").press("98");
    expect(last.body).toBe(`CON Invalid choice.\n${exchanges[2]?.answer.body.slice(4)}`);
  });

  it("0 after 98 goes back to the previous page", async () => {
    const { exchanges, last } = await session().press("1").press("98").press("0");
    expect(last.body).toBe(exchanges[1]?.answer.body);
  });

  it("an option from the second page is recorded by its value", async () => {
    const thousand = AIRTIME_AMOUNTS.indexOf(1000) + 1;
    await session()
      .press("1")
      .press("98")
      .press(String(thousand))
      .expectContinue("Enter phone number")
      .press("0712345678")
      .expectContinue("Buy KES 1000 for 0712345678?");
  });
});

describe("shop menu: buying airtime", () => {
  const toPhonePrompt = () => session().press("1").press("4").expectHop("recipient");

  it("rejects a bad phone number with the validator's message and asks again", async () => {
    const { last } = await toPhonePrompt().press("12345").expectContinue();
    expect(last.body).toBe(
      "CON Invalid phone number. Use 07XXXXXXXX.\nEnter phone number (e.g. 0712345678)",
    );
    expect(last.hop).toBe("recipient");
  });

  it("accepts the number after a failed attempt", async () => {
    await toPhonePrompt()
      .press("12345")
      .press("+254712345678")
      .expectContinue("Buy KES 50 for +254712345678?");
  });

  it.each(["12", "12345", "12a4", ""])("rejects PIN %j", async (pin) => {
    const { last } = await toPhonePrompt().press("0712345678").press(pin).expectContinue();
    expect(last.body).toMatch(/^CON PIN must be 4 digits\.\nBuy KES 50 for 0712345678\?/);
  });

  it("a 4-digit PIN confirms and ends the session with the order summary", async () => {
    const { last } = await toPhonePrompt()
      .press("0712345678")
      .press("1234")
      .expectEnd("KES 50 airtime for 0712345678");
    expect(last.hop).toBe("done");
  });
});

describe("shop menu: dynamic balance", () => {
  it("shows the balance the resolver returns for the caller", async () => {
    const asked: string[] = [];
    const menu = createShopMenu({
      getBalance: async (phoneNumber) => {
        asked.push(phoneNumber);
        return 1250;
      },
    });
    const { last } = await dial(menu, "*384*1#", { phoneNumber: PHONE })
      .press("2")
      .expectContinue("Your balance is KES 1250.00\n1. Buy airtime\n2. Main menu");
    expect(asked).toContain(PHONE);
    expect(last.hop).toBe("balance");
  });

  it("balance options navigate onwards", async () => {
    await session().press("2").press("1").expectContinue("Choose airtime amount");
    await session().press("2").press("2").expectContinue("Welcome to the shop");
  });

  it("a slow resolver hits the deadline: END apology and timedOut", async () => {
    const slow = createShopMenu({
      deadlineMs: 50,
      getBalance: () => new Promise((resolve) => setTimeout(() => resolve(1), 300)),
    });
    const started = Date.now();
    const { last } = await dial(slow, "*384*1#").press("2").expectTimedOut();
    expect(Date.now() - started).toBeLessThan(250);
    expect(last.body).toBe("END Sorry, please try again.");
    expect(last.hop).toBe("balance!timeout");
    expect(last.screenId).toBe("balance");
  });

  it("a fast resolver under the same deadline answers normally", async () => {
    const quick = createShopMenu({ deadlineMs: 50, getBalance: async () => 5 });
    const { last } = await dial(quick, "*384*1#").press("2").expectContinue("KES 5.00");
    expect(last.timedOut).toBe(false);
  });

  it("a failing resolver ends with a generic apology and reports the error", async () => {
    const broken = createShopMenu({
      getBalance: async () => {
        throw new Error("core banking down");
      },
    });
    const { last } = await dial(broken, "*384*1#")
      .press("2")
      .expectEnd("Sorry, something went wrong");
    expect(last.timedOut).toBe(false);
    expect(last.error?.message).toBe("core banking down");
    expect(last.body).not.toContain("core banking");
  });
});
