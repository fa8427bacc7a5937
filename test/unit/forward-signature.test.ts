import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import {
  generateSigningSecret,
  parseSigningSecrets,
  signDelivery,
} from "../../functions/forward/signature";

const body = JSON.stringify({ id: "evt_1", type: "sms.incoming", data: { text: "Habari 👋" } });
const now = () => Math.floor(Date.now() / 1000);

describe("delivery signatures, checked with the standardwebhooks package", () => {
  it("verifies a delivery signed with a generated secret", () => {
    const secret = generateSigningSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    const headers = signDelivery(parseSigningSecrets(secret), "evt_1", now(), body);
    expect(new Webhook(secret).verify(body, { ...headers })).toEqual(JSON.parse(body));
  });

  it("is refused for a tampered body, another secret or a stale timestamp", () => {
    const secret = generateSigningSecret();
    const keys = parseSigningSecrets(secret);
    const headers = signDelivery(keys, "evt_1", now(), body);
    expect(() => new Webhook(secret).verify(`${body} `, { ...headers })).toThrow();
    expect(() => new Webhook(generateSigningSecret()).verify(body, { ...headers })).toThrow();
    const stale = signDelivery(keys, "evt_1", now() - 6 * 60, body);
    expect(() => new Webhook(secret).verify(body, { ...stale })).toThrow(/timestamp/i);
  });

  it("signs with both secrets while a rotated one overlaps, so either verifies", () => {
    const next = generateSigningSecret();
    const previous = generateSigningSecret();
    const headers = signDelivery(parseSigningSecrets(`${next} ${previous}`), "evt_2", now(), body);
    expect(headers["webhook-signature"].split(" ")).toHaveLength(2);
    expect(() => new Webhook(next).verify(body, { ...headers })).not.toThrow();
    expect(() => new Webhook(previous).verify(body, { ...headers })).not.toThrow();
  });

  it("takes the bare base64 value Secrets Manager generates", () => {
    // 44 letters and digits: what the stack's secret generation yields.
    const generated = "AbCdEfGhIjKlMnOpQrStUvWxYz0123456789abcdefgh";
    const headers = signDelivery(parseSigningSecrets(generated), "evt_3", now(), body);
    expect(() => new Webhook(`whsec_${generated}`).verify(body, { ...headers })).not.toThrow();
  });

  it("refuses a secret that is not a whsec_ key, naming the problem", () => {
    expect(() => parseSigningSecrets("")).toThrow(/empty/);
    expect(() => parseSigningSecrets("whsec_short")).toThrow(/whsec_ followed by the base64/);
    expect(() => parseSigningSecrets("whsec_not*base64*at*all*padding*x")).toThrow(/secret 1/);
    expect(() => parseSigningSecrets(`${generateSigningSecret()} nope`)).toThrow(/secret 2/);
  });
});
