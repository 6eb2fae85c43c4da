"""The long-running operator: watch the manifest source, run level-triggered passes, alert on drift, serve metrics.

source.py   read a plain directory or git-sync's link into memory, one revision at a time
watch.py    turn file events (watchfiles) into pass requests
drift.py    pure bookkeeping: which drifts are new, changed or resolved
alerts.py   alert messages and their sinks (log, SNS, webhook)
metrics.py  Prometheus metrics and the /metrics, /healthz, /readyz server
lease.py    leader election through a DynamoDB lease
loop.py     the pass and the loop that schedules passes
run.py      wiring for the `run` and `demo` commands
"""
