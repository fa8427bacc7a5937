/**
 * Tells a second Ctrl-C from the copies of the first. A terminal sends one ^C as SIGINT to the
 * whole foreground process group, so the script gets it from the terminal and again from npm,
 * which relays the signals it gets to its child (and from tsx too, when tsx runs the script in a
 * process of its own). On a busy machine the copies arrive up to a second or so apart. A signal
 * counts as a new Ctrl-C only when none came in the `quietMs` before it: each copy restarts the
 * wait, so a person's second Ctrl-C, a second or more after the last, still stops at once.
 */
export type Interrupt = "first" | "copy" | "again";

export function interruptCounter(quietMs = 1_000, now: () => number = () => performance.now()) {
  let last: number | undefined;
  return (): Interrupt => {
    const at = now();
    const previous = last;
    last = at;
    if (previous === undefined) return "first";
    return at - previous >= quietMs ? "again" : "copy";
  };
}
