"""The public API under /api/v1/: tokens, idempotency, rate limits, endpoints (docs/api.md)."""
