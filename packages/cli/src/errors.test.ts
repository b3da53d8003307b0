import {
  SessionStoreCorruptError,
  SessionStoreLockedError,
  SessionStoreOpenError,
} from '@levelsession/core'
import { describe, expect, it } from 'vitest'
import { CliError, reportOf, usageError } from './errors.js'

describe('reportOf', () => {
  it('keeps core’s locked message and adds what an operator does, with path and pid', () => {
    const report = reportOf(new SessionStoreLockedError('/srv/sessions', 4242))
    expect(report).toMatchObject({
      code: 'ERR_STORE_LOCKED',
      path: '/srv/sessions',
      pid: 4242,
      exitCode: 1,
    })
    expect(report.message).toContain('/srv/sessions is in use by another process (pid 4242)')
    expect(report.hint).toContain('(pid 4242)')
  })

  it('points a damaged database to repair', () => {
    const report = reportOf(new SessionStoreCorruptError('/srv/sessions', 'no CURRENT'))
    expect(report.code).toBe('ERR_STORE_CORRUPT')
    expect(report.hint).toContain('levelsession repair /srv/sessions')
  })

  it('names the path of a database that fails to open, and what to check', () => {
    const cause = Object.assign(new Error('EACCES: permission denied, open'), { code: 'EACCES' })
    const report = reportOf(new SessionStoreOpenError('/srv/sessions', cause))
    expect(report).toMatchObject({ code: 'ERR_STORE_OPEN', path: '/srv/sessions', exitCode: 1 })
    expect(report.message).toContain('EACCES')
    expect(report.hint).toContain('/srv/sessions and its parent can be written')
  })

  it('gives usage errors exit status 2 and anything else 1', () => {
    expect(reportOf(usageError('say --yes')).exitCode).toBe(2)
    expect(reportOf(new CliError('ERR_X', 'x', { details: { id: 'a' } }))).toMatchObject({
      code: 'ERR_X',
      id: 'a',
      exitCode: 1,
    })
    expect(reportOf(new Error('boom'))).toMatchObject({
      code: 'ERR_UNEXPECTED',
      message: 'boom',
      exitCode: 1,
    })
    expect(reportOf('text')).toMatchObject({ message: 'text', exitCode: 1 })
  })
})
