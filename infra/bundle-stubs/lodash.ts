/** Stands in for `lodash` in the deployed replier: the AT SDK's SMS service only calls `cloneDeep` on its (plain) options. */
export const cloneDeep = <T>(value: T): T => structuredClone(value);
