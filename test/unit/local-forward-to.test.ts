import { describe, expect, it } from "vitest";
import { localForwardEndpoints } from "../../local/forwarding";
import { localForwardTo } from "../../scripts/local-config";

const endpoints = (values: string[]) =>
  localForwardEndpoints({ FORWARD_TO: localForwardTo(values) });

describe("npm start --forward-to", () => {
  it("names bare URLs local, local-2, …, for every event", () => {
    expect(endpoints(["http://localhost:8000/hook", "http://127.0.0.1:9001/?a=b"])).toEqual([
      { name: "local", url: "http://localhost:8000/hook", types: undefined },
      { name: "local-2", url: "http://127.0.0.1:9001/?a=b", types: undefined },
    ]);
  });

  it("takes a named endpoint with a type filter as a stage's forwardTo does", () => {
    expect(
      endpoints([
        "http://localhost:8000/all",
        "crm[sms.incoming,sms.delivery]=http://localhost:8001/",
      ]),
    ).toEqual([
      { name: "local", url: "http://localhost:8000/all", types: undefined },
      { name: "crm", url: "http://localhost:8001/", types: ["sms.incoming", "sms.delivery"] },
    ]);
  });

  it("numbers bare URLs among themselves, so a named endpoint never moves them to another queue", () => {
    expect(
      endpoints([
        "crm=http://localhost:8001/",
        "http://localhost:8000/a",
        "http://localhost:8000/b",
      ]).map((e) => e.name),
    ).toEqual(["crm", "local", "local-2"]);
  });

  it("refuses an unknown event type, naming it and the types there are", () => {
    expect(() => endpoints(["crm[sms.incomming]=http://localhost:8001/"])).toThrow(
      /endpoint crm: unknown event type "sms\.incomming" \(one of .*sms\.incoming/,
    );
  });

  it("refuses a name given twice", () => {
    expect(() => endpoints(["http://localhost:8000/a", "local=http://localhost:8000/b"])).toThrow(
      /endpoint name "local" is used twice/,
    );
  });
});
