/**
 * Browser tests (`npm run test:e2e`): playwright-core drives Debian's Chromium against the app and its
 * simulator listening on loopback. Kept apart from `npm test`, which needs no browser.
 * @type {import('jest').Config}
 */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test/e2e'],
  testMatch: ['<rootDir>/test/e2e/**/*.test.ts'],
  // The same guard as the other tests: loopback only (Chromium itself is started with its calls home off).
  setupFiles: ['<rootDir>/test/support/refuse-network.ts'],
  transform: {
    '^.+\\.ts$': 'ts-jest',
  },
  // Starting a browser and walking through sign-in pages takes seconds, not milliseconds.
  testTimeout: 60000,
};
