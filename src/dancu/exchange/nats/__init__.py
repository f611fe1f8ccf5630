"""NATS JetStream for connected systems: the server's configuration, the relay's wiring, per-system deliveries."""
