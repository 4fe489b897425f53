"""A 3-node RabbitMQ cluster on this one machine, beside (never instead of) its own broker."""
