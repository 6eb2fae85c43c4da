"""The web console: HTML pages over the daemon's status and deployment history, served by `run` beside /status, and its
actions, each confirmed with the daemon's token."""
