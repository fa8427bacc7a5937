import { defaultMenu } from "./default-menu";

/**
 * The menu the USSD route serves. Replace it with your own `defineMenu({...})` (see the
 * docs/engines.md, "Writing a USSD menu"); the seed's demo menu is the default.
 */
export const menu = defaultMenu;
