"""The outbound worker: sends outbox rows through the broker behind a circuit breaker and a
per-instance rate limit (ADR 0006)."""
