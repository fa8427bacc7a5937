import { welcomeFlow } from "./flows";

/**
 * The flow the voice route runs for every live call request. Replace it with your own
 * `VoiceFlow` (see docs/engines.md, "Writing a voice flow"), e.g. `createAccountMenuFlow({...})`.
 */
export const flow = welcomeFlow;
