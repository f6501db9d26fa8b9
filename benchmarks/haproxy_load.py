"""Load on a local HAProxy serving the generated config: requests/s and p95 latency, measured with wrk.

The edge config is rendered by `components.edge.haproxy` for a stack (default `local`), with the
rate limit relaxed and only local fields substituted (listen addresses, slot servers, certificate,
errorfile paths). The two slot "Services" are a second HAProxy answering directly with its slot
name, so the figures measure the edge (TLS, ACLs, stick table, headers, weights), not a Python
test server. wrk, HAProxy and openssl come from Debian (`apt-get install haproxy wrk openssl`).

    .venv/bin/python -m benchmarks.haproxy_load [--stack local] [--duration 10] [--connections 64]
"""

from __future__ import annotations

import argparse
import dataclasses
import http.client
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import yaml

from components.config import Slot, StackConfig, namespace_values, parse
from components.edge import FrontDoor, haproxy
from components.platforms import implementation

ROOT = Path(__file__).resolve().parent.parent
LOCALHOST = "127.0.0.1"

# wrk prints 50/75/90/99 percentiles only; this script reports p95 from its latency histogram.
WRK_SCRIPT = """
done = function(summary, latency, requests)
  io.write(string.format("RESULT requests=%d duration_us=%d p50_us=%d p95_us=%d p99_us=%d non2xx=%d errors=%d\\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95), latency:percentile(99),
    summary.errors.status, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
"""


@dataclass(frozen=True)
class LoadResult:
    label: str
    requests: int
    requests_per_second: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    non_2xx: int
    errors: int


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        sys.exit(f"{name} is not installed: apt-get install -y {name}")
    return path


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind((LOCALHOST, 0))
        return int(probe.getsockname()[1])


def _config(stack: str, canary: int, max_connections: int) -> StackConfig:
    values = namespace_values(yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text())["config"])
    values["app"] = {**values["app"], "canaryWeight": canary, "slots": {**values["app"]["slots"], "green": "bench"}}
    values["edge"] = {
        **values["edge"],
        "rateLimit": {"requests": 1_000_000, "windowSeconds": 10},
        "internalCidrs": ["127.0.0.2/32"],
        "maxConnections": max_connections,
    }
    return parse(values, stack)


def _start(args: list[str], log: Path, environment: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, env=environment)


