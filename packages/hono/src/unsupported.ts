/**
 * @module
 * What bundlers for edge runtimes resolve instead of the package (the `workerd`, `edge-light` and
 * `browser` export conditions): a clear error at import time rather than a failure to load a
 * native addon deep inside a dependency.
 */
import { NODE_ONLY_MESSAGE } from './runtime.js'

throw new Error(NODE_ONLY_MESSAGE)
