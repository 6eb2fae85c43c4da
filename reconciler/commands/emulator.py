"""`emulator`: the embedded AWS emulator as a long-running local server, so a newcomer can try the whole workflow
(apply, change, plan, drift, export) across commands without an AWS account."""

from __future__ import annotations

import os
import signal
import sys
import threading

from reconciler.commands import EXIT_OK
from reconciler.embedded import EMULATOR_ENV, announce, load_emulator, withdraw


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
    embedded_aws = load_emulator()
    if state and os.path.exists(state):
        embedded_aws.load_state(state)
        print(f"Loaded the emulator's state from {state}.", file=sys.stderr)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    with embedded_aws.start_emulator(port=port) as emulator:
        url = emulator.endpoint_url
        embedded_aws.seed_demo_network(region=region)
        announce(url)
        try:
            print(f"AWS emulator on {url} (no AWS account is used). Other commands use it with --embedded-aws;")
            print("to point any AWS tool at it instead, run:")
            for name, value in environment(url, region).items():
                print(f"export {name}={value}")
            print("Ctrl-C stops it" + (f" and saves its state to {state}." if state else "; its state is then lost."))
            sys.stdout.flush()
            stop.wait()
        finally:
            withdraw(url)
            if state:
                embedded_aws.save_state(state)
                print(f"\nSaved the emulator's state to {state}.", file=sys.stderr)
    return EXIT_OK
