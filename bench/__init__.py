"""The benchmark: API calls and wall time of a no-op plan against a generated fleet (see bench/README.md)."""
