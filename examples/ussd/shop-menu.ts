/**
 * Example multi-level menu: buy airtime and check a balance.
 *
 *   createShopMenu(deps: ShopMenuDeps): Menu
 *   AIRTIME_AMOUNTS: readonly number[]
 *   isKenyanMobileNumber(input: string): boolean
 *
 *   home ─1─> amount (long list, paginated with 98) ─> recipient (phone number, validated)
 *        │      ─> pin ("Buy KES 50 for 0712345678?", 4-digit PIN) ─> done (END)
 *        ├2─> balance (dynamic: deps.getBalance) ─1─> amount, ─2─> home
 *        └3─> help (END)
 */
import { defineMenu, type Menu, type MenuOption } from "../../functions/engines/ussd/engine";

export interface ShopMenuDeps {
  /** Balance in KES for the caller; called on every request whose path shows the balance screen. */
  readonly getBalance: (phoneNumber: string) => Promise<number>;
  readonly deadlineMs?: number;
  readonly budget?: number;
}

export const AIRTIME_AMOUNTS: readonly number[] = [
  10, 20, 30, 50, 100, 150, 200, 250, 300, 500, 750, 1000, 1500, 2000, 2500, 3000, 5000, 7500,
  10000,
];

const KENYAN_MOBILE = /^(?:\+?254|0)[17]\d{8}$/;

export function isKenyanMobileNumber(input: string): boolean {
  return KENYAN_MOBILE.test(input);
}

const amountOptions: MenuOption[] = AIRTIME_AMOUNTS.map((amount) => ({
  label: `KES ${amount}`,
  next: "recipient",
  value: String(amount),
}));

export function createShopMenu(deps: ShopMenuDeps): Menu {
  return defineMenu({
    root: "home",
    ...(deps.deadlineMs === undefined ? {} : { deadlineMs: deps.deadlineMs }),
    ...(deps.budget === undefined ? {} : { budget: deps.budget }),
    screens: {
      home: {
        type: "menu",
        text: "Welcome to the shop",
        options: [
          { label: "Buy airtime", next: "amount" },
          { label: "Check balance", next: "balance" },
          { label: "Help", next: "help" },
        ],
      },
      amount: { type: "menu", text: "Choose airtime amount", options: amountOptions },
      recipient: {
        type: "prompt",
        text: "Enter phone number (e.g. 0712345678)",
        validate: (input) =>
          isKenyanMobileNumber(input) ? undefined : "Invalid phone number. Use 07XXXXXXXX.",
        next: "pin",
      },
      pin: {
        type: "prompt",
        text: (ctx) =>
          `Buy KES ${ctx.inputs.amount} for ${ctx.inputs.recipient}?\nEnter your 4-digit PIN to confirm`,
        validate: (input) => (/^\d{4}$/.test(input) ? undefined : "PIN must be 4 digits."),
        next: "done",
      },
      done: {
        type: "end",
        text: (ctx) =>
          `Request received: KES ${ctx.inputs.amount} airtime for ${ctx.inputs.recipient}. You will get an SMS.`,
      },
      balance: {
        type: "dynamic",
        resolve: async (ctx) => {
          const balance = await deps.getBalance(ctx.phoneNumber);
          return {
            text: `Your balance is KES ${balance.toFixed(2)}`,
            options: [
              { label: "Buy airtime", next: "amount" },
              { label: "Main menu", next: "home" },
            ],
          };
        },
      },
      help: { type: "end", text: "For help call 0800 000 000 (free)." },
    },
  });
}
