"""The PoT sandbox: values of ordinary programs, containment of hostile ones, pool recovery, CLI.

Hostile programs run with short limits (1.5 s) so the whole file stays within its time budget.
"""

from __future__ import annotations

import json
import math
import os
import random
import re
import signal
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from evalsuite.data.arith import ArithConfig, ArithProblem, generate_arith
from evalsuite.errors import UsageError
from evalsuite.sandbox import Sandbox, SandboxConfig, SandboxResult, run_program, run_programs
from evalsuite.sandbox.policy import SAFE_BUILTIN_NAMES
from evalsuite.sandbox.pool import _death_result, _Worker
from evalsuite.sandbox.results import MAX_OUTPUT_CHARS, MAX_VALUE_CHARS
from evalsuite.sandbox.worker import _fresh_namespace, worker_command

TIMEOUT_S = 1.5
NORMAL = "apples = 15\napples = apples + 21\nans = apples"
SECRET = f"s3cret-{uuid.uuid4().hex}"


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    """One pool for the module: workers are reused across tests, as in scoring."""
    with Sandbox(SandboxConfig(timeout_s=TIMEOUT_S, memory_mb=256, n_workers=2)) as pool:
        yield pool


@dataclass
class Sealed:
    """A cwd and an outside directory to watch, and a marker a hostile program aims for."""

    cwd: Path
    outside: Path
    marker: Path

    def snapshot(self) -> dict[str, list[str]]:
        return {str(d): sorted(p.name for p in d.iterdir()) for d in (self.cwd, self.outside)}


@pytest.fixture
def sealed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Sealed]:
    cwd, outside = tmp_path / "cwd", tmp_path / "outside"
    cwd.mkdir()
    outside.mkdir()
    (outside / "existing.txt").write_text("keep")
    monkeypatch.chdir(cwd)
    monkeypatch.setenv("EVALSUITE_SANDBOX_SECRET", SECRET)
    state = Sealed(cwd, outside, outside / f"MARKER-{uuid.uuid4().hex}")
    before = state.snapshot()
    yield state
    assert state.snapshot() == before
    assert not state.marker.exists()
    assert not Path("/", state.marker.name).exists()  # the workers' cwd
    assert (outside / "existing.txt").read_text() == "keep"


# ----------------------------------------------------------------------------- ordinary programs


@pytest.mark.parametrize(
    ("source", "value"),
    [
        (NORMAL, 36),
        ("ans = 10 / 4", 2.5),
        ("ans = 7 // 2 + 2 ** 10", 1027),
        ("total = 0\nfor i in range(1, 101):\n    total += i\nans = total", 5050),
        ("def area(w, h):\n    return w * h\nans = area(3, 4.5)", 13.5),
        ("ans = round(math.sqrt(2), 4)", 1.4142),
        ("ans = math.floor(math.pi * 100) / 100", 3.14),
        ("ans = sum([x * x for x in range(4)])", 14),
        ("ans = max({'a': 3, 'b': 7}.values())", 7),
        ("ans = 'twelve'.upper()", "TWELVE"),
        ("ans = 3 > 2", True),
        ("ans = None", None),
        ("ans = -0.5", -0.5),
        ("n = 27\nsteps = 0\nwhile n != 1:\n    n = n // 2 if n % 2 == 0 else 3 * n + 1\n"
         "    steps += 1\nans = steps", 111),
    ],
)  # fmt: skip
def test_ordinary_programs_give_their_value(sandbox: Sandbox, source: str, value: object) -> None:
    (result,) = sandbox.run([source])
    assert result == SandboxResult(True, value, None, None, result.elapsed_s, "")
    assert type(result.value) is type(value)
    assert 0 < result.elapsed_s < TIMEOUT_S


def test_print_output_is_captured_per_program(sandbox: Sandbox) -> None:
    first, second = sandbox.run(["print('a', 1, sep='-')\nans = 1", "print('b', end='!')\nans = 2"])
    assert (first.output, second.output) == ("a-1\n", "b!")
    (flood,) = sandbox.run(["for i in range(5000):\n    print('0123456789')\nans = 1"])
    assert flood.ok and flood.output.endswith("\n[output truncated]")
    assert len(flood.output) == MAX_OUTPUT_CHARS + len("\n[output truncated]")


