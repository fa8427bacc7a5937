/**
 * USSD menu engine: menus declared as data, answered statelessly from AT's `text` path.
 *
 *   defineMenu<S>(definition: MenuDefinition<S>): Menu<S>     // throws MenuDefinitionError (all problems)
 *   checkMenu<S>(definition: MenuDefinition<S>): string[]     // same checks, returned instead of thrown
 *   handleUssdRequest<S>(menu: Menu<S>, request: UssdRequest): Promise<UssdAnswer>   // never throws
 *   navigationPath(text: string, keys: NavigationKeys): string[]
 *
 * Screens: `menu` (numbered options, each going to a screen id), `prompt` (free text, `validate`
 * returns an error message or undefined, then `next`), `dynamic` (async `resolve(ctx)` returns text
 * and options; no options ends the session) and `end` (text or `(ctx) => text`).
 *
 * Each request replays the whole `*`-joined path from `root`, after applying `0` = back (drop it
 * and the previous input) and `00` = main menu (drop everything up to and including it). Invalid
 * input re-shows the screen with an error and `CON`. Option lists longer than the budget (default
 * 160 chars including `CON `) are paginated with `98. More`. Dynamic resolvers on the path run on
 * every request, so they should be cheap or cached; all of a request's work shares one deadline
 * (default 3000 ms), after which the answer is `END Sorry, please try again.` with `timedOut: true`.
 *
 * Use `answer.body` as the text/plain response and `answer.hop` as the `at-ussd-hop-metadata` header.
 */
import { withDeadline } from "../../shared/deadline";
import { nonGsm7Characters } from "./gsm7";
import {
  CONTINUE,
  charLength,
  END,
  fitToBudget,
  hopLabel,
  joinLines,
  optionLine,
  type Page,
  paginate,
} from "./render";
import type { SessionStore } from "./session-store";

export { InMemorySessionStore, type SessionStore } from "./session-store";

export interface UssdRequest {
  readonly sessionId: string;
  readonly serviceCode: string;
  readonly phoneNumber: string;
  readonly networkCode?: string;
  /** All inputs so far joined with `*`; empty (or absent) on the first request. */
  readonly text?: string;
  /** The request's deadline, passed on to the session store's calls. */
  readonly signal?: AbortSignal;
}

export interface UssdContext<S = unknown> {
  readonly phoneNumber: string;
  readonly sessionId: string;
  readonly serviceCode: string;
  readonly networkCode: string | undefined;
  /** Accepted inputs keyed by the screen they answered (an option's `value` if it has one). */
  readonly inputs: Readonly<Record<string, string>>;
  /** Session state, only when the menu opts in with `session`. */
  readonly state: S | undefined;
  /** Replaces the session state; saved when the request completes. Requires `session`. */
  setState(state: S): void;
}

export interface MenuOption {
  readonly label: string;
  /** Screen id to go to. */
  readonly next: string;
  /** Recorded in `ctx.inputs` instead of the option number. */
  readonly value?: string;
}

export interface MenuScreen {
  readonly type: "menu";
  readonly text: string;
  readonly options: readonly MenuOption[];
}

export interface PromptScreen<S = unknown> {
  readonly type: "prompt";
  readonly text: string | ((ctx: UssdContext<S>) => string);
  /** Returns an error message to show, or undefined when the input is acceptable. */
  readonly validate?: (input: string, ctx: UssdContext<S>) => string | undefined;
  readonly next: string | ((input: string, ctx: UssdContext<S>) => string);
}

export interface DynamicContent {
  readonly text: string;
  /** No options: the screen ends the session. */
  readonly options: readonly MenuOption[];
}

export interface DynamicScreen<S = unknown> {
  readonly type: "dynamic";
  readonly resolve: (ctx: UssdContext<S>) => Promise<DynamicContent>;
}

export interface EndScreen<S = unknown> {
  readonly type: "end";
  readonly text: string | ((ctx: UssdContext<S>) => string | Promise<string>);
}

export type Screen<S = unknown> = MenuScreen | PromptScreen<S> | DynamicScreen<S> | EndScreen<S>;

export interface NavigationKeys {
  readonly back: string;
  readonly home: string;
  readonly more: string;
}

export interface MenuMessages {
  readonly invalidChoice: string;
  readonly more: string;
  readonly timeout: string;
  readonly error: string;
}

export interface SessionOptions<S> {
  readonly store: SessionStore<S>;
  readonly ttlSeconds: number;
}

export interface MenuDefinition<S = unknown> {
  readonly root: string;
  readonly screens: Readonly<Record<string, Screen<S>>>;
  /** Maximum answer length including the `CON `/`END ` prefix. Default 160. */
  readonly budget?: number;
  /** Time allowed for all resolvers and session IO of one request. Default 3000 ms. */
  readonly deadlineMs?: number;
  readonly keys?: Partial<NavigationKeys>;
  readonly messages?: Partial<MenuMessages>;
  /** Opt-in session state, loaded before and saved after each request. */
  readonly session?: SessionOptions<S>;
}

