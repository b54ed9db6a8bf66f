"""One page (or dialog) per module; each gets the services it needs in its constructor."""
