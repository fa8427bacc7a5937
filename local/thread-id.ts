import { readlinkSync } from "node:fs";

/**
 * This thread's Linux thread id (what /proc/<pid>/task/<tid> names it), or undefined where
 * there is no /proc: the bench reads each of the local stack's threads' CPU time by it.
 */
export function linuxThreadId(): number | undefined {
  try {
    const tid = Number(readlinkSync("/proc/thread-self").split("/").pop());
    return Number.isInteger(tid) ? tid : undefined;
  } catch {
    return undefined;
  }
}