@pytest.mark.parametrize(
    ("source", "kind", "message"),
    [
        ("x = 1", "no_answer", "the program never set 'ans'"),
        ("ans = [1, 2]", "bad_answer", "'ans' is a list; expected a number, str, bool or None"),
        ("ans = math.inf - math.inf", "bad_answer", "'ans' is nan; a number must be finite"),
        ("ans = 'x' * 20000", "bad_answer",
         f"'ans' has 20000 characters; at most {MAX_VALUE_CHARS}"),
        ("ans = 2 ** 20000", "bad_answer", "'ans' is an integer of 20001 bits; at most 10000"),
        ("x = 1\nans = x / 0", "runtime_error", "line 2: ZeroDivisionError: division by zero"),
        ("ans = undefined + 1", "runtime_error",
         "line 1: NameError: name 'undefined' is not defined"),
        ("def f():\n    return 1 + 'a'\nans = f()", "runtime_error",
         "line 2: TypeError: unsupported"),
        ("ans = (", "syntax_error", "line 1: '(' was never closed"),
    ],
)  # fmt: skip
def test_failing_programs_report_kind_and_message(
    sandbox: Sandbox, source: str, kind: str, message: str
) -> None:
    (result,) = sandbox.run([source])
    assert (result.ok, result.value, result.error_kind) == (False, None, kind)
    assert result.error_message is not None and result.error_message.startswith(message)


def test_random_arithmetic_programs_agree_with_python() -> None:
    """Reference: the same operations done here in ordinary Python, step by step."""
    rng = random.Random(0)
    programs, expected = [], []
    for _ in range(200):
        value = rng.randint(1, 100)
        lines = [f"v = {value}"]
        for _ in range(rng.randint(1, 6)):
            op, b = rng.choice("+-*/"), rng.randint(1, 20)
            lines.append(f"v = v {op} {b}")
            value = {"+": value + b, "-": value - b, "*": value * b, "/": value / b}[op]
        programs.append("\n".join([*lines, "ans = v"]))
        expected.append(value)
    results = run_programs(programs, timeout_s=5, n_workers=2)
    assert [r.value for r in results] == expected
    assert all(r.ok for r in results)


def test_arith_teacher_programs_reach_the_true_answer() -> None:
    examples = generate_arith(ArithConfig(n_train=0, n_valid=0, n_test=50, seed=3))["test"]
    results = run_programs([e.extra["pot"] for e in examples], timeout_s=5, n_workers=2)
    for example, result in zip(examples, results, strict=True):
        problem = example.extra["problem"]
        steps = tuple(tuple(step) for step in problem.pop("steps"))
        truth = ArithProblem(steps=steps, **problem).values()[-1]
        assert result.ok and isinstance(result.value, int | float)
        assert math.isclose(result.value, truth, rel_tol=1e-12), example.id


def test_no_state_crosses_from_one_program_to_the_next() -> None:
    with Sandbox(SandboxConfig(timeout_s=5, n_workers=1)) as pool:
        first, second, third = pool.run(["x = 5\nans = x", "ans = x", "ans = len(dict())"])
        assert (first.value, second.error_kind, third.value) == (5, "runtime_error", 0)
        assert second.error_message == "line 1: NameError: name 'x' is not defined"
        pids = pool.worker_pids
        pool.run(["ans = 1"])
        assert pool.worker_pids == pids  # one worker served every program


def test_the_namespace_offers_only_the_safe_builtins() -> None:
    namespace = _fresh_namespace([])
    assert set(namespace) == {"__builtins__", "math"}
    assert set(namespace["__builtins__"]) == set(SAFE_BUILTIN_NAMES)
    assert namespace["__builtins__"]["print"] is not print
    assert not hasattr(namespace["math"], "__loader__")  # a plain namespace, not the module


def test_the_worker_imports_the_sandbox_package_itself_and_only_the_standard_library() -> None:
    """Regression: the worker used to boot with stand-in ``evalsuite`` packages so that their
    ``__init__`` (which pulls in torch) never ran. It now imports ``evalsuite.sandbox`` for real,
    so that package, and ``evalsuite/__init__``, must stay standard-library only."""
    interpreter, *flags, boot, root, _ = worker_command(64)
    assert flags == ["-I", "-S", "-c"] and "types.ModuleType" not in boot
    probe = boot.replace("serve_worker(int(sys.argv[2]))", "") + (
        "import json\n"
        "mods = {n: getattr(m, '__file__', None) for n, m in sys.modules.items()}\n"
        "print(json.dumps(mods))\n"
    )
    done = subprocess.run(
        [interpreter, *flags, probe, root], capture_output=True, text=True, timeout=60, check=True
    )
    modules: dict[str, str | None] = json.loads(done.stdout)
    ours = {name for name in modules if name.split(".")[0] == "evalsuite"}
    assert ours == {
        "evalsuite", "evalsuite.errors", "evalsuite.sandbox", "evalsuite.sandbox.policy",
        "evalsuite.sandbox.pool", "evalsuite.sandbox.results", "evalsuite.sandbox.worker",
    }  # fmt: skip
    package = Path(root, "evalsuite", "sandbox", "__init__.py")
    assert modules["evalsuite.sandbox"] == str(package)  # the real package, not a stand-in
    third_party = {
        name
        for name in set(modules) - ours - {"__main__"}
        if name.split(".")[0] not in sys.stdlib_module_names
    }
    assert third_party == set()
    assert "torch" not in modules and "numpy" not in modules


