"""The one upstream HTTP policy every provider client goes through.

Connection pooling and timeouts (httpx), retries with exponential backoff and
jitter (tenacity) on connection errors, timeouts and 5xx, `Retry-After` on 429
(capped), never a retry on another 4xx, a rate limiter per upstream key
(pyrate-limiter; in-process, or shared through Redis when `REDIS_URL` is set)
and bounded concurrency. Provider clients describe endpoints and parse answers;
they never retry, sleep or count on their own.

- `client`: `UpstreamClient`, the policy around an `httpx.AsyncClient`;
- `errors`: what a failed call raises, and how an error answer is described;
- `readers`: typed readers of decoded JSON; `images`: picking an image to show;
- `retry`, `ratelimit`, `stats`: the retry policy, the limiter, the counts.
"""
