"""`make bench`: latency and throughput of the main pages on city-scale data, written to RESULTS.md.

One command, no manual steps: it reads the database named by BENCH_DATABASE_URL, picks the users
and pages with the most rows to show, signs them in (real sessions), prepares complete drafts for
the submit surge, starts the site the production way (``bin/serve``: gunicorn + task worker,
DEBUG off, Redis), measures every page with 4 concurrent clients against a trivial view on the same
server (the floor), times the Excel export of the biggest call, runs the submit surge with locust
(4 and 50 users), stops the server and writes ``bench/RESULTS.md`` (and ``bench/results.json``).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/yichuang_city"
CITY_APPLICATIONS = 50_000
HOST = "127.0.0.1"
TARGET_P95_MS = 100
TARGET_SUBMITS = 30
TARGET_EXPORT_S = 10


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=15, help="measured seconds per page")
    parser.add_argument("--clients", type=int, default=4, help="concurrent clients per page")
    parser.add_argument("--surge-users", type=int, default=50)
    parser.add_argument("--surge-seconds", type=int, default=30)
    parser.add_argument("--drafts", type=int, default=2000, help="drafts for the 50-user surge")
    parser.add_argument("--exports", type=int, default=3, help="timed Excel exports")
    parser.add_argument("--no-surge", action="store_true", help="skip the submit surge")
    parser.add_argument("--output", default=str(ROOT / "bench" / "RESULTS.md"))
    return parser.parse_args()


def environment() -> dict:
    """The production profile's environment, pointed at the benchmark database."""
    env = dict(os.environ)
    env["DATABASE_URL"] = os.environ.get("BENCH_DATABASE_URL", DEFAULT_DB)
    env["REDIS_URL"] = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/1")
    env["CACHE_KEY_PREFIX"] = "bench"
    env["DEBUG"] = "false"
    env["HTTPS"] = "false"
    env["TASKS_IMMEDIATE"] = "false"
    env["ALLOWED_HOSTS"] = "127.0.0.1,localhost"
    # Sessions made here are checked by the server: both must hold the same key.
    env["SECRET_KEY"] = os.environ.get("SECRET_KEY") or secrets.token_urlsafe(64)
    # Mail queued by the submits is sent by the worker, but nowhere.
    env["EMAIL_BACKEND"] = "django.core.mail.backends.dummy.EmailBackend"
    env["LOG_LEVEL"] = "WARNING"
    env["LOGIN_FAILED_RATE_LIMIT"] = os.environ.get("LOGIN_FAILED_RATE_LIMIT", "10/m/ip,5/5m/key")
    env.pop("DJANGO_SETTINGS_MODULE", None)
    return env


def free_port() -> int:
    # 8100–8139; tests/deploy takes 8140–8199, so a benchmark and the tests can run side by side.
    for port in range(8100, 8140):
        with socket.socket() as sock:
            try:
                sock.bind((HOST, port))
            except OSError:
                continue
            return port
    raise SystemExit("No free port in 8100–8139.")


def machine(workers: str, worker_class: str, threads: str) -> dict:
    cpu = "unknown"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    ram = "unknown"
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        kib = int(meminfo.read_text().split("MemTotal:")[1].split()[0])
        ram = f"{kib / 1024 / 1024:.1f} GiB"
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        pg = cursor.fetchone()[0]
    return {
        "CPU": cpu,
        "cores": str(os.cpu_count()),
        "RAM": ram,
        "OS": platform.platform(),
        "PostgreSQL": pg,
        "Python": platform.python_version(),
        "gunicorn": f"{workers} workers × {threads} threads ({worker_class})",
    }


def start_server(env: dict, port: int, log: Path) -> subprocess.Popen:
    env = {**env, "PORT": str(port), "HOST": HOST, "WSGI_APP": "bench.wsgi:application"}
    handle = log.open("w")
    process = subprocess.Popen(  # noqa: S603
        [str(ROOT / "bin" / "serve")],
        cwd=ROOT,
        env=env,
        stdout=handle,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    from bench import load

    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"bin/serve stopped (exit {process.returncode}); see {log}")
        try:
            status, *_ = load.fetch(HOST, port, "/healthz/", None, timeout=5)
            if status == 200:
                return process
        except OSError:
            pass
        time.sleep(0.5)
    stop_server(process)
    raise SystemExit(f"The server did not answer /healthz/ within 5 minutes; see {log}")


