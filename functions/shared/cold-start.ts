/**
 * A Lambda entry's default handler: built by `build` (config loaded from the environment,
 * clients created) once per container, on its first invocation, then reused. Importing an entry
 * builds nothing, so the local stack and the tests can take its factory without its config.
 */
export function builtOnce<A extends unknown[], R>(
  build: () => (...args: A) => R,
): (...args: A) => R {
  let built: ((...args: A) => R) | undefined;
  return (...args) => {
    built ??= build();
    return built(...args);
  };
}
