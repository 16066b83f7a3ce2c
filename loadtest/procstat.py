"""Server CPU and RSS over time, from /proc (Linux).

Server processes are given by pid, or discovered as every process holding a
listening TCP socket on the target's port (hypercorn workers share it); the
children of those processes count too. The embedded PostgreSQL is not one of
them: with ``--database-url``, ``loadtest.database`` finds its postmaster and the
run samples it as the database, apart from the server.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import trio

PROC = Path("/proc")
TICKS = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")
LISTEN = "0A"


def listening_pids(port: int) -> list[int]:
    inodes = set()
    for table in ("net/tcp", "net/tcp6"):
        try:
            lines = (PROC / table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if fields[3] == LISTEN and int(fields[1].rsplit(":", 1)[1], 16) == port:
                inodes.add(f"socket:[{fields[9]}]")
    pids = []
    for entry in PROC.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if any(os.readlink(fd) in inodes for fd in (entry / "fd").iterdir()):
                pids.append(int(entry.name))
        except OSError:
            continue
    return sorted(pids)


def with_children(pids: list[int]) -> list[int]:
    found, frontier = set(pids), list(pids)
    while frontier:
        pid = frontier.pop()
        for task in (PROC / str(pid) / "task").glob("*/children"):
            try:
                children = [int(c) for c in task.read_text().split()]
            except OSError:
                continue
            frontier += [c for c in children if c not in found]
            found.update(children)
    return sorted(found)


def parent_named(pid: int, name: str) -> int | None:
    """The parent of ``pid`` if both run the program ``name``; else None."""
    try:
        status = (PROC / str(pid) / "status").read_text()
        parent = int(status.split("\nPPid:", 1)[1].split()[0])
        names = [(PROC / str(p) / "comm").read_text().strip() for p in (pid, parent)]
    except (OSError, IndexError, ValueError):
        return None
    return parent if names == [name, name] else None


def cpu_seconds_and_rss(pid: int, reaped: bool = False) -> tuple[float, int] | None:
    """utime + stime in seconds (with ``reaped``, plus cutime + cstime: the CPU of the
    children it has waited for), and resident bytes; None if the process is gone."""
    try:
        stat = (PROC / str(pid) / "stat").read_text()
        statm = (PROC / str(pid) / "statm").read_text().split()
    except OSError:
        return None
    rss = int(statm[1]) * PAGE
    if pid == os.getpid():
        # /proc counts in ticks (10 ms), which a short run of the client may not reach.
        times = os.times()
        return time.process_time() + (
            times.children_user + times.children_system if reaped else 0.0), rss
    fields = stat[stat.rindex(")") + 2:].split()  # the name may hold spaces
    ticks = sum(int(f) for f in fields[11:15 if reaped else 13])
    return ticks / TICKS, rss


@dataclass
class Sampler:
    """Samples total CPU % (100 = one core) and RSS of some processes every period.

    A child that ends keeps counting: its parent's cutime and cstime take over its CPU
    once the parent has waited for it, as PostgreSQL's postmaster does for each
    backend and autovacuum worker (summing the live processes alone dropped all the
    CPU a process had used when it ended, and took a period's CPU below zero).

    ``exclude``: processes (with their children) that are not counted even where
    they are children of ``pids``, such as a baseline server the client started.
    With any, the CPU of ended children is not counted: it may be theirs.
    """

    pids: list[int]
    exclude: list[int] = field(default_factory=list)
    period_s: float = 0.5
    samples: list[dict[str, float]] = field(default_factory=list)
    busy_s: float = 0.0  # CPU seconds over the sampled periods

    def total(self) -> tuple[float, int]:
        cpu, rss = 0.0, 0
        excluded = set(with_children(self.exclude))
        for pid in set(with_children(self.pids)) - excluded:
            found = cpu_seconds_and_rss(pid, reaped=not self.exclude)
            if found:
                cpu, rss = cpu + found[0], rss + found[1]
        return cpu, rss

    async def run(self, origin: float) -> None:
        last_cpu, _ = self.total()
        last = trio.current_time()
        try:
            while True:
                await trio.sleep(self.period_s)
                cpu, rss = self.total()
                now = trio.current_time()
                self.busy_s += max(cpu - last_cpu, 0.0)  # less: a process ended
                self.samples.append({
                    "t": round(now - origin, 3),
                    "cpu_percent": round(100 * (cpu - last_cpu) / (now - last), 1),
                    "rss_mb": round(rss / 2**20, 1),
                })
                last_cpu, last = cpu, now
        finally:  # the part of a period the run ended in
            self.busy_s += max(self.total()[0] - last_cpu, 0.0)

    def summary(self) -> dict[str, object]:
        cpu = [s["cpu_percent"] for s in self.samples]
        return {
            "pids": self.pids,
            "cpu_percent_mean": round(sum(cpu) / len(cpu), 1) if cpu else None,
            "cpu_percent_max": max(cpu) if cpu else None,
            "rss_mb_max": max((s["rss_mb"] for s in self.samples), default=None),
            "cpu_s": round(self.busy_s, 3),
            "samples": self.samples,
        }
