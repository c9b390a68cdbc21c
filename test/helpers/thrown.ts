// The error a synchronous call throws, for tests that look at what it says.
import { expect } from 'chai';

/** The error `call` throws, which must be a `type` (fails when it returns or throws something else). */
export function thrown<E extends Error>(call: () => unknown, type: new (...args: never[]) => E): E {
  try {
    call();
  } catch (error) {
    expect(error).to.be.instanceOf(type);
    return error as E;
  }
  expect.fail(`expected a ${type.name}, but nothing was thrown`);
}