export interface Menu<S = unknown> {
  readonly root: string;
  readonly screens: Readonly<Record<string, Screen<S>>>;
  readonly budget: number;
  readonly deadlineMs: number;
  readonly keys: NavigationKeys;
  readonly messages: MenuMessages;
  readonly session: SessionOptions<S> | undefined;
}

export interface UssdAnswer {
  /** Response body; starts with `CON ` or `END ` and fits the menu budget. */
  readonly body: string;
  /** Value for the `at-ussd-hop-metadata` header (≤ 99 chars, no `|`). */
  readonly hop: string;
  readonly ended: boolean;
  /** The deadline passed before the answer was ready. */
  readonly timedOut: boolean;
  /** The screen reached (for a failure: the screen being loaded when it failed). */
  readonly screenId: string;
  /** Set when a resolver, validator or session store threw. */
  readonly error?: Error;
}

export class MenuDefinitionError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid USSD menu:\n- ${problems.join("\n- ")}`);
    this.name = "MenuDefinitionError";
  }
}

export const DEFAULT_BUDGET = 160;
export const DEFAULT_DEADLINE_MS = 3000;
export const DEFAULT_KEYS: NavigationKeys = { back: "0", home: "00", more: "98" };
export const DEFAULT_MESSAGES: MenuMessages = {
  invalidChoice: "Invalid choice.",
  more: "More",
  timeout: "Sorry, please try again.",
  error: "Sorry, something went wrong. Please try again later.",
};

const TIMED_OUT = Symbol("timed out");

export function defineMenu<S = unknown>(definition: MenuDefinition<S>): Menu<S> {
  const menu = withDefaults(definition);
  const problems = menuProblems(menu);
  if (problems.length > 0) throw new MenuDefinitionError(problems);
  return menu;
}

export function checkMenu<S = unknown>(definition: MenuDefinition<S>): string[] {
  return menuProblems(withDefaults(definition));
}

/** Splits AT's `text` and applies the back and main-menu keys. */
export function navigationPath(text: string, keys: NavigationKeys): string[] {
  if (text === "") return [];
  const path: string[] = [];
  for (const rawInput of text.split("*")) {
    const input = rawInput.trim();
    if (input === keys.home) path.length = 0;
    else if (input === keys.back) path.pop();
    else path.push(input);
  }
  return path;
}

export async function handleUssdRequest<S>(
  menu: Menu<S>,
  request: UssdRequest,
): Promise<UssdAnswer> {
  const progress = { screenId: menu.root };
  try {
    const answer = await withDeadline(replay(menu, request, progress), menu.deadlineMs, TIMED_OUT);
    if (answer === TIMED_OUT) return apology(menu, progress.screenId, "timeout");
    return answer;
  } catch (error) {
    return apology(menu, progress.screenId, "error", toError(error));
  }
}

// ---------------------------------------------------------------------------------------------
// Definition

function withDefaults<S>(definition: MenuDefinition<S>): Menu<S> {
  return Object.freeze({
    root: definition.root,
    screens: definition.screens,
    budget: definition.budget ?? DEFAULT_BUDGET,
    deadlineMs: definition.deadlineMs ?? DEFAULT_DEADLINE_MS,
    keys: { ...DEFAULT_KEYS, ...definition.keys },
    messages: { ...DEFAULT_MESSAGES, ...definition.messages },
    session: definition.session,
  });
}

function menuProblems<S>(menu: Menu<S>): string[] {
  const problems: string[] = [];
  if (!Number.isInteger(menu.budget) || menu.budget <= CONTINUE.length) {
    problems.push(`budget must be an integer above ${CONTINUE.length}, got ${menu.budget}`);
  }
  if (!(menu.deadlineMs > 0)) problems.push(`deadlineMs must be positive, got ${menu.deadlineMs}`);
  if (menu.screens[menu.root] === undefined)
    problems.push(`root screen "${menu.root}" is not defined`);
  problems.push(...keyProblems(menu.keys));
  for (const [name, message] of Object.entries(menu.messages)) {
    problems.push(...textProblems(`message "${name}"`, message, END, menu.budget));
  }
  for (const [id, screen] of Object.entries(menu.screens)) {
    problems.push(...screenProblems(menu, id, screen));
  }
  return problems;
}

function keyProblems(keys: NavigationKeys): string[] {
  const values = [keys.back, keys.home, keys.more];
  const problems = values
    .filter((key) => key.trim() === "" || key.includes("*"))
    .map((key) => `navigation key "${key}" must be non-empty and must not contain "*"`);
  if (new Set(values).size !== values.length) problems.push("navigation keys must be distinct");
  return problems;
}

function screenProblems<S>(menu: Menu<S>, id: string, screen: Screen<S>): string[] {
  const where = `screen "${id}"`;
  const missing = (next: string) =>
    menu.screens[next] === undefined ? [`${where}: next screen "${next}" is not defined`] : [];
  switch (screen.type) {
    case "menu":
      return [
        ...menuScreenProblems(menu, where, screen),
        ...screen.options.flatMap((option) => missing(option.next)),
      ];
    case "prompt":
      return [
        ...(typeof screen.text === "string"
          ? textProblems(where, screen.text, CONTINUE, menu.budget)
          : []),
        ...(typeof screen.next === "string" ? missing(screen.next) : []),
      ];
    case "end":
      return typeof screen.text === "string"
        ? textProblems(where, screen.text, END, menu.budget)
        : [];
    case "dynamic":
      return [];
  }
}

function menuScreenProblems<S>(menu: Menu<S>, where: string, screen: MenuScreen): string[] {
  if (screen.options.length === 0) return [`${where}: a menu needs at least one option`];
  const problems = [
    ...gsmProblems(where, screen.text),
    ...screen.options.flatMap((option) =>
      gsmProblems(`${where} option "${option.label}"`, option.label),
    ),
  ];
  const keys = Object.values(menu.keys);
  const clash = screen.options.findIndex((_, index) => keys.includes(String(index + 1)));
  if (clash >= 0) {
    problems.push(`${where}: option number ${clash + 1} clashes with a navigation key`);
  }
  const capacity = menu.budget - CONTINUE.length;
  const lines = screen.options.map((option, index) => optionLine(index, option.label));
  const moreLine = moreLineOf(menu);
  if (charLength(joinLines([screen.text, ...lines])) > capacity) {
    for (const line of lines) {
      if (charLength(joinLines([screen.text, line, moreLine])) > capacity) {
        problems.push(
          `${where}: option "${line}" does not fit ${menu.budget} chars with the title`,
        );
      }
    }
  }
  return problems;
}

function textProblems(where: string, text: string, prefix: string, budget: number): string[] {
  const problems = gsmProblems(where, text);
  const length = charLength(prefix + text);
  if (length > budget) problems.push(`${where}: ${length} chars exceed the ${budget}-char budget`);
  return problems;
}

function gsmProblems(where: string, text: string): string[] {
  const invalid = nonGsm7Characters(text);
  if (invalid.length === 0) return [];
  const listed = invalid.map((char) => JSON.stringify(char)).join(", ");
  return [`${where}: non-GSM-7 characters ${listed} in ${JSON.stringify(text)}`];
}

// ---------------------------------------------------------------------------------------------
// Answering

type LoadedScreen<S> =
  | { readonly kind: "options"; readonly text: string; readonly options: readonly MenuOption[] }
  | { readonly kind: "prompt"; readonly text: string; readonly screen: PromptScreen<S> }
  | { readonly kind: "end"; readonly text: string };

type Step =
  | { readonly kind: "advance"; readonly next: string; readonly value: string }
  | { readonly kind: "nextPage" }
  | { readonly kind: "invalid"; readonly message: string };

interface StateBox<S> {
  value: S | undefined;
  changed: boolean;
}

async function replay<S>(
  menu: Menu<S>,
  request: UssdRequest,
  progress: { screenId: string },
): Promise<UssdAnswer> {
  const box: StateBox<S> = {
    value: menu.session
      ? await menu.session.store.get(request.sessionId, request.signal)
      : undefined,
    changed: false,
  };
  const inputs: Record<string, string> = {};
  const context = () => contextFor(menu, request, inputs, box);

  let screenId = menu.root;
  let loaded = await loadScreen(menu, screenId, context());
  let page = 0;
  let error: string | undefined;

  for (const input of navigationPath(request.text ?? "", menu.keys)) {
    if (loaded.kind === "end") break;
    const step =
      loaded.kind === "options"
        ? optionStep(menu, loaded.text, loaded.options, page, input)
        : promptStep(loaded.screen, input, context());
    if (step.kind === "invalid") {
      error = step.message;
      continue;
    }
    error = undefined;
    if (step.kind === "nextPage") {
      page += 1;
      continue;
    }
    inputs[screenId] = step.value;
    screenId = step.next;
    progress.screenId = screenId;
    page = 0;
    loaded = await loadScreen(menu, screenId, context());
  }

  const body = render(menu, loaded, page, error);
  if (menu.session && box.changed && box.value !== undefined) {
    await menu.session.store.put(
      request.sessionId,
      box.value,
      menu.session.ttlSeconds,
      request.signal,
    );
  }
  return {
    body,
    hop: hopLabel(screenId),
    ended: body.startsWith(END),
    timedOut: false,
    screenId,
  };
}

function contextFor<S>(
  menu: Menu<S>,
  request: UssdRequest,
  inputs: Record<string, string>,
  box: StateBox<S>,
): UssdContext<S> {
  return {
    phoneNumber: request.phoneNumber,
    sessionId: request.sessionId,
    serviceCode: request.serviceCode,
    networkCode: request.networkCode,
    inputs: { ...inputs },
    state: box.value,
    setState(state: S) {
      if (!menu.session) throw new Error("setState needs the menu's `session` option");
      box.value = state;
      box.changed = true;
    },
  };
}

async function loadScreen<S>(
  menu: Menu<S>,
  screenId: string,
  ctx: UssdContext<S>,
): Promise<LoadedScreen<S>> {
  const screen = menu.screens[screenId];
  if (screen === undefined) throw new Error(`USSD screen "${screenId}" is not defined`);
  switch (screen.type) {
    case "menu":
      return { kind: "options", text: screen.text, options: screen.options };
    case "dynamic": {
      const content = await screen.resolve(ctx);
      return content.options.length === 0
        ? { kind: "end", text: content.text }
        : { kind: "options", text: content.text, options: content.options };
    }
    case "prompt":
      return {
        kind: "prompt",
        text: typeof screen.text === "string" ? screen.text : screen.text(ctx),
        screen,
      };
    case "end":
      return {
        kind: "end",
        text: typeof screen.text === "string" ? screen.text : await screen.text(ctx),
      };
  }
}

function pagesOf<S>(menu: Menu<S>, text: string, options: readonly MenuOption[]): Page[] {
  const lines = options.map((option, index) => optionLine(index, option.label));
  return paginate(text, lines, menu.budget - CONTINUE.length, moreLineOf(menu));
}

function moreLineOf<S>(menu: Menu<S>): string {
  return `${menu.keys.more}. ${menu.messages.more}`;
}

function optionStep<S>(
  menu: Menu<S>,
  text: string,
  options: readonly MenuOption[],
  page: number,
  input: string,
): Step {
  if (input === menu.keys.more && page < pagesOf(menu, text, options).length - 1) {
    return { kind: "nextPage" };
  }
  const chosen = /^\d+$/.test(input) ? options[Number(input) - 1] : undefined;
  if (chosen === undefined) return { kind: "invalid", message: menu.messages.invalidChoice };
  return { kind: "advance", next: chosen.next, value: chosen.value ?? input };
}

function promptStep<S>(screen: PromptScreen<S>, input: string, ctx: UssdContext<S>): Step {
  const message = screen.validate?.(input, ctx);
  if (message !== undefined) return { kind: "invalid", message };
  const next = typeof screen.next === "string" ? screen.next : screen.next(input, ctx);
  return { kind: "advance", next, value: input };
}

function render<S>(
  menu: Menu<S>,
  loaded: LoadedScreen<S>,
  page: number,
  error: string | undefined,
): string {
  switch (loaded.kind) {
    case "end":
      return fitToBudget(END + loaded.text, menu.budget);
    case "prompt":
      return fitToBudget(CONTINUE + joinLines([error, loaded.text]), menu.budget);
    case "options":
      return fitToBudget(CONTINUE + optionsBody(menu, loaded, page, error), menu.budget);
  }
}

function optionsBody<S>(
  menu: Menu<S>,
  loaded: { readonly text: string; readonly options: readonly MenuOption[] },
  page: number,
  error: string | undefined,
): string {
  const pages = pagesOf(menu, loaded.text, loaded.options);
  const current = pages[page] ?? { start: 0, end: loaded.options.length };
  const lines = loaded.options
    .slice(current.start, current.end)
    .map((option, offset) => optionLine(current.start + offset, option.label));
  if (page < pages.length - 1) lines.push(moreLineOf(menu));
  const withTitle = joinLines([error, loaded.text, ...lines]);
  // Pages are sized without the error line; if both do not fit, the options matter more than the title.
  return error !== undefined && charLength(withTitle) > menu.budget - CONTINUE.length
    ? joinLines([error, ...lines])
    : withTitle;
}

function apology<S>(
  menu: Menu<S>,
  screenId: string,
  kind: "timeout" | "error",
  error?: Error,
): UssdAnswer {
  const message = kind === "timeout" ? menu.messages.timeout : menu.messages.error;
  return {
    body: fitToBudget(END + message, menu.budget),
    hop: hopLabel(`${screenId}!${kind}`),
    ended: true,
    timedOut: kind === "timeout",
    screenId,
    ...(error ? { error } : {}),
  };
}

function toError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
