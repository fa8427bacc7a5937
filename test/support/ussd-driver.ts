/**
 * Scripted USSD driver: plays a session against a menu exactly as AT would send it.
 *
 *   dial<S>(menu: Menu<S>, serviceCode: string, options?: DialOptions): UssdScript
 *
 *   await dial(menu, "*123#", { phoneNumber: "+254711000111" })
 *     .expect(/My Account/)        // last answer matches (string = substring)
 *     .press("1")                  // sends text "1", then "1*1", ... (cumulative, `*`-joined)
 *     .press("1")
 *     .expectEnd(/ACC1001/);       // last answer is END and matches
 *
 * Scripts are immutable: every call returns a new script, so a common prefix can be shared by
 * several tests. Nothing is sent until the script is awaited (or `.run()` is called), which
 * resolves to the transcript. Every answer is checked to start with `CON ` or `END `, to fit the
 * menu budget and to carry a valid hop label; any failed check rejects with a UssdScriptError
 * that includes the transcript so far.
 */
import { randomUUID } from "node:crypto";
import { handleUssdRequest, type Menu, type UssdAnswer } from "../../functions/engines/ussd/engine";
import { charLength } from "../../functions/engines/ussd/render";

export interface DialOptions {
  readonly phoneNumber?: string;
  /** Default: a fresh `ATUid_…` id for every run. */
  readonly sessionId?: string;
  readonly networkCode?: string;
  /** Maximum answer length to assert. Default: the menu's budget. */
  readonly budget?: number;
}

export interface UssdExchange {
  /** The `text` field sent. */
  readonly text: string;
  readonly answer: UssdAnswer;
}

export interface UssdTranscript {
  readonly exchanges: readonly UssdExchange[];
  readonly last: UssdAnswer;
}

export class UssdScriptError extends Error {
  constructor(problem: string, exchanges: readonly UssdExchange[]) {
    super(`${problem}\n${formatTranscript(exchanges)}`);
    this.name = "UssdScriptError";
  }
}

type Pattern = RegExp | string;
type Check = (answer: UssdAnswer) => string | undefined;
type ScriptStep =
  | { readonly kind: "press"; readonly input: string }
  | { readonly kind: "check"; readonly check: Check };

const DEFAULT_PHONE_NUMBER = "+254711000111";
const HOP_MAX_LENGTH = 99;

export function dial<S>(
  menu: Menu<S>,
  serviceCode: string,
  options: DialOptions = {},
): UssdScript<S> {
  return new UssdScript(menu, serviceCode, options, []);
}

export class UssdScript<S = unknown> implements PromiseLike<UssdTranscript> {
  constructor(
    private readonly menu: Menu<S>,
    private readonly serviceCode: string,
    private readonly options: DialOptions,
    private readonly steps: readonly ScriptStep[],
  ) {}

  /** Sends `input` as the user's next reply. */
  press(input: string): UssdScript<S> {
    return this.with({ kind: "press", input });
  }

  /** The last answer (CON or END) matches. */
  expect(pattern: Pattern): UssdScript<S> {
    return this.check((answer) =>
      matches(answer.body, pattern)
        ? undefined
        : `expected an answer matching ${describe(pattern)}`,
    );
  }

  /** The last answer is CON (and matches, if a pattern is given). */
  expectContinue(pattern?: Pattern): UssdScript<S> {
    return this.check((answer) =>
      !answer.ended && (pattern === undefined || matches(answer.body, pattern))
        ? undefined
        : `expected CON${pattern === undefined ? "" : ` matching ${describe(pattern)}`}`,
    );
  }

  /** The last answer is END (and matches, if a pattern is given). */
  expectEnd(pattern?: Pattern): UssdScript<S> {
    return this.check((answer) =>
      answer.ended && (pattern === undefined || matches(answer.body, pattern))
        ? undefined
        : `expected END${pattern === undefined ? "" : ` matching ${describe(pattern)}`}`,
    );
  }

