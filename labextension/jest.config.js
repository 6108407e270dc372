// jest runs the pure modules (renderers, panel model, API client) in jsdom; they import no @jupyterlab
// package, so no ESM transform of node_modules is needed.
module.exports = {
  testEnvironment: 'jsdom',
  roots: ['<rootDir>/src'],
  testMatch: ['**/__tests__/**/*.spec.ts'],
  transform: {
    '^.+\\.tsx?$': ['ts-jest', { tsconfig: { module: 'commonjs', esModuleInterop: true, strict: true, types: ['jest', 'node'], resolveJsonModule: true } }]
  },
  moduleNameMapper: { '\\.(css)$': '<rootDir>/src/__tests__/style-mock.js' }
};
