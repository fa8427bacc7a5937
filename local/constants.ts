/** The local stack's AWS settings: any region works, the credentials are never checked. */
export const LOCAL_REGION = "us-east-1";
export const LOCAL_CREDENTIALS = { accessKeyId: "local", secretAccessKey: "local" };