def stop_server(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)  # bin/serve stops gunicorn and the worker
        try:
            process.wait(timeout=40)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)  # the group bin/serve leads, started here
            process.wait()


def run_locust(env: dict, port: int, drafts: list, users: int, seconds: int, workdir: Path) -> dict:
    drafts_file = workdir / f"drafts-{users}.json"
    drafts_file.write_text(json.dumps(drafts))
    prefix = workdir / f"locust-{users}"
    command = [
        str(Path(sys.executable).parent / "locust"),
        "-f",
        str(ROOT / "bench" / "locustfile.py"),
        "--headless",
        "--host",
        f"http://{HOST}:{port}",
        "--users",
        str(users),
        "--spawn-rate",
        str(users),
        "--run-time",
        f"{seconds}s",
        "--csv",
        str(prefix),
        "--only-summary",
        "--loglevel",
        "WARNING",
    ]
    started = time.monotonic()
    with (workdir / f"locust-{users}.log").open("w") as log:
        subprocess.run(  # noqa: S603
            command,
            env={**env, "BENCH_DRAFTS": str(drafts_file)},
            cwd=ROOT,
            check=False,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    wall = time.monotonic() - started
    import csv

    rows = {
        row["Name"]: row
        for row in csv.DictReader(prefix.with_name(prefix.name + "_stats.csv").open())
    }
    submit = rows.get("submit", {})
    opened = rows.get("open the draft", {})

    def num(row, key):
        try:
            return float(row.get(key) or 0)
        except ValueError:
            return 0.0

    return {
        "users": users,
        "drafts": len(drafts),
        "wall_s": wall,
        "submits": int(num(submit, "Request Count")) if submit else 0,
        "submit_failures": int(num(submit, "Failure Count")) if submit else 0,
        "open_failures": int(num(opened, "Failure Count")) if opened else 0,
        "submit_p50_ms": num(submit, "50%"),
        "submit_p95_ms": num(submit, "95%"),
        "submit_p99_ms": num(submit, "99%"),
        "open_p95_ms": num(opened, "95%"),
        "submits_per_s": num(submit, "Requests/s"),
    }


def submitted_in_surge(pks: list[int]) -> int:
    from grants.enums import ApplicationState
    from grants.models import Application

    return Application.objects.filter(pk__in=pks, state=ApplicationState.SUBMITTED).count()


def main() -> None:
    args = parse_args()
    env = environment()
    os.environ.update(env)
    os.environ["DJANGO_SETTINGS_MODULE"] = "yichuang.settings"
    import django

    django.setup()
    from django.db import connection

    from bench import load, prepare

    started_at = datetime.now(UTC)
    counts = prepare.row_counts()
    if not counts.get("applications"):
        raise SystemExit(
            f"{env['DATABASE_URL']} has no applications. Make the city-scale data first:\n"
            "  make bench-data   (= manage.py seed_demo --scale city into BENCH_DATABASE_URL)"
        )
    city = counts["applications"] >= CITY_APPLICATIONS
    if not city:
        print(
            f"Note: {counts['applications']} applications, not city scale "
            f"({CITY_APPLICATIONS:,}); `make bench-data` builds it. Measuring anyway."
        )
    plan = prepare.plan()
    users = {p.user_id for p in plan.pages} | {p.small_user_id for p in plan.pages}
    users |= {plan.export_user_id}
    sessions = {uid: prepare.session_for(uid) for uid in users if uid is not None}
    drafts_small = drafts_big = []
    if not args.no_surge:
        print("Preparing complete drafts for the submit surge …", flush=True)
        t = time.monotonic()
        drafts = prepare.prepare_drafts(args.drafts + 300)
        # A fifth (at most 300) for the 4-user run, the rest for the surge.
        split = min(300, len(drafts) // 5)
        drafts_small, drafts_big = drafts[:split], drafts[split:]
        print(f"  {len(drafts)} drafts in {time.monotonic() - t:.0f} s", flush=True)
    workers = env.get("WEB_CONCURRENCY") or str((os.cpu_count() or 1) * 2 + 1)
    worker_class = env.get("GUNICORN_WORKER_CLASS", "gthread")
    threads = env.get("GUNICORN_THREADS", "2")
    info = machine(workers, worker_class, threads)
    # What autovacuum would have done on a live database (it may be off, as on these machines):
    # visibility maps for index-only scans and fresh planner statistics after the bulk loads.
    print("VACUUM (ANALYZE) …", flush=True)
    t = time.monotonic()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE)")
    print(f"  {time.monotonic() - t:.0f} s", flush=True)
    connection.close()

    port = free_port()
    workdir = Path(tempfile.mkdtemp(prefix="yichuang-bench-"))
    print(f"Starting the production profile on port {port} (log: {workdir / 'serve.log'}) …")
    server = start_server(env, port, workdir / "serve.log")
    results: dict = {"pages": {}, "growth": {}}
    try:

        def cookie(uid):
            return f"sessionid={sessions[uid]}" if uid else None

        # Warm every worker and every page once (templates, caches), then measure.
        for page in plan.pages:
            load.fetch(HOST, port, page.path, cookie(page.user_id))

        def measure(key, path, uid):
            print(f"  {key:<24} {path}", flush=True)
            r = load.run(
                HOST, port, path, cookie=cookie(uid), clients=args.clients, seconds=args.seconds
            )
            results["pages"][key] = r.summary()
            return r

        floor = measure("floor", "/healthz/", None)
        for page in plan.pages:
            measure(page.key, page.path, page.user_id)
        floor_end = measure("floor_end", "/healthz/", None)
        results["floor_drift"] = floor_end.percentile(50) / floor.percentile(50)

        # Query count on the fewest rows against the most: the same number means it does not grow.
        for page in plan.pages:
            if page.small_path:
                _s, headers, _b, _t = load.fetch(
                    HOST, port, page.small_path, cookie(page.small_user_id)
                )
                results["growth"][page.key] = headers.get("X-Query-Count", "?")

        print("  export", plan.export_path, flush=True)
        timings, size, queries, status = [], 0, "?", None
        for _ in range(args.exports):
            status, headers, body, seconds = load.fetch(
                HOST, port, plan.export_path, cookie(plan.export_user_id)
            )
            timings.append(seconds)
            size, queries = len(body), headers.get("X-Query-Count", "?")
        results["export"] = {
            "rows": plan.export_rows,
            "status": status,
            "bytes": size,
            "queries": queries,
            "seconds": timings,
        }

        if not args.no_surge:
            print("  submit surge, 4 users", flush=True)
            results["surge4"] = run_locust(env, port, drafts_small, 4, 20, workdir)
            print(f"  submit surge, {args.surge_users} users", flush=True)
            results["surge"] = run_locust(
                env, port, drafts_big, args.surge_users, args.surge_seconds, workdir
            )
    finally:
        stop_server(server)
    if not args.no_surge:
        # The database is the truth: a 302 is not proof that the state changed.
        for key, drafts in (("surge4", drafts_small), ("surge", drafts_big)):
            results[key]["submitted_in_db"] = submitted_in_surge([pk for _s, pk in drafts])
    results.update(
        machine=info, counts=counts, city=city, started=started_at.isoformat(), notes=plan.notes
    )
    results["plan"] = [page.__dict__ for page in plan.pages]
    results["floor"] = results["pages"]["floor"]
    # Raw figures beside the report: bench/results.json for bench/RESULTS.md.
    raw = Path(args.output).with_name(Path(args.output).stem.lower() + ".json")
    raw.write_text(json.dumps(results, indent=2, default=str))
    from bench.report import write

    write(results, Path(args.output), args)
    print(f"Written: {args.output}")


if __name__ == "__main__":
    main()
