"""Dead-letter queues: what a dead letter carries, inspection and idempotent replay, `lgsp dlq`."""
