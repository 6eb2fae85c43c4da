"""Deployments on ECS's own engine: a service's ServiceDeployments and ServiceRevisions read (``read``), a daemon's
DaemonDeployments (``daemons``), each kind's behind the same verbs (``readers``), what one
means for whoever waits on it (``stages``: status, lifecycle stage, traffic shifted, bake left, a PAUSE hook awaiting
an approval and its expiry, the alarms that fired, ECS's own rollback), and the answers to a paused hook or a failed
deployment (``approvals``: continue, roll back). ``apply``'s waiting, the daemon's following and ``status`` all read
deployments through here."""
