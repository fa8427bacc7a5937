import { describe, expect, it } from "vitest";
import { interruptCounter } from "../../scripts/interrupts";

describe("one Ctrl-C, however many copies of it arrive", () => {
  it("takes copies that keep coming less than a second apart as the first", () => {
    let now = 0;
    const interrupt = interruptCounter(1_000, () => now);
    expect(interrupt()).toBe("first");
    for (const at of [5, 400, 1_200, 1_900]) {
      now = at;
      expect(interrupt()).toBe("copy");
    }
    now = 3_000;
    expect(interrupt()).toBe("again");
    now = 3_050;
    expect(interrupt()).toBe("copy");
  });
});
