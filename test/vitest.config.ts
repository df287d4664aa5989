import { defineProject } from 'vitest/config';

// CI shares 2 cores among test files: a condition polled for may take seconds, not the default 1 s
const POLL_MS = 30_000;

export default defineProject({
  test: { name: 'e2e', include: ['**/*.test.ts'], testTimeout: 600_000, hookTimeout: 600_000, expect: { poll: { timeout: POLL_MS } } },
});
