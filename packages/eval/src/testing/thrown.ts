import { RhoError } from '@rho/core/base';

/**
 * The error of class `cls` (RhoError unless named) a call throws, for tests that check its code
 * and context; anything else fails the test.
 */
export function thrown<E extends Error = RhoError>(f: () => unknown, cls: abstract new (...args: never[]) => E = RhoError as never): E {
  try {
    f();
  } catch (e) {
    if (e instanceof cls) return e;
    throw e;
  }
  throw new Error('expected an error');
}
