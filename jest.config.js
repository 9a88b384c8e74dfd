/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['<rootDir>/test/unit/**/*.test.ts', '<rootDir>/test/integration/**/*.test.ts'],
  setupFiles: ['<rootDir>/test/support/refuse-network.ts'],
  transform: {
    // Type errors are caught by `npm run typecheck`; transpiling each file alone keeps jest fast.
    '^.+\\.ts$': 'ts-jest',
  },
  testTimeout: 20000,
};
