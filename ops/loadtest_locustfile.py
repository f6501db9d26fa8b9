"""The load profile `python -m ops loadtest` runs with locust: GETs at a fixed rate per user.

Used as is for a distributed run (a master and workers on several machines):
    locust -f ops/loadtest_locustfile.py --master --headless --expect-workers 4 -u 400 -r 100 -t 2m \\
        -H https://orchestrator.example.com --user-rps 2.5 --json-file results.json
    locust -f ops/loadtest_locustfile.py --worker --master-host MASTER   (on each worker machine)
then `python -m ops loadtest URL --results results.json` evaluates the run against the SLOs. The
master sends its options (these custom ones included) to the workers.

Requests are named `<path> [<status>]`, so the statistics count each answer status apart: a 429
from the edge's per-client rate limit is told apart from a 5xx of the application.
"""

from __future__ import annotations

import ssl
from typing import Any, cast

from locust import FastHttpUser, events, task
from locust.user.wait_time import constant_throughput


@events.init_command_line_parser.add_listener
def _options(parser: Any) -> None:
    parser.add_argument("--user-rps", type=float, default=1.0, help="requests per second of each user")
    parser.add_argument("--paths", default="/", help="comma-separated paths requested in turn")
    parser.add_argument("--ca-file", default="", help="verify the certificate against this CA bundle")
    parser.add_argument("--tls-insecure", action="store_true", default=False, help="skip certificate verification")


class SloUser(FastHttpUser):
    def __init__(self, environment: Any) -> None:
        options = environment.parsed_options
        ca_file = str(options.ca_file or "")
        self.insecure = bool(options.tls_insecure)
        if ca_file and not self.insecure:
            # Locust has gevent-patched `ssl` before this file is imported: these are gevent contexts.
            self.ssl_context_factory = lambda **_: ssl.create_default_context(cafile=ca_file)
        elif not self.insecure:
            self.ssl_context_factory = ssl.create_default_context
        super().__init__(environment)
        self.paths = [p.strip() for p in str(options.paths).split(",") if p.strip()] or ["/"]
        self.pacing = constant_throughput(float(options.user_rps))
        self.turn = 0

    def wait_time(self) -> float:
        return self.pacing(self)

    @task
    def get(self) -> None:
        path = self.paths[self.turn % len(self.paths)]
        self.turn += 1
        with self.client.get(path, catch_response=True, name=path) as response:
            status = int(response.status_code or 0)
            meta = cast(dict[str, Any], response.request_meta)
            meta["name"] = f"{path} [{status if status else 'no answer'}]"
            if 200 <= status < 400:
                response.success()
            else:
                response.failure(f"HTTP {status}" if status else f"no answer: {response.error}")
