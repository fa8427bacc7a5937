import "./quiet-sdk";
import { runCommand } from "./commands/command";
import { SUPPRESSIONS_USAGE, suppressions } from "./commands/suppressions";
import { resolveTable } from "./local-state";

await runCommand("suppressions", SUPPRESSIONS_USAGE, (argv) =>
  suppressions(argv, (line) => console.log(line), resolveTable),
);
