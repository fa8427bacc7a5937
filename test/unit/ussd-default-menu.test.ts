import { describe, expect, it } from "vitest";
import { defaultMenu } from "../../functions/engines/ussd/default-menu";
import { dial } from "../support/ussd-driver";

const PHONE = "+254711000111";
const HOME = "CON What would you want to check\n1. My Account\n2. My phone number";
const ACCOUNT = "CON Choose account information you want to view\n1. Account number";

const session = () => dial(defaultMenu, "*123#", { phoneNumber: PHONE });

describe("default menu (seed demo)", () => {
  it("opens with the seed's first screen", async () => {
    const { last } = await session().expect(/My Account/);
    expect(last.body).toBe(HOME);
    expect(last.hop).toBe("home");
  });

  it("1 shows the account screen and 1*1 ends with the account number", async () => {
    const { exchanges, last } = await session()
      .press("1")
      .expectContinue("Choose account information you want to view")
      .press("1")
      .expectEnd(/ACC1001/);
    expect(exchanges.map((exchange) => exchange.text)).toEqual(["", "1", "1*1"]);
    expect(exchanges[1]?.answer.body).toBe(ACCOUNT);
    expect(last.body).toBe("END Your account number is ACC1001");
    expect(last.hop).toBe("accountNumber");
  });

  it("2 ends with the caller's phone number", async () => {
    const { last } = await session().press("2").expectEnd();
    expect(last.body).toBe(`END Your phone number is ${PHONE}`);
  });

  it("an invalid choice re-shows the same screen with an error and keeps the session open", async () => {
    const { exchanges, last } = await session()
      .press("7")
      .expectContinue(/^CON Invalid choice\.\nWhat would you want to check/)
      .press("2")
      .expectEnd("Your phone number is");
    expect(exchanges[1]?.answer.body).toBe(`CON Invalid choice.\n${HOME.slice(4)}`);
    expect(exchanges[2]?.text).toBe("7*2");
    expect(last.ended).toBe(true);
  });

  it("an invalid choice on the second screen stays on the second screen", async () => {
    const { last } = await session().press("1").press("3").expectContinue();
    expect(last.body).toBe(`CON Invalid choice.\n${ACCOUNT.slice(4)}`);
    expect(last.hop).toBe("account");
  });

  it("0 goes back one screen", async () => {
    const { exchanges } = await session()
      .press("1")
      .press("0")
      .expectContinue("What would you want to check")
      .press("2")
      .expectEnd(PHONE);
    expect(exchanges[2]?.answer.body).toBe(HOME);
    expect(exchanges[3]?.text).toBe("1*0*2");
  });

  it("00 returns to the main menu from any depth", async () => {
    const { exchanges } = await session()
      .press("1")
      .press("00")
      .press("1")
      .press("1")
      .expectEnd("ACC1001");
    expect(exchanges[2]?.answer.body).toBe(HOME);
    expect(exchanges[4]?.text).toBe("1*00*1*1");
  });

  it("0 on the first screen stays on the first screen", async () => {
    const { last } = await session().press("0").expectContinue();
    expect(last.body).toBe(HOME);
  });
});
