"""CLI: python -m tests.simulator serve --state-dir DIR [--port 0] [--platform P] [--apps-domain D]
[--state-file F] [--controller-delay S] [--import-interval S]

Prints the URL once serving; DIR/ready exists while it serves. SIGTERM/SIGINT stop cleanly.
"""
from __future__ import annotations

import argparse
import signal
import sys
import threading

from .config import PLATFORMS
from .server import SimulatorServer


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.simulator")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the simulator until SIGTERM/SIGINT")
    serve.add_argument("--state-dir", required=True)
    serve.add_argument("--port", type=int, default=0)
    serve.add_argument("--platform", default="baremetal", choices=sorted(PLATFORMS),
                       type=str.lower)
    serve.add_argument("--apps-domain", default="apps.example.test")
    serve.add_argument("--state-file", default=None)
    serve.add_argument("--controller-delay", type=float, default=0.2)
    serve.add_argument("--import-interval", type=float, default=900.0)
    args = parser.parse_args(argv)

    server = SimulatorServer(args.state_dir, port=args.port, platform=args.platform, apps_domain=args.apps_domain,
                             state_file=args.state_file, controller_delay=args.controller_delay,
                             import_interval=args.import_interval)
    done = threading.Event()

    def _stop(signum, frame):
        done.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    server.start()
    print(f"simulator serving at {server.url} (kubeconfig {server.kubeconfig})", flush=True)
    try:
        while not done.wait(0.5):
            pass
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
