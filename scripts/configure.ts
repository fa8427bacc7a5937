import { readFileSync, writeFileSync } from "node:fs";
import { createInterface } from "node:readline/promises";
import { cli } from "./cli";
import { savedSettings, withStageSaved } from "./stage-settings";

const USAGE = `Usage: npm run configure -- --stage S [--set option=value ...] [--cdk-json FILE]
Saves a stage's deployment settings in cdk.json (context.stages.<S>), checked as cdk synth
checks them, so that \`npx cdk deploy\`, \`npx cdk diff\` and \`npx cdk destroy\` of that stage need
no -c options (a -c option still wins for one run). Without --set it asks for the usual ones;
--set takes any context option of docs/deploy.md (e.g. --set alarmEmail=ops@example.com).`;

const { values, fail, orFail } = cli(USAGE, {
  stage: { type: "string" },
  set: { type: "string", multiple: true },
  "cdk-json": { type: "string", default: "cdk.json" },
  help: { type: "boolean", default: false },
});
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const stage = values.stage ?? fail("--stage is required (e.g. --stage prod)");
const file = values["cdk-json"];
const text = orFail(() => readFileSync(file, "utf8"));
const settings = { ...savedSettings(text, stage) };

if (values.set?.length) {
  for (const pair of values.set) {
    const at = pair.indexOf("=");
    if (at < 1) fail(`--set takes option=value, not ${pair}`);
    settings[pair.slice(0, at)] = pair.slice(at + 1);
  }
} else {
  if (!process.stdin.isTTY)
    fail("nothing to save: pass --set option=value, or run it in a terminal");
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  const ask = async (option: string, question: string, fallback = "") => {
    const current = settings[option] === undefined ? fallback : String(settings[option]);
    const answer = (await rl.question(`${question}${current ? ` [${current}]` : ""}: `)).trim();
    const value = answer === "" ? current : answer;
    if (value === "") delete settings[option];
    else settings[option] = value;
  };
  console.log(`Settings of stage ${stage} (Enter keeps the value in brackets).`);
  await ask(
    "destroyable",
    "Delete the table and secrets with the stack (true for dev stages only)",
    "false",
  );
  await ask("alarmEmail", "E-mail for the alarms (none: you subscribe the alarm topic yourself)");
  await ask("smsReplyTemplate", "Automatic SMS reply, {text} is the message (empty: no reply)");
  await ask("atShortcode", "Sender of the replies, your shortcode (empty: the one written to)");
  rl.close();
}

writeFileSync(file, `${orFail(() => withStageSaved(text, stage, settings))}\n`);
console.log(`Saved stage ${stage} in ${file}:`);
for (const [option, value] of Object.entries(settings)) console.log(`  ${option} = ${value}`);
const selector = stage === "prod" ? "" : ` -c stageName=${stage}`;
console.log(
  `\nNow: npx cdk deploy${selector}   (and npx cdk diff${selector}, npx cdk destroy${selector})`,
);
