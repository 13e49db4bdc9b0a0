"""Agent sends: three routes that queue a message and its outbox row (ADR 0006)."""
