/**
 * @module
 * The package version that `levelsession --version` prints. Kept as a constant because the
 * CommonJS build cannot read package.json relative to `import.meta`; a test keeps the two equal.
 */

/** This package's version. */
export const VERSION = '0.1.0'
