"""Benchmark of start-up: how long a command takes before it is of use. Prints, asserts nothing.

    python -m bench.startup [--runs 5] [--imports]
    python -m bench.startup --smoke      # one run of each, and the imports

Three figures, each the median of ``--runs`` fresh processes (``python -m bot``, so the
working tree's code is what runs):

* ``--help``: from spawning ``rotation-bot --help`` until it has exited (it prints the
  command list and ends; nothing else happens).
* ``chat``: from spawning ``rotation-bot chat`` (a new temporary database, the bundled
  sample) with ``/help`` already waiting on its stdin, until the last line of the bot's
  answer to it has been printed — the prompt, the database, the Application and the
  handlers are all ready by then, and whatever the answer needs has been imported. The
  chat is then ended with end-of-file; its shutdown is not counted.
* ``prompt``: from spawning ``rotation-bot chat`` on a pseudo-terminal (as a person starts
  it) until its prompt ``you> `` is on the screen, where the person starts typing; bot.cli.main
  writes it before importing telegram, pydantic or the database (bot/cli/chat_screen.py). The
  chat is then asked /help and ended with Ctrl-D; neither is counted.

Beside each wall time: the child's CPU time to the same moment (user + system, from
``/proc/PID/stat`` while it runs, or its rusage once it has exited), the heavy modules
(pandas, matplotlib, telegram, exchange_calendars, numpy) it had loaded when it ended — for
the chat, one that was given /help alone — and the load average: on a shared 2-core
machine the wall time is noisy, the CPU time less so. A third line, ``python``, times the
interpreter alone (``python -c pass`` in the same environment): the floor under both.

The project's ``.pyc`` files are written first, as installing rotation-bot does (pip compiles
every module): with ``PYTHONDONTWRITEBYTECODE`` set, as in a development shell or the
Dockerfile, each run would otherwise compile the bot's ~90 modules from source, a cost no
installed copy pays. ``--imports`` then runs the chat's /help once under ``-X importtime``
and prints what its start imports, top-level modules by their cumulative time, and the CPU
of the libraries no answer from the real Application on the real database can do without.
"""

from __future__ import annotations

import argparse
import compileall
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from bench._common import ROOT, bench_parser

HEAVY = ("pandas", "matplotlib", "telegram", "exchange_calendars", "numpy")
ANSWERED = "/stop"
"""The /help answer lists every command, /stop last: once its line is out, the answer is."""
PROBE = (
    "import atexit, sys\n"
    "atexit.register(lambda: sys.stderr.write('LOADED ' + ' '.join(m for m in {heavy!r} "
    "if m in sys.modules) + '\\n'))\n"
    "from bot.cli.main import main\n"
    "sys.exit(main())\n"
)


def child_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env.pop("TELEGRAM_BOT_TOKEN", None)
    return env


def cpu_of(pid: int) -> float | None:
    """User + system seconds of a running process (Linux), or None."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def time_help() -> tuple[float, float, str]:
    """Wall and CPU seconds of ``rotation-bot --help``, and the heavy modules it loaded."""
    before = children_cpu()
    t0 = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", PROBE.format(heavy=HEAVY), "--help"],
        capture_output=True,
        text=True,
        env=child_env(),
        cwd=ROOT,
        check=True,
    )
    wall = time.perf_counter() - t0
    return wall, children_cpu() - before, loaded(done.stderr)


def time_python() -> tuple[float, float, str]:
    """Wall and CPU seconds of the interpreter alone, in the children's environment."""
    before = children_cpu()
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", "pass"], env=child_env(), cwd=ROOT, check=True)
    return time.perf_counter() - t0, children_cpu() - before, "none of them"


