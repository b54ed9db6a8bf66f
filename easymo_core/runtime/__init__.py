"""Long-running pieces a front end starts: the embedded sandbox stack, the scheduler."""
