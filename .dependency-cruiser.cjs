/**
 * The import rules of the code (README "Architecture"), checked by `npm run deps` in `npm test`.
 * Layers, top to bottom; each imports only itself and what is below it:
 *   functions/handlers/   composition roots (one per function)
 *   functions/config/     config loaders (the only readers of process.env)
 *   functions/ingest/, functions/record/, functions/reply/, functions/forward/   the stages
 *   functions/events/     the events that flow out: envelope, mapping from records, publisher
 *   functions/table/      storage adapters
 *   functions/engines/    the interactive engines (pure, with ports)
 *   functions/model/, functions/routes.ts   shared vocabulary: callbacks, envelope, record types, reply states
 *   functions/shared/, functions/settings.ts   plumbing and settings
 */
const layer = (path, mayNotImport, comment) => ({
  name: `layer-${path.replace(/[^a-z]+/g, "-").replace(/^-|-$/g, "")}`,
  comment,
  severity: "error",
  from: { path },
  to: { path: mayNotImport },
});

module.exports = {
  forbidden: [
    {
      name: "no-circular",
      comment: "No import cycle between files (and so between folders).",
      severity: "error",
      from: {},
      to: { circular: true },
    },
    layer(
      "^functions/(shared/|settings\\.ts)",
      "^functions/(?!shared/|settings\\.ts)",
      "shared/ and settings.ts are the bottom layer.",
    ),
    layer(
      "^functions/(model/|routes\\.ts)",
      "^functions/(handlers|config|ingest|record|reply|forward|events|table|engines)/",
      "The shared vocabulary sits below every stage, the table and the engines.",
    ),
    layer(
      "^functions/engines/",
      "^functions/(handlers|config|ingest|record|reply|forward|events|table)/",
      "Engines are pure: their ports are implemented by table/.",
    ),
    layer(
      "^functions/table/",
      "^functions/(handlers|config|ingest|record|reply|forward|events)/",
      "The table layer knows no stage.",
    ),
    layer(
      "^functions/events/",
      "^functions/(handlers|config|ingest|record|reply|forward)/",
      "Events are made from stored items; the stages publish them.",
    ),
    layer(
      "^functions/(ingest|record|reply|forward)/",
      "^functions/(handlers|config)/",
      "The stages take their config; they never load it.",
    ),
    layer(
      "^functions/ingest/",
      "^functions/(record|reply)/",
      "The HTTP side never reaches into the workers.",
    ),
    layer(
      "^functions/forward/",
      "^functions/(ingest|record|reply)/",
      "The forwarder stands alone: it reads events, whoever published them.",
    ),
    layer(
      "^functions/reply/",
      "^functions/(record|ingest)/",
      "The replier is below the recorder that feeds it.",
    ),
    layer("^functions/config/", "^functions/handlers/", "Config loaders serve the entries."),
    layer(
      "^functions/",
      "^(local|infra|scripts|test|bench|examples)/",
      "The deployed code depends on nothing outside functions/.",
    ),
    {
      name: "entries-are-roots",
      comment:
        "Entries are composition roots: only the local stack's (local/functions.ts) and the tests call their factories.",
      severity: "error",
      from: { path: "^(functions|infra|local|scripts|bench)/", pathNot: "^local/functions\\.ts$" },
      to: { path: "^functions/handlers/" },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    exclude: { path: "^(node_modules|cdk\\.out|\\.local)/" },
  },
};