  /** The last answer is the deadline apology (END, `timedOut: true`). */
  expectTimedOut(): UssdScript<S> {
    return this.check((answer) =>
      answer.ended && answer.timedOut ? undefined : "expected the deadline to time out",
    );
  }

  /** The last answer's hop label equals `hop`. */
  expectHop(hop: string): UssdScript<S> {
    return this.check((answer) =>
      answer.hop === hop
        ? undefined
        : `expected hop ${JSON.stringify(hop)}, got ${JSON.stringify(answer.hop)}`,
    );
  }

  async run(): Promise<UssdTranscript> {
    const sessionId = this.options.sessionId ?? `ATUid_${randomUUID().replaceAll("-", "")}`;
    const exchanges: UssdExchange[] = [];
    const inputs: string[] = [];
    let last = await this.send(sessionId, inputs, exchanges);
    for (const step of this.steps) {
      if (step.kind === "check") {
        const problem = step.check(last);
        if (problem !== undefined) throw new UssdScriptError(problem, exchanges);
        continue;
      }
      if (last.ended) {
        throw new UssdScriptError(
          `cannot press ${JSON.stringify(step.input)}: the session ended`,
          exchanges,
        );
      }
      inputs.push(step.input);
      last = await this.send(sessionId, inputs, exchanges);
    }
    return { exchanges, last };
  }

  // Lets `await script` run it, like supertest's request builders.
  // biome-ignore lint/suspicious/noThenProperty: the script is deliberately awaitable
  then<R1 = UssdTranscript, R2 = never>(
    onFulfilled?: ((transcript: UssdTranscript) => R1 | PromiseLike<R1>) | null,
    onRejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    return this.run().then(onFulfilled, onRejected);
  }

  private with(step: ScriptStep): UssdScript<S> {
    return new UssdScript(this.menu, this.serviceCode, this.options, [...this.steps, step]);
  }

  private check(check: Check): UssdScript<S> {
    return this.with({ kind: "check", check });
  }

  private async send(
    sessionId: string,
    inputs: readonly string[],
    exchanges: UssdExchange[],
  ): Promise<UssdAnswer> {
    const text = inputs.join("*");
    const answer = await handleUssdRequest(this.menu, {
      sessionId,
      serviceCode: this.serviceCode,
      phoneNumber: this.options.phoneNumber ?? DEFAULT_PHONE_NUMBER,
      ...(this.options.networkCode === undefined ? {} : { networkCode: this.options.networkCode }),
      text,
    });
    exchanges.push({ text, answer });
    const problem = protocolProblem(answer, this.options.budget ?? this.menu.budget);
    if (problem !== undefined) throw new UssdScriptError(problem, exchanges);
    return answer;
  }
}

function protocolProblem(answer: UssdAnswer, budget: number): string | undefined {
  if (!answer.body.startsWith("CON ") && !answer.body.startsWith("END ")) {
    return "answer does not start with 'CON ' or 'END '";
  }
  if (answer.ended !== answer.body.startsWith("END ")) return "`ended` disagrees with the prefix";
  const length = charLength(answer.body);
  if (length > budget) return `answer is ${length} chars, over the ${budget}-char budget`;
  if (answer.hop === "" || answer.hop.includes("|") || charLength(answer.hop) > HOP_MAX_LENGTH) {
    return `invalid hop label ${JSON.stringify(answer.hop)}`;
  }
  return undefined;
}

function matches(body: string, pattern: Pattern): boolean {
  if (typeof pattern === "string") return body.includes(pattern);
  pattern.lastIndex = 0;
  return pattern.test(body);
}

function describe(pattern: Pattern): string {
  return typeof pattern === "string" ? JSON.stringify(pattern) : String(pattern);
}

function formatTranscript(exchanges: readonly UssdExchange[]): string {
  return exchanges
    .map(
      ({ text, answer }) =>
        `  > text=${JSON.stringify(text)}\n  < ${answer.body.replaceAll("\n", "\n    ")}`,
    )
    .join("\n");
}
