/**
 * The figures the project is held to (bench/GOALS.md; docs/performance.md), each measured against the seed's
 * Flask sample in the same run: pipeline throughput on distinct delivery reports (and whether
 * the recorder keeps up), USSD latency at 50 concurrent sessions.
 */
import { cpus, loadavg } from "node:os";
import { basename } from "node:path";
import {
  type Contender,
  type CpuPerCallback,
  cpuAccounting,
  deliveryReportRound,
  findFlask,
  log,
  type RoundResult,
  recordedReports,
  startFlask,
  startFloor,
  startStack,
  ussdRound,
} from "./pipeline";

export interface Goal {
  goal: string;
  target: string;
  measured: string;
  met: boolean;
}

const median = (xs: readonly number[]) =>
  [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
const spread = (xs: readonly number[]) =>
  `${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)}`;

export async function pipelineSection(options: {
  rounds: number;
  requests: number;
  sessions: number;
  /** Another checkout whose `npm start` runs as one more contender (a change's before/after). */
  compareWith?: string | undefined;
}) {
  const since = new Date(Date.now() - 60_000).toISOString();
  const flask = findFlask();
  const contenders: Contender[] = [];
  const started = async (start: () => Promise<Contender>) => {
    const c = await start();
    contenders.push(c);
    log(`${c.name} listening at ${c.url}`);
    return c;
  };
  const machine = { cpus: cpus().length, loadavgAtStart: loadavg()[0] };
  log(`machine: ${machine.cpus} cores, load average ${machine.loadavgAtStart?.toFixed(1)}`);
  try {
    const baseline = "python" in flask ? await started(() => startFlask(flask.python)) : undefined;
    if ("missing" in flask) log(`${flask.missing}: comparing with the goal of 600 req/s instead`);
    const memory = await started(() => startStack("npm start", []));
    const durable = await started(() => startStack("npm start --data-dir", ["--data-dir", "data"]));
    const floor = await started(startFloor);
    const other = options.compareWith
      ? await started(() =>
          startStack(
            `npm start of ${basename(options.compareWith ?? "")}`,
            [],
            options.compareWith,
          ),
        )
      : undefined;

    // Alternating rounds, the order rotated each round, so that a busier moment of a shared
    // machine does not fall on one contender.
    const line = [baseline, memory, durable, floor, other].filter(
      (c): c is Contender => c !== undefined,
    );
    // One unmeasured round each first: a fresh node process runs its first round ~40% slower
    // (JIT), and AT's traffic meets a stack that has long been warm.
    const warmUp: RoundResult[] = [];
    for (const c of line) {
      const r = await deliveryReportRound(c, 0, options.requests);
      warmUp.push(r);
      log(
        `warm-up round (not counted): ${c.name.padEnd(21)} ${r.reqPerSec.toFixed(0).padStart(5)} req/s`,
      );
    }
    const reports: RoundResult[] = [];
    for (let round = 1; round <= options.rounds; round++) {
      const order = line.map((_, i) => line[(i + round - 1) % line.length] as Contender);
      for (const c of order) {
        const r = await deliveryReportRound(c, round, options.requests);
        reports.push(r);
        log(
          `delivery reports round ${round}/${options.rounds}: ${c.name.padEnd(21)} ${r.reqPerSec.toFixed(0).padStart(5)} req/s  p99 ${r.p99Ms.toFixed(0)} ms${r.recordedPerSec === undefined ? "" : `  recorded ${r.recordedPerSec.toFixed(0)}/s, backlog ${r.backlogAtEnd}, drained ${r.drainAfterSec?.toFixed(1)} s later`}${r.cpu ? `  CPU ${r.cpu.process.toFixed(2)} ms/report` : ""}`,
        );
      }
    }
    const ussd: (RoundResult & { wrongAnswers: number })[] = [];
    const ussdLine = [baseline, memory, other].filter((c): c is Contender => c !== undefined);
    for (const c of ussdLine) await ussdRound(c, 0, Math.min(options.sessions, 100));
    // Three rounds at least, so that the median is a middle round, not the worse of two.
    for (let round = 1; round <= Math.max(3, options.rounds); round++) {
      for (const c of round % 2 ? ussdLine : [...ussdLine].reverse()) {
        const r = await ussdRound(c, round, options.sessions);
        ussd.push(r);
        log(
          `USSD round ${round}: ${c.name.padEnd(21)} ${r.requests} hops, p50 ${r.p50Ms.toFixed(0)} ms, p99 ${r.p99Ms.toFixed(0)} ms${r.wrongAnswers ? `, ${r.wrongAnswers} wrong answers` : ""}`,
        );
      }
    }

    // Acknowledged = recorded, per stack, over every round.
    const accounting = [];
    for (const c of [memory, durable, other]) {
      if (!c) continue;
      if (!c.stack) continue;
      const acknowledged = [...warmUp, ...reports]
        .filter((r) => r.contender === c.name)
        .reduce((n, r) => n + r.acknowledged, 0);
      accounting.push({
        contender: c.name,
        acknowledged,
        recorded: await recordedReports(c.stack, since),
      });
    }

    // Ratios per round (each contender against the baseline of the same round).
    const of = (name: string) => reports.filter((r) => r.contender === name);
    const ratios = (name: string) =>
      baseline
        ? of(name).map((r, i) => r.reqPerSec / (of(baseline.name)[i]?.reqPerSec ?? Number.NaN))
        : of(name).map((r) => r.reqPerSec / 600);
    const keepsUp = (name: string) =>
      of(name).map((r) => (r.recordedPerSec ?? 0) / Math.max(1, r.reqPerSec));
    const memoryRatios = ratios(memory.name);
    const floorRatios = ratios(floor.name);
    const durableRatios = ratios(durable.name);
    const ussdP99 = ussd.filter((r) => r.contender === memory.name).map((r) => r.p99Ms);
    const baselineUssdP99 = ussd.filter((r) => r.contender === baseline?.name).map((r) => r.p99Ms);
    const baselineName = baseline ? "the Flask sample" : "600 req/s";
    const goals: Goal[] = [
      {
        goal: `pipeline throughput, distinct delivery reports at 10 concurrent (npm start / ${baselineName})`,
        target: "≥ 1.5×",
        measured: `${median(memoryRatios).toFixed(2)}× (rounds ${spread(memoryRatios)})`,
        met: median(memoryRatios) >= 1.5,
      },
      {
        goal: `the same with --data-dir (journal fsync'd before each 200) / ${baselineName}`,
        target: "≥ 1.5×",
        measured: `${median(durableRatios).toFixed(2)}× (rounds ${spread(durableRatios)})`,
        met: median(durableRatios) >= 1.5,
      },
      {
        goal: "acknowledged = recorded (every round, warm-up included, each stack)",
        target: "equal",
        measured: accounting.map((a) => `${a.acknowledged} = ${a.recorded}`).join(", "),
        met: accounting.every((a) => a.acknowledged === a.recorded),
      },
      {
        goal: "recorder keeps up: records written during a round / callbacks acknowledged",
        target: "≥ 0.95",
        measured: `npm start ${spread(keepsUp(memory.name))}, --data-dir ${spread(keepsUp(durable.name))}`,
        met: [...keepsUp(memory.name), ...keepsUp(durable.name)].every((x) => x >= 0.95),
      },
      {
        goal: "USSD hop p99 at 50 concurrent sessions, no thinking time (npm start)",
        target: "≤ 100 ms",
        measured: `${median(ussdP99).toFixed(0)} ms (rounds ${ussdP99.map((x) => x.toFixed(0)).join(", ")})${baselineUssdP99.length > 0 ? `; the Flask sample in the same rounds: ${median(baselineUssdP99).toFixed(0)} ms` : ""}`,
        met: median(ussdP99) <= 100,
      },
    ];

    console.log("\nGoals (measured in this run; ratios against the baseline of the same round)\n");
    for (const g of goals) {
      console.log(`${g.met ? "met    " : "NOT MET"}  ${g.goal}: ${g.measured} (goal ${g.target})`);
    }
    console.log(
      `\nFloor: a bare node HTTP server answering after one SDK SendMessage to fauxqs on its own thread (bench/floor-server.ts), nothing else: ${median(floorRatios).toFixed(2)}× ${baselineName} (rounds ${spread(floorRatios)}). No design that queues before answering, with real SDK clients over HTTP, does better here.`,
    );
    const cpu = cpuSection(line, reports, baseline, machine.cpus);
    console.log("\nDelivery reports, per contender (medians of the rounds)\n");
    console.log(
      `${"".padEnd(24)}${"req/s".padStart(8)}${"p50 ms".padStart(9)}${"p99 ms".padStart(9)}`,
    );
    for (const c of line) {
      const rs = of(c.name);
      console.log(
        `${c.name.padEnd(24)}${median(rs.map((r) => r.reqPerSec))
          .toFixed(0)
          .padStart(8)}${median(rs.map((r) => r.p50Ms))
          .toFixed(0)
          .padStart(9)}${median(rs.map((r) => r.p99Ms))
          .toFixed(0)
          .padStart(9)}`,
      );
    }
    console.log("\nUSSD hops at 50 concurrent sessions (medians of the rounds)\n");
    for (const c of ussdLine) {
      const rs = ussd.filter((r) => r.contender === c.name);
      console.log(
        `${c.name.padEnd(24)}${median(rs.map((r) => r.reqPerSec))
          .toFixed(0)
          .padStart(
            8,
          )} hops/s  p50 ${median(rs.map((r) => r.p50Ms)).toFixed(0)} ms  p99 ${median(rs.map((r) => r.p99Ms)).toFixed(0)} ms`,
      );
    }
    return {
      machine: { ...machine, loadavgAtEnd: loadavg()[0] },
      baseline: baseline ? "flask" : "600 req/s",
      goals,
      floor: { contender: floor.name, ratios: floorRatios, ratio: median(floorRatios) },
      cpu,
      warmUp,
      deliveryReports: reports,
      ussd,
      accounting,
    };
  } finally {
    await Promise.all(contenders.map((c) => c.stop()));
  }
}

export interface CpuRow extends CpuPerCallback {
  contender: string;
}

/** Medians over the rounds of each contender's CPU per callback, and the budget the goal sets. */
function cpuSection(
  line: Contender[],
  reports: RoundResult[],
  baseline: Contender | undefined,
  cores: number,
) {
  if (!cpuAccounting) {
    console.log("\nCPU accounting: unavailable here (it reads Linux's /proc)");
    return { available: false as const };
  }
  const rows: CpuRow[] = [];
  for (const c of line) {
    const cpus = reports.filter((r) => r.contender === c.name).flatMap((r) => r.cpu ?? []);
    if (cpus.length === 0) continue;
    const names = [...new Set(cpus.flatMap((x) => Object.keys(x.threads)))];
    rows.push({
      contender: c.name,
      process: median(cpus.map((x) => x.process)),
      threads: Object.fromEntries(
        names.map((n) => [n, median(cpus.map((x) => x.threads[n] ?? Number.NaN))]),
      ),
      loadGenerator: median(cpus.map((x) => x.loadGenerator)),
    });
  }
  const baselineRate = baseline
    ? median(reports.filter((r) => r.contender === baseline.name).map((r) => r.reqPerSec))
    : 600;
  const loadGenerator = median(reports.flatMap((r) => r.cpu?.loadGenerator ?? []));
  // At 1.5× the baseline's rate, every core busy: what one report may cost, all processes
  // together; the load generator (this process) runs on the same cores.
  const whole = (cores * 1000) / (1.5 * baselineRate);
  const budget = {
    cores,
    baselineReqPerSec: baselineRate,
    wholeMachineMsPerReport: whole,
    loadGeneratorMsPerReport: loadGenerator,
    contenderMsPerReport: whole - loadGenerator,
  };
  const ms = (x: number) => x.toFixed(2);
  console.log(
    `\nCPU budget the throughput goal implies here: ${cores} cores × 1000 ms / (1.5 × ${baselineRate.toFixed(0)} req/s) = ${ms(whole)} ms per report for everything, minus the load generator's ${ms(loadGenerator)} ms = ${ms(budget.contenderMsPerReport)} ms for the contender`,
  );
  for (const row of rows) {
    const threads = Object.entries(row.threads)
      .map(([n, x]) => `${n} ${ms(x)}`)
      .join(", ");
    console.log(
      `  ${row.contender.padEnd(22)} spends ${ms(row.process)} ms (${(row.process / budget.contenderMsPerReport).toFixed(1)}× the budget)${threads ? `: ${threads}` : ""}`,
    );
  }
  // The helper threads last, after the threads named by what they run.
  const names = [...new Set(rows.flatMap((r) => Object.keys(r.threads)))].sort(
    (a, b) => Number(a === "other") - Number(b === "other"),
  );
  console.log(
    "\nCPU ms per delivery report (the contender's process from a round's first request until its queue was empty, / callbacks acknowledged; medians of the rounds)\n",
  );
  const cell = (x: number | undefined) => (x === undefined ? "" : ms(x)).padStart(10);
  console.log(
    `${"".padEnd(24)}${"process".padStart(10)}${names.map((n) => n.padStart(10)).join("")}${"load gen.".padStart(11)}`,
  );
  for (const row of rows) {
    console.log(
      `${row.contender.padEnd(24)}${cell(row.process)}${names.map((n) => cell(row.threads[n])).join("")} ${cell(row.loadGenerator)}`,
    );
  }
  return { available: true as const, perReport: rows, budget };
}
