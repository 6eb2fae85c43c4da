"""The web console: read-only HTML pages over the daemon's status, served by `run` beside /status."""