# ------------------------------------------------------------------- text that is not Unicode


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("ans = chr(0xD800)",
         "'ans' is not valid Unicode text: a lone surrogate U+D800 at index 0"),
        ("ans = 'ok ' + chr(0xDFFF) + '!'",
         "'ans' is not valid Unicode text: a lone surrogate U+DFFF at index 3"),
    ],
)  # fmt: skip
def test_an_answer_with_a_lone_surrogate_is_a_bad_answer(
    sandbox: Sandbox, source: str, message: str
) -> None:
    # Regression: chr(0xD800) came back as the value, and every UTF-8 writer after it
    # (the CLI's JSON printer, records.jsonl) raised UnicodeEncodeError half-way.
    (result,) = sandbox.run([source])
    assert (result.ok, result.value, result.error_kind) == (False, None, "bad_answer")
    assert result.error_message == message


def test_printed_text_and_messages_with_lone_surrogates_come_back_escaped(sandbox: Sandbox) -> None:
    printed, raised, fine = sandbox.run([
        "print('a' + chr(0xD800))\nans = 1",
        "assert False, 'x' + chr(0xDFFF)",
        "ans = 'caf\u00e9 \U0001F600'",  # valid non-ASCII text passes untouched
    ])  # fmt: skip
    assert (printed.ok, printed.value, printed.output) == (True, 1, "a\\ud800\n")
    assert raised.error_kind == "runtime_error"
    assert raised.error_message == "line 1: AssertionError: x\\udfff"
    assert fine.value == "caf\u00e9 \U0001f600"
    for result in (printed, raised, fine):  # what a UTF-8 writer does with it
        json.dumps(result.to_dict(), ensure_ascii=False).encode("utf-8")


# ----------------------------------------------------------------------------- hostile programs

HOSTILE = {
    "import os": [
        ("import os\nos.system('touch {marker}')\nans = 1", "forbidden"),
        ("from os import system\nsystem('touch {marker}')", "forbidden"),
        ("ans = __import__('os').system('touch {marker}')", "forbidden"),
    ],
    "import subprocess": [
        ("import subprocess\nsubprocess.run(['touch', '{marker}'])\nans = 1", "forbidden"),
    ],
    "open or write files": [
        ("open('{marker}', 'w').write('x')\nans = 1", "forbidden"),
        ("with open('{marker}', 'w') as f:\n    f.write('x')", "forbidden"),
        ("print('x', file=open('{marker}', 'w'))\nans = 1", "forbidden"),
        ("f = open\nf('{marker}', 'a')", "forbidden"),
    ],
    "loop forever": [
        ("while True:\n    pass", "timeout"),
        ("x = 0\nwhile x >= 0:\n    x += 1", "timeout"),
        ("ans = 7 ** (10 ** 8)", "timeout"),  # one C call that never checks for signals
    ],
    "allocate 10 GB": [
        ("x = ' ' * (10 * 1024 ** 3)\nans = len(x)", "memory"),
        ("blocks = []\nfor i in range(100):\n    blocks.append([0] * (100 * 1024 * 1024 // 8))\n"
         "ans = len(blocks)", "memory"),  # 10 GB in 100 MB steps
    ],
    "recurse without end": [
        ("def f(n):\n    return f(n + 1)\nans = f(0)", "recursion"),
        ("f = lambda n: f(n + 1)\nans = f(0)", "recursion"),
        ("x = []\nfor i in range(100000):\n    x = [x]\nans = str(x)", "recursion"),
    ],
    "climb to __subclasses__": [
        ("ans = ().__class__.__base__.__subclasses__()", "forbidden"),
        ("ans = [c for c in ().__class__.__base__.__subclasses__()\n"
         "       if c.__name__ == 'catch_warnings'][0]()._module.__builtins__", "forbidden"),
        ("ans = '{0.__class__.__base__.__subclasses__}'.format(())", "forbidden"),
    ],
    "build code with compile": [
        ("code = compile('import os', 'x', 'exec')\nexec(code)", "forbidden"),
        ("ans = eval(compile('1 + 1', 'x', 'eval'))", "forbidden"),
        ("ans = (lambda: 0).__code__", "forbidden"),
    ],
    "read environment variables": [
        ("import os\nans = os.environ['EVALSUITE_SANDBOX_SECRET']", "forbidden"),
        ("ans = __builtins__['__import__']('os').environ['EVALSUITE_SANDBOX_SECRET']",
         "forbidden"),
        ("ans = open('/proc/self/environ').read()", "forbidden"),
        ("ans = str(getattr(math, '__loader__'))", "forbidden"),
        ("ans = str(globals())", "forbidden"),
        ("ans = str(vars())", "forbidden"),
        ("g = (x for x in [1])\nans = str(g.gi_frame.f_globals)", "forbidden"),
        ("ans = '{0.__globals__}'.format(lambda: 0)", "forbidden"),
        ("ans = str(math.sqrt.__self__.__spec__)", "forbidden"),
        ("ans = '%s %s' % (math, print)", None),  # allowed: reprs, no way further in
    ],
}  # fmt: skip
CASES = [
    pytest.param(source, kind, id=f"{threat}-{i}")
    for threat, programs in HOSTILE.items()
    for i, (source, kind) in enumerate(programs)
]


