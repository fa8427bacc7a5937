import "./quiet-sdk";
import { runCommand } from "./commands/command";
import { DLQ_USAGE, dlq } from "./commands/dlq";

await runCommand("dlq", DLQ_USAGE, (argv) => dlq(argv, (line) => console.log(line)));
