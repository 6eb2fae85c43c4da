"""One module per command; ``reconciler.cli`` parses arguments, builds the settings once, and dispatches here.

Exit codes follow Terraform's -detailed-exitcode convention: 0 nothing to do / success, 1 error, 2 changes pending.
"""

EXIT_OK, EXIT_ERROR, EXIT_CHANGES = 0, 1, 2