@pytest.mark.parametrize(("source", "kind"), CASES)
def test_hostile_program_is_contained_and_the_batch_goes_on(
    sandbox: Sandbox, sealed: Sealed, source: str, kind: str | None
) -> None:
    hostile, normal = sandbox.run([source.replace("{marker}", str(sealed.marker)), NORMAL])
    assert hostile.error_kind == kind
    assert hostile.ok is (kind is None)
    assert SECRET not in json.dumps(hostile.to_dict())
    assert normal.ok and normal.value == 36
    if kind == "timeout":  # it ran up to its limit, not failed early
        assert hostile.elapsed_s >= TIMEOUT_S


def test_a_batch_of_worker_killers_and_normal_programs(sealed: Sealed) -> None:
    killers = ["while True:\n    pass", "ans = 7 ** (10 ** 8)", "x = ' ' * (10 * 1024 ** 3)"]
    programs = [f"ans = {i} * 3" for i in range(20)]
    for position, killer in zip((0, 1, 7), killers, strict=True):
        programs.insert(position, killer)
    results = run_programs(programs, timeout_s=TIMEOUT_S, n_workers=2)
    kinds = [r.error_kind for r in results]
    assert [kinds[0], kinds[1], kinds[7]] == ["timeout", "timeout", "memory"]
    normal = [r for i, r in enumerate(results) if i not in (0, 1, 7)]
    assert [r.value for r in normal] == [i * 3 for i in range(20)]


def test_cpu_time_limit_stops_a_busy_program_before_the_wall_clock() -> None:
    with Sandbox(SandboxConfig(timeout_s=30, cpu_s=1, n_workers=1)) as pool:
        busy, after = pool.run(["while True:\n    pass", NORMAL])
    assert busy.error_kind == "timeout"
    assert busy.error_message == "CPU-time limit of 1 s exceeded; the worker was stopped"
    assert after.value == 36


def test_a_worker_killed_mid_program_is_reported_and_replaced() -> None:
    with Sandbox(SandboxConfig(timeout_s=10, n_workers=1)) as pool:
        pool.run(["ans = 0"])
        (pid,) = pool.worker_pids
        killer = threading.Timer(0.5, os.kill, (pid, signal.SIGKILL))
        killer.start()
        try:
            crashed, after = pool.run(["while True:\n    pass", NORMAL])
        finally:
            killer.cancel()
        assert crashed.error_kind == "crashed"
        assert crashed.error_message is not None and "killed by SIGKILL" in crashed.error_message
        assert after.value == 36
        assert pool.worker_pids != (pid,)


def test_a_worker_that_died_while_idle_loses_no_program() -> None:
    with Sandbox(SandboxConfig(timeout_s=5, n_workers=1)) as pool:
        pool.run(["ans = 0"])
        (pid,) = pool.worker_pids
        os.kill(pid, signal.SIGKILL)
        pool._workers[0].process.wait()
        (result,) = pool.run([NORMAL])
        assert result.value == 36 and pool.worker_pids != (pid,)