def time_chat(folder: Path, run: int) -> tuple[float, float, str]:
    """Wall and CPU seconds from spawning ``rotation-bot chat`` to its answer to /help."""
    db, charts = folder / f"chat-{run}.sqlite", folder / f"charts-{run}"
    t0 = time.perf_counter()
    command = [sys.executable, "-c", PROBE.format(heavy=HEAVY), "chat", "--db", str(db)]
    proc = subprocess.Popen(
        [*command, "--charts", str(charts)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=child_env(),
        cwd=folder,
    )
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write("/help\n")
    proc.stdin.flush()
    lines = []
    for line in proc.stdout:
        lines.append(line)
        if ANSWERED in line:
            break
    else:
        raise SystemExit(f"chat ended without answering /help:\n{''.join(lines)}")
    wall = time.perf_counter() - t0
    cpu = cpu_of(proc.pid)
    proc.stdin.close()  # end of file: the chat ends
    proc.stdin = None  # already closed: communicate() must not flush it
    _, err = proc.communicate(timeout=120)
    return wall, cpu if cpu is not None else float("nan"), loaded(err)


def time_prompt(folder: Path, run: int) -> tuple[float, float, str]:
    """Wall and CPU seconds from spawning ``rotation-bot chat`` on a pseudo-terminal until its
    prompt is on the screen (what a person at a terminal waits for before typing); then
    Ctrl-D ends it, once it is up (its start is not cut short)."""
    import pty
    import select

    db, charts = folder / f"prompt-{run}.sqlite", folder / f"charts-p{run}"
    main, child = pty.openpty()
    t0 = time.perf_counter()
    command = [sys.executable, "-c", PROBE.format(heavy=HEAVY), "chat", "--db", str(db)]
    proc = subprocess.Popen(
        [*command, "--charts", str(charts)],
        stdin=child, stdout=child, stderr=subprocess.PIPE, text=True, env=child_env(), cwd=folder,
    )  # fmt: skip
    os.close(child)
    shown = b""
    try:
        while b"you> " not in shown:
            if proc.poll() is not None:
                raise SystemExit(f"chat ended before its prompt:\n{shown.decode()}")
            if select.select([main], [], [], 1)[0]:
                shown += os.read(main, 4096)
        wall = time.perf_counter() - t0
        cpu = cpu_of(proc.pid)
        os.write(main, b"/help\n")
        while b"/stop" not in shown:  # up and answering: now Ctrl-D ends it
            if proc.poll() is not None:
                raise SystemExit(f"chat ended before answering /help:\n{shown.decode()}")
            if select.select([main], [], [], 1)[0]:
                shown += os.read(main, 4096)
        os.write(main, b"\x04")
        _, err = proc.communicate(timeout=120)
    finally:
        os.close(main)
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return wall, cpu if cpu is not None else float("nan"), loaded(err)


def chat_imports(folder: Path, top: int = 14) -> None:
    """The chat's start to its /help answer under ``-X importtime``: top-level imports."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "bot", "chat", "--db", str(folder / "i.sqlite")],
        input="/help\n",
        capture_output=True,
        text=True,
        env=child_env(),
        cwd=folder,
        check=True,
    )
    rows = []
    for line in done.stderr.splitlines():
        fields = line.removeprefix("import time:").split("|")
        top_level = len(fields) == 3 and fields[2][:1] == " " and fields[2][:2] != "  "
        if top_level and fields[1].strip().isdigit():
            rows.append((int(fields[1]), fields[2].strip()))
    total = sum(us for us, _ in rows)
    print(f"chat's imports under -X importtime (its own overhead included): {total / 1000:.0f} ms")
    for us, name in sorted(rows, reverse=True)[:top]:
        print(f"  {us / 1000:6.0f} ms  {name}")


FLOOR = ("asyncio", "pydantic", "pydantic_settings", "telegram", "telegram.ext", "storage")
"""What the chat's /help cannot be answered without, in the order it imports them: the event
loop, the settings' library, python-telegram-bot for the real Application and handlers, and
storage/ (sqlite-utils) for the real database."""


def floor_cpu() -> None:
    """CPU to import each of :data:`FLOOR` in a fresh process, one after the other (median of
    3 processes; no ``-X importtime`` overhead)."""
    code = (
        "import sys, time\n"
        "for name in sys.argv[1:]:\n"
        "    t = time.process_time()\n"
        "    __import__(name)\n"
        "    print(name, time.process_time() - t)\n"
    )
    runs = []
    for _ in range(3):
        done = subprocess.run(
            [sys.executable, "-c", code, *FLOOR],
            capture_output=True,
            text=True,
            env=child_env(),
            cwd=ROOT,
            check=True,
        )
        runs.append([float(line.split()[1]) for line in done.stdout.splitlines()])
    cpu = [statistics.median(r[i] for r in runs) for i in range(len(FLOOR))]
    print(f"imports no chat can answer without, CPU (median of 3): {sum(cpu) * 1000:.0f} ms")
    for name, seconds in zip(FLOOR, cpu, strict=True):
        print(f"  {seconds * 1000:6.0f} ms  {name}")


def compile_project() -> None:
    """Write the .pyc files of the project's packages, as installing it does."""
    for package in ("bot", "market", "signals", "storage"):
        compileall.compile_dir(ROOT / package, quiet=1)


def loaded(stderr: str) -> str:
    for line in stderr.splitlines():
        if line.startswith("LOADED"):
            return line.removeprefix("LOADED").strip() or "none of them"
    return "?"


def report(name: str, runs: list[tuple[float, float, str]]) -> None:
    walls, cpus = [r[0] for r in runs], [r[1] for r in runs]
    print(
        f"{name:<8} median of {len(runs)}: {statistics.median(walls) * 1000:6.0f} ms wall, "
        f"{statistics.median(cpus) * 1000:6.0f} ms CPU   "
        f"(wall {' '.join(f'{w * 1000:.0f}' for w in walls)} ms; "
        f"load {' '.join(f'{x:.2f}' for x in os.getloadavg())})"
    )
    print(f"{'':<8} heavy modules loaded by the end of the run: {runs[-1][2]}")


def build_parser() -> argparse.ArgumentParser:
    parser = bench_parser(__file__, __doc__, "one run of each, --imports too")
    parser.add_argument("--runs", type=int, default=5, help="processes per figure (default 5)")
    parser.add_argument("--imports", action="store_true", help="then the chat's imports, timed")
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    if args.smoke:
        args.runs, args.imports = 1, True
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores")
    compile_project()
    time_help()  # warm the file cache once
    report("python", [time_python() for _ in range(args.runs)])
    report("--help", [time_help() for _ in range(args.runs)])
    with tempfile.TemporaryDirectory(prefix="rotation-bot-startup-") as tmp:
        time_chat(Path(tmp), 0)
        report("chat", [time_chat(Path(tmp), n) for n in range(1, args.runs + 1)])
        report("prompt", [time_prompt(Path(tmp), n) for n in range(1, args.runs + 1)])
        if args.imports:
            chat_imports(Path(tmp))
            floor_cpu()


if __name__ == "__main__":
    main()
