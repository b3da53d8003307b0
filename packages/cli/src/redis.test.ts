import { describe, expect, it } from 'vitest'
import { redactUrl, redisUrl, targetOf } from './redis.js'

const defaults = { prefix: 'sess:' }

describe('targetOf', () => {
  it('reads <path> [file] without --redis', () => {
    expect(targetOf('export', ['./db', 'out.jsonl'], defaults)).toEqual({
      target: { kind: 'level', path: './db' },
      file: 'out.jsonl',
    })
  })

  it('reads [file] alone with --redis', () => {
    expect(
      targetOf('export', ['out.jsonl', undefined], {
        ...defaults,
        redis: 'redis://h:6379',
        cluster: true,
      }),
    ).toEqual({
      target: {
        kind: 'redis',
        url: 'redis://h:6379',
        prefix: 'sess:',
        cluster: true,
        buckets: undefined,
      },
      file: 'out.jsonl',
    })
  })

  it.each([
    [['a', 'b'], { ...defaults, redis: 'redis://h' }, 'one file argument'],
    [[undefined, undefined], defaults, 'needs a database directory'],
    [['a', undefined], { ...defaults, redis: 'h:6379' }, 'redis:// or rediss://'],
    [['a', undefined], { prefix: 'p:' }, 'apply to --redis only'],
    [['a', undefined], { ...defaults, buckets: 4 }, 'apply to --redis only'],
    [[undefined, undefined], { redis: 'redis://h', prefix: '' }, 'must be non-empty'],
    [['a', undefined], { ...defaults, redis: 'redis://:pw@h:6379/abc' }, 'a database number'],
  ] as const)('refuses %j with %j as wrong usage', (positionals, flags, message) => {
    expect(() => targetOf('export', [...positionals], flags)).toThrow(
      expect.objectContaining({ code: 'ERR_USAGE', exitCode: 2 }) as Error,
    )
    expect(() => targetOf('export', [...positionals], flags)).toThrow(message)
  })
})

describe('redactUrl', () => {
  it('hides the password and keeps the rest', () => {
    expect(redactUrl('redis://user:pa%40ss@10.0.0.1:6380/2')).toBe(
      'redis://user:***@10.0.0.1:6380/2',
    )
    expect(redactUrl('rediss://10.0.0.1:6380')).toBe('rediss://10.0.0.1:6380')
    // A lone user part is read as the password by many clients.
    expect(redactUrl('redis://s3cret@10.0.0.1')).toBe('redis://***@10.0.0.1')
  })

  it('a URL that is not one is refused without repeating its credentials', () => {
    for (const typed of [
      ':s3cret@127.0.0.1:7391',
      'default:s3cret@host:6379',
      'http://u:s3cret@h',
    ]) {
      let message = ''
      try {
        targetOf('export', ['out.jsonl', undefined], { ...defaults, redis: typed })
      } catch (error) {
        message = (error as Error).message
      }
      expect(message).toMatch(/expects a redis:\/\/ or rediss:\/\/ URL/)
      expect(message).not.toContain('s3cret')
    }
  })
})

describe('redisUrl', () => {
  const usage = expect.objectContaining({ code: 'ERR_USAGE', exitCode: 2 }) as Error

  it('takes a URL as given, or from the environment variable env:NAME names', () => {
    expect(redisUrl('--redis', 'redis://h:6379')).toBe('redis://h:6379')
    process.env.LS_TEST_REDIS_URL = 'rediss://u:s3cret@h:6380'
    try {
      expect(redisUrl('--from-redis', 'env:LS_TEST_REDIS_URL')).toBe('rediss://u:s3cret@h:6380')
    } finally {
      delete process.env.LS_TEST_REDIS_URL
    }
  })

  it('refuses a variable that is unset or empty, and a value that is no URL, as wrong usage', () => {
    delete process.env.LS_TEST_REDIS_URL
    expect(() => redisUrl('--redis', 'env:LS_TEST_REDIS_URL')).toThrow(usage)
    expect(() => redisUrl('--redis', 'env:LS_TEST_REDIS_URL')).toThrow(
      '--redis env:LS_TEST_REDIS_URL: the environment variable LS_TEST_REDIS_URL is not set.',
    )
    expect(() => redisUrl('--redis', 'env:')).toThrow(usage)
    process.env.LS_TEST_REDIS_URL = ''
    try {
      expect(() => redisUrl('--redis', 'env:LS_TEST_REDIS_URL')).toThrow(/is not set/)
      process.env.LS_TEST_REDIS_URL = 'u:s3cret@h:6379'
      let message = ''
      try {
        redisUrl('--redis', 'env:LS_TEST_REDIS_URL')
      } catch (error) {
        message = (error as Error).message
      }
      expect(message).toMatch(/^--redis \(from \$LS_TEST_REDIS_URL\) expects a redis:\/\//)
      expect(message).not.toContain('s3cret')
    } finally {
      delete process.env.LS_TEST_REDIS_URL
    }
  })
})
