import { RhoError } from '@rho/core/base';

/** The RhoError a call throws, for tests that check its code and context; anything else fails the test. */
export function thrown(f: () => unknown): RhoError {
  try {
    f();
  } catch (e) {
    if (e instanceof RhoError) return e;
    throw e;
  }
  throw new Error('expected an error');
}
