"""D runtime: per-firing state and DTrace output formatting."""
