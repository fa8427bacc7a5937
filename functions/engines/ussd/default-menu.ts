/**
 * The original demo menu, rebuilt on the engine (texts identical to the seed minus trailing spaces).
 *
 *   defaultMenu: Menu                                   // ready to pass to handleUssdRequest
 *   createDefaultMenu(options?: { accountNumber?: string; deadlineMs?: number }): Menu
 *
 *   ""    -> CON What would you want to check / 1. My Account / 2. My phone number
 *   "1"   -> CON Choose account information you want to view / 1. Account number
 *   "1*1" -> END Your account number is ACC1001
 *   "2"   -> END Your phone number is <phoneNumber>
 */
import { defineMenu, type Menu } from "./engine";

export interface DefaultMenuOptions {
  readonly accountNumber?: string;
  readonly deadlineMs?: number;
}

export function createDefaultMenu(options: DefaultMenuOptions = {}): Menu {
  const accountNumber = options.accountNumber ?? "ACC1001";
  return defineMenu({
    root: "home",
    ...(options.deadlineMs === undefined ? {} : { deadlineMs: options.deadlineMs }),
    screens: {
      home: {
        type: "menu",
        text: "What would you want to check",
        options: [
          { label: "My Account", next: "account" },
          { label: "My phone number", next: "phoneNumber" },
        ],
      },
      account: {
        type: "menu",
        text: "Choose account information you want to view",
        options: [{ label: "Account number", next: "accountNumber" }],
      },
      accountNumber: { type: "end", text: `Your account number is ${accountNumber}` },
      phoneNumber: { type: "end", text: (ctx) => `Your phone number is ${ctx.phoneNumber}` },
    },
  });
}

export const defaultMenu: Menu = createDefaultMenu();
