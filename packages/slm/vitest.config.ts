import { defineProject } from 'vitest/config';

export default defineProject({
  test: { name: 'slm', include: ['src/**/*.test.ts'], testTimeout: 60_000 },
});
