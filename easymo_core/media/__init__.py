"""Media a customer sent: what the stored webhook says of it, and a local cache to show it from."""
