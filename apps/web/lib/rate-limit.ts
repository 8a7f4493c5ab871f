// Per-user token buckets for checks, held in this process's memory (the app runs as one Node process;
// several processes would each allow the full rate). A check runs real work on the sandbox host.
import { NextResponse } from 'next/server';

export interface BucketLimit {
  /** Requests allowed at once. */
  burst: number;
  /** One request is given back every this many milliseconds. */
  refillMs: number;
}

/** 10 checks at once, then one every 6 s (10 a minute), per user and kind of check. */
export const CHECK_LIMIT: BucketLimit = { burst: 10, refillMs: 6000 };

interface Bucket {
  tokens: number;
  updatedAt: number;
}

const MAX_BUCKETS = 50_000;

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly limit: BucketLimit,
    private readonly now: () => number = Date.now,
  ) {}

  /** Takes one token for `key`; when none is left, says how many ms until the next one. */
  take(key: string): { ok: true } | { ok: false; retryAfterMs: number } {
    const now = this.now();
    const bucket = this.buckets.get(key) ?? { tokens: this.limit.burst, updatedAt: now };
    bucket.tokens = Math.min(
      this.limit.burst,
      bucket.tokens + (now - bucket.updatedAt) / this.limit.refillMs,
    );
    bucket.updatedAt = now;
    // Re-inserted so the oldest-used bucket is the one dropped when the map is full.
    this.buckets.delete(key);
    if (this.buckets.size >= MAX_BUCKETS) this.buckets.delete(this.buckets.keys().next().value as string);
    this.buckets.set(key, bucket);
    if (bucket.tokens < 1)
      return { ok: false, retryAfterMs: Math.ceil((1 - bucket.tokens) * this.limit.refillMs) };
    bucket.tokens -= 1;
    return { ok: true };
  }
}

const shared = globalThis as unknown as { dockyardCheckLimiter?: RateLimiter };

/** The 429 answer for a user over the check limit, or null when the check may run. */
export function limitChecks(kind: 'lab' | 'quiz', userId: string): NextResponse | null {
  shared.dockyardCheckLimiter ??= new RateLimiter(CHECK_LIMIT);
  const taken = shared.dockyardCheckLimiter.take(`${kind}:${userId}`);
  if (taken.ok) return null;
  const seconds = Math.max(1, Math.ceil(taken.retryAfterMs / 1000));
  return NextResponse.json(
    {
      error: 'rate-limited',
      retryAfter: seconds,
      message: {
        'zh-CN': `检查太频繁了，请 ${seconds} 秒后再试。`,
        en: `Too many checks in a short time. Try again in ${seconds} s.`,
      },
    },
    { status: 429, headers: { 'retry-after': String(seconds) } },
  );
}
