"""Meta webhook receiver: verification handshake, signature check, durable event intake."""
