"""Sandbox throughput: 1000 small PoT programs through the worker pool.

Issue 7 asks for 1000 programs in under 10 s on 2 cores. The reference, measured in the same
run, is the naive way to isolate a program: one fresh ``python -I -S -c`` process per program
(two at a time, as the pool has two workers), timed on a subsample and scaled to 1000.
Prints; asserts nothing.

Run: ``python bench/sandbox.py``
"""

from __future__ import annotations

import random
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

from evalsuite.sandbox import Sandbox, SandboxConfig

N_PROGRAMS = 1000
N_REFERENCE = 100
N_WORKERS = 2


def make_programs(n: int, seed: int = 0) -> tuple[list[str], list[float]]:
    """Arith-style programs (a running value, 1-6 steps, ``ans`` at the end) and their values."""
    rng = random.Random(seed)
    programs, values = [], []
    for _ in range(n):
        value: float = rng.randint(1, 100)
        lines = [f"apples = {value}"]
        for _ in range(rng.randint(1, 6)):
            op, b = rng.choice("+-*/"), rng.randint(1, 20)
            lines.append(f"apples = apples {op} {b}")
            value = {"+": value + b, "-": value - b, "*": value * b, "/": value / b}[op]
        programs.append("\n".join([*lines, "ans = apples"]))
        values.append(value)
    return programs, values


def fresh_interpreter(program: str) -> str:
    """The reference: a new interpreter for one program."""
    done = subprocess.run(
        [sys.executable, "-I", "-S", "-c", program + "\nprint(ans)"],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


def main() -> None:
    programs, values = make_programs(N_PROGRAMS)
    config = SandboxConfig(timeout_s=2.0, memory_mb=256, n_workers=N_WORKERS)

    start = time.perf_counter()
    with Sandbox(config) as sandbox:
        results = sandbox.run(programs)
        cold_s = time.perf_counter() - start
        start = time.perf_counter()
        sandbox.run(programs)
        warm_s = time.perf_counter() - start
    correct = sum(r.ok and r.value == v for r, v in zip(results, values, strict=True))

    start = time.perf_counter()
    with ThreadPoolExecutor(N_WORKERS) as pool:
        outputs = list(pool.map(fresh_interpreter, programs[:N_REFERENCE]))
    reference_s = (time.perf_counter() - start) * N_PROGRAMS / N_REFERENCE
    reference_correct = sum(
        float(out) == v for out, v in zip(outputs, values[:N_REFERENCE], strict=True)
    )

    print(
        f"sandbox: {N_PROGRAMS} programs, {N_WORKERS} workers, "
        f"limits {config.timeout_s:g} s / {config.memory_mb} MiB"
    )
    timings = (("cold (worker start-up included)", cold_s), ("warm (workers reused)", warm_s))
    for label, seconds in timings:
        per_program_ms = 1e3 * seconds / N_PROGRAMS
        print(f"  {label:<32} {seconds:7.3f} s  ({per_program_ms:.2f} ms/program)")
    print(f"  correct values: {correct}/{N_PROGRAMS}")
    print(f"  issue 7 target, under 10 s on 2 cores: {'met' if cold_s < 10 else 'NOT met'}")
    print(
        f"reference: one fresh `python -I -S -c` per program, {N_WORKERS} at a time, measured "
        f"on {N_REFERENCE} programs and scaled x{N_PROGRAMS // N_REFERENCE}: {reference_s:.3f} s "
        f"(correct {reference_correct}/{N_REFERENCE})"
    )
    cold_ratio, warm_ratio = reference_s / cold_s, reference_s / warm_s
    print(f"  ratio reference / sandbox: cold {cold_ratio:.1f}x, warm {warm_ratio:.1f}x")


if __name__ == "__main__":
    main()
