"""Time `make demo` as a new user meets it: a fresh clone in a temporary directory, set-up included.

  python3 bench/demo.py [--installer uv|pip|both] [--setup-only] [--demo-args "..."] [--keep]

The committed HEAD of this repository is cloned (``git clone``) into a temporary directory and
``make demo`` runs there with a clean environment for the virtual environment (no activated
one). Every line the demo writes is stamped as it arrives, so the output splits the wall time
into the set-up (everything before the demo's first ``[k/N]`` step line: creating ``.venv``
and installing) and each of the demo's steps. ``--installer both`` times the set-up with uv and
with pip, one after the other (where uv is not on PATH, the uv set-up includes installing it
into ``.venv`` with pip; ``--setup-only`` stops there).
Nothing is asserted: the numbers are for people, and other jobs on the machine slow it.

Needs only the standard library, so it runs before any environment exists.
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
STEP = re.compile(r"^\[(\d+)/(\d+)\] (.*)")
"""A demo step line, ``[2/8] training ...``."""


@dataclass
class Timeline:
    """When each phase of one ``make`` began, in seconds from the start, and the total."""

    phases: list[tuple[str, float]] = field(default_factory=list)
    total: float = 0.0
    returncode: int = 0

    def durations(self) -> list[tuple[str, float]]:
        ends = [start for _, start in self.phases[1:]] + [self.total]
        return [(name, end - start) for (name, start), end in zip(self.phases, ends, strict=True)]


def clone(into: Path) -> Path:
    """A fresh clone of this repository's committed HEAD under ``into``."""
    target = into / "evalsuite"
    subprocess.run(["git", "clone", "--quiet", str(REPO), str(target)], check=True)
    return target


def timed_make(checkout: Path, target: str, env: dict[str, str], log: Path) -> Timeline:
    """Run ``make TARGET`` in ``checkout``; split its wall time at the demo's step lines."""
    timeline = Timeline(phases=[("set-up (venv + install)", 0.0)])
    start = time.perf_counter()
    with log.open("w") as sink:
        process = subprocess.Popen(
            ["make", target],
            cwd=checkout,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            bufsize=1,
        )
        assert process.stdout is not None
        for line in process.stdout:
            now = time.perf_counter() - start
            sink.write(f"{now:8.1f}  {line}")
            match = STEP.match(line)
            if match:
                timeline.phases.append((f"step {match[1]}: {match[3][:60]}", now))
        timeline.returncode = process.wait()
    timeline.total = time.perf_counter() - start
    return timeline


def clean_env(installer: str) -> dict[str, str]:
    """This environment without an activated virtual environment, installer chosen."""
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    venv_bin = os.environ.get("VIRTUAL_ENV")
    if venv_bin:
        paths = env.get("PATH", "").split(os.pathsep)
        env["PATH"] = os.pathsep.join(p for p in paths if p != str(Path(venv_bin) / "bin"))
    env["EVALSUITE_INSTALLER"] = installer
    return env


def report(name: str, timeline: Timeline, log: Path) -> None:
    status = "" if timeline.returncode == 0 else f"  (FAILED, exit {timeline.returncode})"
    print(f"\n{name}: {timeline.total:.0f} s wall{status}; log {log}")
    for phase, seconds in timeline.durations():
        print(f"   {seconds:7.1f} s  {phase}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--installer", choices=("uv", "pip", "both"), default="uv")
    parser.add_argument("--setup-only", action="store_true", help="time only the set-up")
    parser.add_argument("--demo-args", default="", help="options for `evalsuite demo`")
    parser.add_argument("--keep", action="store_true", help="keep the clone and its logs")
    args = parser.parse_args(argv)
    installers = ["uv", "pip"] if args.installer == "both" else [args.installer]
    if "uv" in installers and shutil.which("uv") is None:
        print("uv is not on PATH: the set-up pip-installs it into .venv first", file=sys.stderr)
    root = Path(tempfile.mkdtemp(prefix="evalsuite-demo-bench-"))
    print(f"bench/demo.py: fresh clones of {REPO} under {root}, {os.cpu_count()} CPUs")
    failed = False
    try:
        for installer in installers:
            checkout = clone(root / installer)
            env = clean_env(installer)
            target = ".venv/.installed" if args.setup_only else "demo"
            if args.demo_args and not args.setup_only:
                env["DEMO_ARGS"] = args.demo_args
            log = root / f"{installer}.log"
            timeline = timed_make(checkout, target, env, log)
            what = "set-up" if args.setup_only else "make demo"
            shown = f"make {target}" + (
                f" DEMO_ARGS={shlex.quote(args.demo_args)}"
                * bool(args.demo_args and not args.setup_only)
            )
            report(f"{what} from a fresh clone, installer {installer} ({shown})", timeline, log)
            failed |= timeline.returncode != 0
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