def _wait_listening(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"haproxy exited {process.returncode}:\n{log.read_text()}")
        try:
            with socket.create_connection((LOCALHOST, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    sys.exit(f"haproxy did not listen on {port}:\n{log.read_text()}")


def _wait_servers_up(metrics_port: int) -> None:
    deadline = time.monotonic() + 15
    pattern = re.compile(r'^haproxy_server_status\{proxy="app",server="(\w+)",state="UP"\} 1$', re.MULTILINE)
    while time.monotonic() < deadline:
        connection = http.client.HTTPConnection(LOCALHOST, metrics_port, timeout=5)
        try:
            connection.request("GET", haproxy.METRICS_URI)
            if set(pattern.findall(connection.getresponse().read().decode())) == {"blue", "green"}:
                return
        finally:
            connection.close()
        time.sleep(0.1)
    sys.exit("the slot servers did not come up")


def _wrk(url: str, *, label: str, threads: int, connections: int, duration: int, script: Path, close: bool) -> LoadResult:
    args = [_tool("wrk"), f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--timeout", "5s", "-s", str(script)]
    if close:
        args += ["-H", "Connection: close"]
    output = subprocess.run([*args, url], check=True, capture_output=True, text=True, timeout=duration + 60).stdout
    match = re.search(
        r"RESULT requests=(\d+) duration_us=(\d+) p50_us=(\d+) p95_us=(\d+) p99_us=(\d+) non2xx=(\d+) errors=(\d+)", output
    )
    if match is None:
        sys.exit(f"unexpected wrk output:\n{output}")
    requests, duration_us, p50, p95, p99, non_2xx, errors = (int(g) for g in match.groups())
    return LoadResult(
        label=label, requests=requests, requests_per_second=requests / (duration_us / 1e6),
        p50_ms=p50 / 1000, p95_ms=p95 / 1000, p99_ms=p99 / 1000, non_2xx=non_2xx, errors=errors,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--stack", default="local")
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--canary", type=int, default=25, help="canary weight (both slots serve)")
    options = parser.parse_args(argv)

    haproxy_bin, openssl = _tool("haproxy"), _tool("openssl")
    _tool("wrk")
    config = _config(options.stack, options.canary, max_connections=2000)
    processes: list[subprocess.Popen[bytes]] = []
    with tempfile.TemporaryDirectory(prefix="haproxy-load-") as tmp:
        work = Path(tmp)
        subprocess.run(
            [openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
             "-keyout", str(work / "site.pem.key"), "-out", str(work / "site.pem"), "-days", "1", "-subj", "/CN=localhost"],
            check=True, capture_output=True, timeout=30,
        )
        try:
            # The slot "Services": one HAProxy answering with its slot name on two ports.
            slot_ports = {slot: _free_port() for slot in Slot}
            slots_cfg = work / "slots.cfg"
            slots_cfg.write_text(
                "global\n    maxconn 4000\n    nbthread 1\n"
                "defaults\n    mode http\n    timeout connect 5s\n    timeout client 30s\n    timeout server 30s\n"
                + "".join(
                    f"frontend {slot.value}\n    bind {LOCALHOST}:{port}\n"
                    f"    http-request return status 200 content-type text/plain string {slot.value}\n"
                    for slot, port in slot_ports.items()
                )
            )
            slots_log = work / "slots.log"
            processes.append(_start([haproxy_bin, "-db", "-f", str(slots_cfg)], slots_log))
            for port in slot_ports.values():
                _wait_listening(port, processes[-1], slots_log)

            exposure_of = implementation(FrontDoor, config.platform).exposure
            settings = haproxy.settings_from_config(
                config, exposure_of(config), namespace=config.app.namespace,
                services={slot: f"orchestrator-{slot.value}" for slot in Slot}, port=80,
            )
            https_port, http_port, metrics_port = _free_port(), _free_port(), _free_port()
            errors = work / "errors"
            errors.mkdir()
            settings = dataclasses.replace(
                settings,
                servers=tuple(dataclasses.replace(s, address=f"{LOCALHOST}:{slot_ports[s.slot]}") for s in settings.servers),
                http_bind=f"{LOCALHOST}:{http_port}", https_bind=f"{LOCALHOST}:{https_port}",
                metrics_bind=f"{LOCALHOST}:{metrics_port}", certificate_file=str(work / "site.pem"), errors_dir=str(errors),
            )
            for name, text in haproxy.errorfiles(settings).items():
                (errors / name).write_text(text)
            edge_cfg = work / "haproxy.cfg"
            # Access logs stay on (to a file here, to stdout in the pods): they are part of the cost.
            edge_cfg.write_text(haproxy.render(settings))
            environment = dict(os.environ)
            if settings.admin_auth:
                # As in the pod: the userlist is in haproxy.cfg, only the hash comes from the environment.
                hashed = subprocess.run([openssl, "passwd", "-6", "bench-only"], check=True, capture_output=True, text=True)
                environment[haproxy.ADMIN_HASH_ENV] = hashed.stdout.strip()
            edge_log = work / "edge.log"
            processes.append(_start([haproxy_bin, "-db", "-f", str(edge_cfg)], edge_log, environment))
            _wait_listening(https_port, processes[-1], edge_log)
            _wait_servers_up(metrics_port)

            script = work / "p95.lua"
            script.write_text(WRK_SCRIPT)
            url = f"https://{LOCALHOST}:{https_port}/"
            version = subprocess.run([haproxy_bin, "-v"], capture_output=True, text=True, check=True).stdout.splitlines()[0]
            print(f"# {version}; stack {options.stack}; canary {options.canary}; nbthread {settings.nbthread}; "
                  f"wrk -t{options.threads} -c{options.connections} -d{options.duration}s")
            runs = [
                _wrk(url, label="https keep-alive", threads=options.threads, connections=options.connections,
                     duration=options.duration, script=script, close=False),
                _wrk(url, label="https new TLS connection per request", threads=options.threads,
                     connections=options.connections, duration=options.duration, script=script, close=True),
            ]
        finally:
            for process in reversed(processes):
                process.terminate()
                try:
                    process.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(timeout=5)
    print(f"{'run':40} {'req/s':>10} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'non-2xx':>8} {'errors':>7}")
    for run in runs:
        print(f"{run.label:40} {run.requests_per_second:10.0f} {run.p50_ms:8.2f} {run.p95_ms:8.2f} {run.p99_ms:8.2f} "
              f"{run.non_2xx:8d} {run.errors:7d}")
    return 0 if all(run.non_2xx == 0 and run.errors == 0 for run in runs) else 1


if __name__ == "__main__":
    raise SystemExit(main())
