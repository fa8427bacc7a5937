/**
 * Where an AWS client talks to. On Lambda nothing is set (the SDK finds the region, the
 * credentials and AWS's endpoints); the local stack and the tests point clients at their own
 * services.
 */
export interface ClientOptions {
  readonly region?: string;
  readonly endpoint?: string;
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
}

export const clientSettings = (options: ClientOptions) => ({
  ...(options.region ? { region: options.region } : {}),
  ...(options.endpoint ? { endpoint: options.endpoint } : {}),
  ...(options.credentials ? { credentials: options.credentials } : {}),
});
