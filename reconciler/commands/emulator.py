"""`emulator`: the embedded AWS emulator as a long-running local server, so a newcomer can try the whole workflow
(apply, change, plan, drift, export) across commands without an AWS account."""

from __future__ import annotations

import signal
import sys
import threading

from reconciler.commands import EXIT_OK
from reconciler.core.errors import UsageError
from reconciler.embedded import EMULATOR_ENV, announce, load_emulator, others_running, state_in_use


def environment(url: str, region: str) -> dict[str, str]:
    """What points the AWS CLI, boto3 and this tool (without --embedded-aws) at the emulator."""
    return {
        "AWS_ENDPOINT_URL": url,
        "AWS_ACCESS_KEY_ID": "embedded",
        "AWS_SECRET_ACCESS_KEY": "embedded",
        "AWS_DEFAULT_REGION": region,
        EMULATOR_ENV: url,
    }


def serve(*, port: int, state: str | None, region: str) -> int:
    if state and (sharing := state_in_use(state)) is not None:
        raise UsageError(f"{state} is the state file of the AWS emulator running at {sharing.url}: use that one")
    embedded_aws = load_emulator()
    records = embedded_aws.check_journal(state) if state else []  # a file it cannot load: exit 1 before serving
    app = embedded_aws.create_app()
    journal = embedded_aws.Journal(app, state) if state else None
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    with embedded_aws.serve(journal or app, port=port) as emulator:
        url = emulator.endpoint_url
        embedded_aws.seed_demo_network(region=region)
        if journal is not None:
            replayed = journal.replay(records)
            journal.open()
            print(f"Replayed {replayed} requests from {state}; every change is recorded there.", file=sys.stderr)
        announce(url, state=state)
        others, port = others_running(url), url.rsplit(":", 1)[-1]
        print(f"AWS emulator on {url} (no AWS account is used). Other commands use it with --embedded-aws;")
        for other in others:
            print(f"Another AWS emulator is running at {other}: --embedded-aws now needs --emulator {port}")
        print("to point any AWS tool (and --embedded-aws) at this one, run:")
        for name, value in environment(url, region).items():
            print(f"export {name}={value}")
        print("Ctrl-C stops it" + (f"; its state is kept in {state}." if state else "; its state is then lost."))
        sys.stdout.flush()
        stop.wait()
    return EXIT_OK
