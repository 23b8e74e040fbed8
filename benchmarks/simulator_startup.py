"""Micro-benchmark of the simulator: start-up time and GET latency (measured, never asserted).

Usage (from the repo root): python benchmarks/simulator_startup.py [--requests 200] [--controllers]
Prints: time until the server accepts connections, time until the controllers are idle, and the
median / p95 latency of GET /api/v1/namespaces/default over one keep-alive HTTPS connection.
The targets from the issue are < 2 s start-up and < 5 ms median GET.
"""
from __future__ import annotations

import argparse
import http.client
import os
import ssl
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from tests.simulator.server import SimulatorServer  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--controllers", action="store_true", help="also install the operator controllers")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        server = SimulatorServer(os.path.join(tmp, "sim"), controllers=args.controllers)
        server.start()
        started = time.perf_counter() - t0
        try:
            server.wait_idle(60)
            idle = time.perf_counter() - t0
            ctx = ssl.create_default_context(cafile=server.ca_file)
            conn = http.client.HTTPSConnection("127.0.0.1", server.port, context=ctx)
            headers = {"Authorization": f"Bearer {server.admin_token}", "Accept": "application/json"}
            samples = []
            for i in range(args.requests + 10):
                t = time.perf_counter()
                conn.request("GET", "/api/v1/namespaces/default", headers=headers)
                resp = conn.getresponse()
                resp.read()
                if resp.status != 200:
                    raise SystemExit(f"unexpected status {resp.status}")
                if i >= 10:                      # the first requests warm up the TLS session and caches
                    samples.append((time.perf_counter() - t) * 1000)
            conn.close()
        finally:
            server.stop()
    samples.sort()
    print(f"start-up (accepting connections): {started * 1000:.1f} ms")
    print(f"start-up (controllers idle):      {idle * 1000:.1f} ms")
    print(f"GET latency over {len(samples)} requests: median {statistics.median(samples):.2f} ms, "
          f"p95 {samples[int(len(samples) * 0.95) - 1]:.2f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
