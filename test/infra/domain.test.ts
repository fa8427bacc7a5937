import { describe, expect, it } from "vitest";
import { readConfig } from "../../infra/config";
import { synthStack } from "./synth";

/**
 * With a custom domain the 11 URLs pasted into AT's dashboard name the domain, not the API:
 * an API that CloudFormation replaces gets a new mapping and the URLs keep working.
 */
const CERTIFICATE =
  "arn:aws:acm:eu-west-1:123456789012:certificate/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b";

type Resource = { Type: string; Properties: Record<string, unknown> };
function synth(context: Record<string, string>) {
  const { template, stack } = synthStack({ context });
  const json = template.toJSON() as {
    Resources: Record<string, Resource>;
    Outputs: Record<string, { Value: unknown }>;
  };
  const ofType = (type: string) => Object.values(json.Resources).filter((r) => r.Type === type);
  return { template, stack, json, ofType };
}

// Synthesized once at load, as the other template tests do (no per-test time limit on a busy machine).
const withCertificate = synth({ domainName: "callbacks.example.com", certificateArn: CERTIFICATE });
const withZone = synth({
  domainName: "callbacks.example.com",
  hostedZoneId: "Z0123456789ABCDEFGHIJ",
});

describe("a custom domain", () => {
  it("with a certificate: the URLs name the domain, and DomainTarget says where DNS points", () => {
    const { json, ofType, stack } = withCertificate;
    expect(json.Outputs.SmsTwowayUrl?.Value).toBe(
      "https://callbacks.example.com/api/sms/twoway?key=<callback-key>",
    );
    const urlOutputs = Object.entries(json.Outputs).filter(([k]) => k.endsWith("Url"));
    expect(urlOutputs.length).toBeGreaterThanOrEqual(11);
    // Nothing of the API in them: a replaced API changes no URL.
    const apiId = stack.resolve(stack.api.api.apiId);
    for (const [name, output] of urlOutputs) {
      expect(JSON.stringify(output.Value), name).not.toContain(JSON.stringify(apiId));
    }
    const [domain] = ofType("AWS::ApiGatewayV2::DomainName");
    expect(domain?.Properties).toMatchObject({
      DomainName: "callbacks.example.com",
      DomainNameConfigurations: [{ CertificateArn: CERTIFICATE, EndpointType: "REGIONAL" }],
    });
    const [mapping] = ofType("AWS::ApiGatewayV2::ApiMapping");
    expect(mapping?.Properties.ApiId).toEqual(apiId);
    expect(mapping?.Properties.Stage).toEqual(stack.resolve(stack.api.stage.stageName));
    expect(json.Outputs.DomainTarget).toBeDefined();
    expect(ofType("AWS::Route53::RecordSet")).toHaveLength(0);
    expect(ofType("AWS::CertificateManager::Certificate")).toHaveLength(0);
  });

  it("with a hosted zone: the stack validates a certificate and adds the alias record", () => {
    const { json, ofType } = withZone;
    expect(json.Outputs.UssdSessionUrl?.Value).toBe(
      "https://callbacks.example.com/api/ussd/session?key=<callback-key>",
    );
    const [certificate] = ofType("AWS::CertificateManager::Certificate");
    expect(certificate?.Properties).toMatchObject({
      DomainName: "callbacks.example.com",
      ValidationMethod: "DNS",
      DomainValidationOptions: [
        { DomainName: "callbacks.example.com", HostedZoneId: "Z0123456789ABCDEFGHIJ" },
      ],
    });
    const [record] = ofType("AWS::Route53::RecordSet");
    expect(record?.Properties).toMatchObject({
      Name: "callbacks.example.com.",
      Type: "A",
      HostedZoneId: "Z0123456789ABCDEFGHIJ",
    });
    expect(json.Outputs.DomainTarget).toBeUndefined();
  });

  it("is refused at synth when incomplete or malformed, naming the option", () => {
    const read = (context: Record<string, string>) =>
      readConfig((key) => ({ alarmEmail: "none", ...context })[key]);
    expect(() => read({ domainName: "callbacks.example.com" })).toThrow(
      /domainName needs certificateArn .* or hostedZoneId/,
    );
    expect(() => read({ certificateArn: CERTIFICATE })).toThrow(
      /certificateArn is only used with domainName/,
    );
    expect(() => read({ domainName: "not a domain", certificateArn: CERTIFICATE })).toThrow(
      /domainName "not a domain" is not a domain name/,
    );
    expect(() =>
      read({
        domainName: "callbacks.example.com",
        hostedZoneId: "Z0123456789ABCDEFGHIJ",
        hostedZoneName: "example.org",
      }),
    ).toThrow(/not in hosted zone example.org/);
    expect(read({}).domain).toBeUndefined();
  });
});
