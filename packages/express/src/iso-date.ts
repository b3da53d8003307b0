/**
 * @module
 * `isoDate(ms)`: what `new Date(ms).toISOString()` gives, about three times faster. Every `get`
 * of an express session formats its expiry this way (see `LevelSessionStore#toSession`).
 */

const pad2 = (n: number): string => (n < 10 ? '0' : '') + n
const pad3 = (n: number): string => (n < 10 ? '00' : n < 100 ? '0' : '') + n

/** Milliseconds since the epoch as `YYYY-MM-DDTHH:mm:ss.sssZ`, for years 1970 to 9999. */
export function isoDate(ms: number): string {
  // Outside four-digit years (and for non-integers) the built-in formatter decides.
  if (!Number.isInteger(ms) || ms < 0 || ms >= 253_402_300_800_000) {
    return new Date(ms).toISOString()
  }
  const days = Math.floor(ms / 86_400_000)
  let rest = ms - days * 86_400_000
  // Civil date from days since 1970-01-01 (Howard Hinnant's days_from_civil, inverted).
  const z = days + 719_468
  const era = Math.floor(z / 146_097)
  const doe = z - era * 146_097
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365,
  )
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100))
  const mp = Math.floor((5 * doy + 2) / 153)
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1
  const month = mp < 10 ? mp + 3 : mp - 9
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0)
  const hours = Math.floor(rest / 3_600_000)
  rest -= hours * 3_600_000
  const minutes = Math.floor(rest / 60_000)
  rest -= minutes * 60_000
  const seconds = Math.floor(rest / 1000)
  return `${year}-${pad2(month)}-${pad2(day)}T${pad2(hours)}:${pad2(minutes)}:${pad2(seconds)}.${pad3(rest - seconds * 1000)}Z`
}
