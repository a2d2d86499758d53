"""A closed-loop HTTP load: N clients, each sending its next request when the last one answered.

Plain threads and keep-alive ``http.client`` connections: the client's own cost per request is a
fraction of a millisecond, so on a 2-core machine it steals less CPU from the server than a full
load tool would. Latency is measured from sending the request to reading the whole body.
"""

from __future__ import annotations

import http.client
import statistics
import threading
import time
from collections import Counter
from dataclasses import dataclass, field


@dataclass
class Result:
    latencies_ms: list[float] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    query_counts: Counter = field(default_factory=Counter)
    elapsed_s: float = 0.0
    bytes: int = 0

    @property
    def count(self) -> int:
        return len(self.latencies_ms)

    @property
    def errors(self) -> int:
        return sum(n for status, n in self.statuses.items() if status != 200)

    def percentile(self, p: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        ordered = sorted(self.latencies_ms)
        # Nearest rank: the value below which p % of the requests fall.
        rank = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
        return ordered[rank]

    @property
    def rps(self) -> float:
        return self.count / self.elapsed_s if self.elapsed_s else 0.0

    @property
    def queries(self) -> str:
        """The query count per request: one number when every request ran the same."""
        if not self.query_counts:
            return "?"
        values = sorted(self.query_counts)
        return str(values[0]) if len(values) == 1 else f"{values[0]}–{values[-1]}"

    def summary(self) -> dict:
        return {
            "requests": self.count,
            "errors": self.errors,
            "statuses": dict(self.statuses),
            "p50_ms": self.percentile(50),
            "p95_ms": self.percentile(95),
            "p99_ms": self.percentile(99),
            "mean_ms": statistics.fmean(self.latencies_ms) if self.latencies_ms else None,
            "rps": self.rps,
            "queries": self.queries,
            "bytes_per_request": self.bytes // self.count if self.count else 0,
        }


def fetch(host: str, port: int, path: str, cookie: str | None, timeout: float = 120):
    """One GET on a fresh connection: (status, headers, body, seconds)."""
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        started = time.perf_counter()
        conn.request("GET", path, headers=_headers(cookie))
        response = conn.getresponse()
        body = response.read()
        return response.status, dict(response.getheaders()), body, time.perf_counter() - started
    finally:
        conn.close()


def _headers(cookie: str | None) -> dict:
    headers = {"Accept": "text/html,*/*", "User-Agent": "yichuang-bench"}
    if cookie:
        headers["Cookie"] = cookie
    return headers


def run(
    host: str,
    port: int,
    path: str,
    *,
    cookie: str | None = None,
    clients: int = 4,
    seconds: float = 10.0,
    warmup_s: float = 2.0,
) -> Result:
    """Load ``path`` with ``clients`` concurrent clients for ``seconds`` after a warm-up."""
    result = Result()
    lock = threading.Lock()
    start = time.perf_counter()
    measure_from = start + warmup_s
    stop_at = measure_from + seconds

    def client():
        conn = http.client.HTTPConnection(host, port, timeout=60)
        headers = _headers(cookie)
        while True:
            now = time.perf_counter()
            if now >= stop_at:
                break
            try:
                conn.request("GET", path, headers=headers)
                response = conn.getresponse()
                body = response.read()
                status = response.status
                queries = response.getheader("X-Query-Count")
                if response.getheader("Connection", "").lower() == "close":
                    conn.close()
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection(host, port, timeout=60)
                status, body, queries = 599, b"", None
            done = time.perf_counter()
            if now >= measure_from and done <= stop_at:
                with lock:
                    result.latencies_ms.append((done - now) * 1000)
                    result.statuses[status] += 1
                    result.bytes += len(body)
                    if queries is not None:
                        result.query_counts[int(queries)] += 1
        conn.close()

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result.elapsed_s = seconds
    return result
