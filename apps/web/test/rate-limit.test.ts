import { describe, expect, it } from 'vitest';
import { RateLimiter } from '../lib/rate-limit';

describe('check rate limit', () => {
  it('allows a burst, refuses the next, and gives tokens back over time, per key', () => {
    let now = 1_000_000;
    const limiter = new RateLimiter({ burst: 3, refillMs: 1000 }, () => now);
    for (let i = 0; i < 3; i++) expect(limiter.take('a').ok).toBe(true);
    const refused = limiter.take('a');
    expect(refused).toEqual({ ok: false, retryAfterMs: 1000 });
    expect(limiter.take('b').ok).toBe(true);
    now += 400;
    expect(limiter.take('a')).toEqual({ ok: false, retryAfterMs: 600 });
    now += 600;
    expect(limiter.take('a').ok).toBe(true);
    expect(limiter.take('a').ok).toBe(false);
    now += 60_000;
    for (let i = 0; i < 3; i++) expect(limiter.take('a').ok).toBe(true);
    expect(limiter.take('a').ok).toBe(false);
  });
});