def test_worker_lock_down_holds_without_the_allow_list(tmp_path: Path) -> None:
    """The process layer alone: after the lock-down, no file, socket, memory or environment."""
    marker = tmp_path / "MARKER"
    probe = f"""
import json, os, socket
from evalsuite.sandbox.worker import _lock_down
requests, replies = _lock_down(128)
out = {{"env": dict(os.environ), "cwd": os.getcwd()}}
for name, attempt in [("open", lambda: open({str(marker)!r}, "w")),
                      ("socket", lambda: socket.socket()),
                      ("alloc", lambda: bytearray(200 * 2 ** 20))]:
    try:
        attempt()
        out[name] = "allowed"
    except (OSError, MemoryError) as err:
        out[name] = type(err).__name__ + ":" + str(getattr(err, "errno", ""))
os.write(replies, json.dumps(out).encode())
"""
    env = {**os.environ, "EVALSUITE_SANDBOX_SECRET": SECRET}
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, env=env, timeout=60, check=True
    )
    report = json.loads(done.stdout)
    assert report == {
        "env": {},
        "cwd": "/",
        "open": "OSError:24",  # EMFILE: no descriptor may be opened
        "socket": "OSError:24",
        "alloc": "MemoryError:",
    }
    assert not marker.exists()


def test_the_namespace_layer_holds_without_the_allow_list(sealed: Sealed) -> None:
    """Bypass the AST check and hand a worker code that calls open: the builtin is absent."""
    worker = _Worker.start(memory_mb=256)
    try:
        replies: list[dict] = []
        while not replies:
            replies += worker.read() or []
        assert replies == [{"ready": True}]
        program = f"open({str(sealed.marker)!r}, 'w').write('x')"
        assert worker.dispatch(0, program, cpu_s=2, timeout_s=5)
        while len(replies) < 2:
            replies += worker.read() or []
        assert replies[1]["error_kind"] == "runtime_error"
        assert replies[1]["error_message"] == "line 1: NameError: name 'open' is not defined"
    finally:
        worker.stop()


@pytest.mark.parametrize(
    ("returncode", "kind", "message"),
    [
        (-signal.SIGXCPU, "timeout", "CPU-time limit of 2 s exceeded; the worker was stopped"),
        (-signal.SIGKILL, "crashed", "the worker was killed by SIGKILL (perhaps the system's "
                                     "out-of-memory killer)"),
        (-signal.SIGSEGV, "crashed", "the worker was killed by SIGSEGV"),
        (-200, "crashed", "the worker was killed by signal 200"),
        (3, "crashed", "the worker exited with status 3"),
    ],
)  # fmt: skip
def test_worker_deaths_map_to_error_kinds(returncode: int, kind: str, message: str) -> None:
    result = _death_result(returncode, SandboxConfig(timeout_s=2), elapsed_s=0.5)
    assert result == SandboxResult(False, None, kind, message, 0.5, "")  # type: ignore[arg-type]


# ----------------------------------------------------------------------------- API edges


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"timeout_s": 0}, "timeout_s must be in (0, 3600] seconds, got 0"),
        ({"timeout_s": "2"}, "timeout_s must be in (0, 3600] seconds, got '2'"),
        ({"memory_mb": 10}, "memory_mb must be an integer in [64, 1048576], got 10"),
        ({"cpu_s": 0.5}, "cpu_s must be a whole number of seconds >= 1, got 0.5"),
        ({"n_workers": 0}, "n_workers must be an integer in [1, 256], got 0"),
    ],
)
def test_config_rejects_bad_limits(options: dict, message: str) -> None:
    with pytest.raises(UsageError, match=f"^{re.escape(message)}$"):
        SandboxConfig(**options)


def test_config_defaults() -> None:
    config = SandboxConfig(timeout_s=1.5)
    assert (config.cpu_limit_s, config.memory_mb) == (2, 256)
    assert config.max_workers >= 1


def test_bad_program_types_and_closed_pools_are_refused() -> None:
    with pytest.raises(TypeError, match=r"^programs\[1\] must be str, got NoneType$"):
        run_programs(["ans = 1", None])  # type: ignore[list-item]
    pool = Sandbox()
    pool.close()
    with pytest.raises(RuntimeError, match=r"^this Sandbox is closed$"):
        pool.run(["ans = 1"])


def test_result_json_form() -> None:
    result = run_program("ans = 1 / 0")
    document = result.to_dict()
    assert document == {
        "ok": False,
        "value": None,
        "error": {
            "kind": "runtime_error",
            "message": "line 1: ZeroDivisionError: division by zero",
        },
        "elapsed_s": result.elapsed_s,
        "output": "",
    }
    assert run_program("ans = 2").to_dict()["error"] is None
    assert run_programs([]) == []
