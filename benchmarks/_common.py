"""Shared toolkit of the benchmark scripts: corpus, timing, memory, results files.

* :func:`corpus_dir`: the spoofcorpus-dev folder (``--corpus``, else the
  ``SSASTCL_CORPUS`` environment variable, else ``../shared/data/spoofcorpus-dev``
  next to the repository), checked;
* :class:`Stopwatch` and :func:`time_call`: wall time of a block, seconds per call;
* :func:`peak_rss_mib`: peak resident memory of this process or its children;
* :func:`matmul_rates` and :func:`matmul_rate`: the ``torch.mm`` rate probe;
* :func:`run_fresh` and :func:`print_result`: one measurement in a fresh process;
* :func:`pyplot`: matplotlib for figure files;
* :class:`ResultsWriter`: the one writer of ``<name>_<UTC stamp>.json`` / ``.md``,
  stamping machine, command line, git commit and time.

Only the standard library is imported here; torch is imported when needed.
"""

from __future__ import annotations

import json
import math
import os
import platform
import shlex
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "benchmarks" / "results"
CORPUS_ENV = "SSASTCL_CORPUS"
DEFAULT_CORPUS = REPO.parent / "shared" / "data" / "spoofcorpus-dev"
RESULT_PREFIX = "RESULT "

__all__ = [
    "CORPUS_ENV",
    "DEFAULT_CORPUS",
    "REPO",
    "RESULTS",
    "ResultsWriter",
    "Stopwatch",
    "command_line",
    "corpus_dir",
    "default_corpus",
    "flac_paths",
    "git_state",
    "machine_info",
    "matmul_rate",
    "matmul_rates",
    "peak_rss_mib",
    "print_result",
    "pyplot",
    "run_fresh",
    "time_call",
    "utc_stamp",
]


# ------------------------------------------------------------------ corpus
def default_corpus() -> Path:
    """The corpus folder used when no ``--corpus`` is given.

    Returns
    -------
    pathlib.Path
        ``$SSASTCL_CORPUS`` when that variable is set and not empty, else
        :data:`DEFAULT_CORPUS` (``../shared/data/spoofcorpus-dev`` next to the
        repository).
    """
    value = os.environ.get(CORPUS_ENV, "").strip()
    return Path(value).expanduser() if value else DEFAULT_CORPUS


def corpus_dir(path: str | os.PathLike | None = None) -> Path:
    """The spoofcorpus-dev folder, checked to hold its ``LA`` folder.

    Parameters
    ----------
    path : str or path-like, default=None
        The folder given on the command line; ``None`` takes
        :func:`default_corpus`.

    Returns
    -------
    pathlib.Path
        The corpus folder.

    Raises
    ------
    FileNotFoundError
        If the folder or its ``LA`` subfolder does not exist; the message names
        the ``SSASTCL_CORPUS`` variable and the ``--corpus`` option.
    """
    root = default_corpus() if path is None else Path(path).expanduser()
    if not (root / "LA").is_dir():
        if path is not None:
            source = "given on the command line"
        elif os.environ.get(CORPUS_ENV, "").strip():
            source = f"from {CORPUS_ENV}"
        else:
            source = f"the default; {CORPUS_ENV} is not set"
        raise FileNotFoundError(
            f"spoofcorpus-dev not found at {str(root)!r} ({source}): that folder "
            f"has no 'LA' subfolder. Set the {CORPUS_ENV} environment variable to "
            "the corpus folder (the one holding LA/ and keys/), or pass --corpus."
        )
    return root


def flac_paths(root: str | os.PathLike, parts: Sequence[str]) -> list[str]:
    """FLAC files of the given parts (``"train"``, ``"dev"``, ``"eval"``), sorted.

    Parameters
    ----------
    root : str or path-like
        The corpus folder (see :func:`corpus_dir`).
    parts : sequence of str
        The parts, in the order their files are listed.

    Returns
    -------
    list of str
        Paths of ``LA/ASVspoof2019_LA_<part>/flac/*.flac``, sorted within a part.
    """
    paths: list[str] = []
    for part in parts:
        folder = Path(root) / "LA" / f"ASVspoof2019_LA_{part}" / "flac"
        paths += sorted(str(p) for p in folder.glob("*.flac"))
    return paths


# ------------------------------------------------------------------ timing
class Stopwatch:
    """Wall time of a ``with`` block, in seconds (``time.perf_counter``).

    Parameters
    ----------
    sync : callable, default=None
        Called on entry and exit (e.g. ``torch.cuda.synchronize``), so that
        queued device work is counted.

    Examples
    --------
    >>> with Stopwatch() as sw:
    ...     _ = sum(range(1000))
    >>> sw.seconds >= 0
    True
    """

    def __init__(self, sync: Callable[[], Any] | None = None) -> None:
        self.sync = sync
        self.seconds = float("nan")
        self._start = 0.0

    def __enter__(self) -> Stopwatch:
        if self.sync is not None:
            self.sync()
        self._start = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.sync is not None:
            self.sync()
        self.seconds = time.perf_counter() - self._start


def time_call(
    fn: Callable[[], Any],
    min_time: float = 0.0,
    *,
    warmup: int = 1,
    sync: Callable[[], Any] | None = None,
) -> float:
    """Seconds per call of ``fn``: warm up, then loop for about ``min_time`` s.

    After ``warmup`` calls, one timed call estimates the cost. If it took at least
    ``min_time``, its time is returned; otherwise ``ceil(min_time / cost)`` calls
    run back to back and their mean is returned. ``sync`` is called before and
    after each timing (device work is asynchronous).

    Parameters
    ----------
    fn : callable
        The call to time, without arguments.
    min_time : float, default=0.0
        Least seconds of timed calls.
    warmup : int, default=1
        Untimed calls first.
    sync : callable, default=None
        E.g. ``lambda: torch.cuda.synchronize(device)``.

    Returns
    -------
    float
        Seconds per call.
    """
    for _ in range(warmup):
        fn()
    with Stopwatch(sync) as one:
        fn()
    cost = max(one.seconds, 1e-9)
    if cost >= min_time:
        return cost
    calls = math.ceil(min_time / cost)
    with Stopwatch(sync) as loop:
        for _ in range(calls):
            fn()
    return loop.seconds / calls


# ------------------------------------------------------------------ memory
def peak_rss_mib(children: bool = False) -> float:
    """Peak resident memory so far, in MiB.

    For this process, ``VmHWM`` of ``/proc/self/status`` where it exists (Linux):
    the peak of this process's own memory since it started. ``getrusage``'s
    ``ru_maxrss`` is not used there because a process started by
    ``subprocess`` (or a ``spawn`` pool) inherits its parent's peak in it: a
    fresh child of a 600 MiB parent reports at least 600 MiB. Elsewhere, and for
    children, ``ru_maxrss`` (KiB on Linux, bytes on macOS).

    Parameters
    ----------
    children : bool, default=False
        ``False``: this process; ``True``: the largest ``ru_maxrss`` of its
        waited-for child processes (e.g. DataLoader workers; each counts at
        least the RSS of this process when it was forked).

    Returns
    -------
    float
        MiB.
    """
    import resource

    if not children:
        try:
            for line in Path("/proc/self/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024  # kB
        except (OSError, ValueError, IndexError):
            pass
    who = resource.RUSAGE_CHILDREN if children else resource.RUSAGE_SELF
    value = resource.getrusage(who).ru_maxrss
    return value / 2**20 if sys.platform == "darwin" else value / 1024


# ------------------------------------------------------------------ matmul
def matmul_rates(
    n: int,
    *,
    repeats: int = 3,
    device: str = "cpu",
    dtype: Any = None,
    min_time: float = 0.0,
    warmup: int = 1,
) -> list[float]:
    """GFLOP/s of ``torch.mm`` on two ``n x n`` matrices, one rate per repeat.

    Parameters
    ----------
    n : int
        Matrix size (``2 n^3`` FLOPs per product).
    repeats : int, default=3
        Timings (see :func:`time_call`).
    device : str, default="cpu"
        Torch device; CUDA work is synchronised around each timing.
    dtype : torch.dtype, default=None
        ``None``: float32.
    min_time : float, default=0.0
        Least seconds per timing.
    warmup : int, default=1
        Untimed products before the first timing.

    Returns
    -------
    list of float
        GFLOP/s of each repeat.
    """
    import torch

    gen = torch.Generator(device=device).manual_seed(0)
    a = torch.randn(n, n, device=device, generator=gen).to(dtype or torch.float32)
    b = torch.randn(n, n, device=device, generator=gen).to(dtype or torch.float32)
    sync = None
    if torch.device(device).type == "cuda":

        def sync() -> None:
            torch.cuda.synchronize(device)

    rates = []
    for i in range(repeats):
        sec = time_call(
            lambda: torch.mm(a, b), min_time, warmup=warmup if i == 0 else 0, sync=sync
        )
        rates.append(2 * n**3 / sec / 1e9)
    return rates


def matmul_rate(n: int, reps: int = 3) -> float:
    """GFLOP/s of ``torch.mm`` on two ``n x n`` fp32 CPU matrices (best of ``reps``).

    Parameters
    ----------
    n : int
        Matrix size.
    reps : int, default=3
        Single-product timings after one warm-up product.

    Returns
    -------
    float
        The best rate, in GFLOP/s.
    """
    return max(matmul_rates(n, repeats=reps))


def pyplot() -> Any:
    """``matplotlib.pyplot`` on the non-interactive Agg backend (figures to files)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


# -------------------------------------------------------- fresh processes
def print_result(result: Any) -> None:
    """Print ``result`` as the JSON line that :func:`run_fresh` reads back."""
    print(RESULT_PREFIX + json.dumps(result), flush=True)


def run_fresh(script: str | os.PathLike, args: Sequence[str]) -> Any:
    """Run ``python script *args`` in a fresh process; return what it printed.

    The child prints its result with :func:`print_result`; a fresh process makes
    its peak memory its own.

    Parameters
    ----------
    script : str or path-like
        The script to run (usually the caller's ``__file__``).
    args : sequence of str
        Its arguments.

    Returns
    -------
    object
        The JSON value of the child's last ``RESULT`` line.

    Raises
    ------
    RuntimeError
        If the child fails or prints no result; the message ends with its stderr.
    """
    cmd = [sys.executable, str(Path(script).resolve()), *map(str, args)]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    lines = [ln for ln in done.stdout.splitlines() if ln.startswith(RESULT_PREFIX)]
    if done.returncode or not lines:
        raise RuntimeError(
            f"{shlex.join(cmd)} failed (exit status {done.returncode}, "
            f"{len(lines)} result lines); its stderr ends with:\n"
            f"{done.stderr[-3000:]}"
        )
    return json.loads(lines[-1][len(RESULT_PREFIX) :])


# --------------------------------------------------------------- provenance
def utc_stamp(moment: datetime | None = None) -> str:
    """``YYYYmmddTHHMMSSZ`` of ``moment`` (default: now), the results-file stamp."""
    return (moment or datetime.now(timezone.utc)).strftime("%Y%m%dT%H%M%SZ")


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_info(device: str = "cpu") -> dict[str, Any]:
    """Describe this machine for a results file.

    Parameters
    ----------
    device : str, default="cpu"
        The torch device measured; on a CUDA device its name, compute
        capability, memory and the CUDA / cuDNN versions are added.

    Returns
    -------
    dict
        ``platform``, ``processor``, ``cpu_model``, ``cpu_count`` (logical CPUs),
        ``cpus_usable`` (this process's affinity), ``python``, ``torch``,
        ``torch_threads``, ``device``, ``gpu`` (first CUDA device or ``None``),
        ``sklearn_ssastcl`` and, on CUDA, ``gpu_name``, ``gpu_capability``,
        ``gpu_total_mem_mib``, ``cuda``, ``cudnn``.
    """
    import torch

    try:
        import sklearn_ssastcl

        version = sklearn_ssastcl.__version__
    except ImportError:  # pragma: no cover - scripts run from a bare checkout
        version = None
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        usable = os.cpu_count()
    cuda = torch.cuda.is_available()
    info: dict[str, Any] = {
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpu_model": _cpu_model(),
        "cpu_count": os.cpu_count(),
        "cpus_usable": usable,
        "python": platform.python_version(),
        "torch": torch.__version__,
        "torch_threads": torch.get_num_threads(),
        "device": str(device),
        "gpu": torch.cuda.get_device_name(0) if cuda else None,
        "sklearn_ssastcl": version,
    }
    if torch.device(device).type == "cuda":
        props = torch.cuda.get_device_properties(device)
        info |= {
            "gpu_name": torch.cuda.get_device_name(device),
            "gpu_capability": list(torch.cuda.get_device_capability(device)),
            "gpu_total_mem_mib": props.total_memory / 2**20,
            "cuda": torch.version.cuda,
            "cudnn": torch.backends.cudnn.version(),
        }
    return info


def git_state(repo: str | os.PathLike = REPO) -> dict[str, Any]:
    """The commit of the code measured, and whether tracked files had changes.

    Parameters
    ----------
    repo : str or path-like, default=REPO
        A folder inside the git work tree.

    Returns
    -------
    dict
        ``commit`` (full hash, ``None`` outside git), ``dirty`` (any tracked file
        changed, ``None`` outside git) and ``changed_files`` (their paths).
    """

    def git(*cmd: str) -> str | None:
        try:
            done = subprocess.run(
                ["git", *cmd], cwd=repo, capture_output=True, text=True, check=False
            )
        except OSError:
            return None
        return done.stdout if done.returncode == 0 else None

    commit = git("rev-parse", "HEAD")
    status = git("status", "--porcelain", "--untracked-files=no")
    if commit is None or status is None:
        return {"commit": None, "dirty": None, "changed_files": []}
    changed = [line[3:] for line in status.splitlines() if line.strip()]
    return {"commit": commit.strip(), "dirty": bool(changed), "changed_files": changed}


def command_line(script: str | os.PathLike, argv: Sequence[str] | None = None) -> str:
    """The command that ran ``script``, as one shell line from the repository root.

    Parameters
    ----------
    script : str or path-like
        The benchmark script (usually its ``__file__``).
    argv : sequence of str, default=None
        Its arguments; ``None`` takes ``sys.argv[1:]`` (the real command line).

    Returns
    -------
    str
        E.g. ``python benchmarks/bench_speed.py --quick --out /tmp/speed``.
    """
    path = Path(script).resolve()
    try:
        shown = path.relative_to(REPO).as_posix()
    except ValueError:
        shown = str(path)
    args = sys.argv[1:] if argv is None else list(argv)
    return shlex.join(["python", shown, *map(str, args)])


class ResultsWriter:
    """The one writer of a benchmark's results files, with their provenance.

    Created when a run starts (that fixes the UTC stamp of its files and the load
    average at start); :meth:`write` adds the machine, the command line, the git
    commit (and whether tracked files had changes) and the time, then writes
    ``<out>/<name>_<stamp>.json`` and, given markdown, ``.md``.

    Parameters
    ----------
    name : str
        File prefix, e.g. ``"speed"`` for ``speed_<stamp>.json``.
    script : str or path-like
        The benchmark script (its ``__file__``), for the command line.
    argv : sequence of str, default=None
        The script's arguments (``None``: ``sys.argv[1:]``).
    out : str or path-like, default=None
        The results folder (created when writing); ``None``: ``benchmarks/results``.
    device : str, default="cpu"
        The torch device measured, described in ``machine``.

    Attributes
    ----------
    stamp : str
        ``YYYYmmddTHHMMSSZ`` at creation.
    started_utc : str
        ISO time at creation.
    command : str
        See :func:`command_line`.
    loadavg_start : list of float
        1, 5 and 15 min load average at creation.
    """

    def __init__(
        self,
        name: str,
        script: str | os.PathLike,
        argv: Sequence[str] | None = None,
        *,
        out: str | os.PathLike | None = None,
        device: str = "cpu",
    ) -> None:
        now = datetime.now(timezone.utc)
        self.name = name
        self.out = Path(RESULTS if out is None else out)
        self.device = device
        self.stamp = utc_stamp(now)
        self.started_utc = now.isoformat(timespec="seconds")
        self.command = command_line(script, argv)
        self.loadavg_start = _loadavg()

    def path(self, suffix: str = ".json", name: str | None = None) -> Path:
        """``<out>/<name>_<stamp><suffix>`` (``name`` defaults to the writer's)."""
        return self.out / f"{name or self.name}_{self.stamp}{suffix}"

    def provenance(self) -> dict[str, Any]:
        """The fields :meth:`write` puts first in every JSON record."""
        return {
            "benchmark": self.name,
            "stamp": self.stamp,
            "started_utc": self.started_utc,
            "written_utc": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "command": self.command,
            "python_executable": sys.executable,
            "git": git_state(),
            "machine": machine_info(self.device),
            "loadavg_start": self.loadavg_start,
            "loadavg_end": _loadavg(),
        }

    def header(self, record: dict[str, Any]) -> str:
        """Markdown lines naming the machine, the code, the time and the command."""
        m, git = record["machine"], record["git"]
        gpu = f" ({m['gpu_name']})" if m.get("gpu_name") else ""
        if git["commit"] is None:
            code = "Code: not a git checkout"
        else:
            changes = (
                f"uncommitted changes in {len(git['changed_files'])} tracked files"
                if git["dirty"]
                else "no uncommitted changes"
            )
            code = f"Code: commit {git['commit'][:10]} ({changes})"
        return (
            f"Machine: {m['cpu_model']}, {m['cpu_count']} CPUs "
            f"({m['cpus_usable']} usable), {m['platform']}, Python {m['python']}, "
            f"torch {m['torch']} ({m['torch_threads']} thread(s)), "
            f"device {m['device']}{gpu}.\n"
            f"{code}; written {record['written_utc']}.\n"
            f"Command: `{record['command']}`\n"
        )

    def write(
        self,
        record: dict[str, Any],
        markdown: str | Callable[[dict[str, Any]], str] | None = None,
        *,
        title: str | None = None,
        name: str | None = None,
        indent: int | None = 2,
    ) -> Path:
        """Write the JSON record (and the markdown) with their provenance.

        Parameters
        ----------
        record : dict
            The results (paths and other non-JSON values are written with
            ``str``); the provenance fields (``benchmark``, ``stamp``,
            ``command``, ``git``, ``machine``, ...) go first. A ``machine`` dict
            in ``record`` is merged into the writer's.
        markdown : str or callable, default=None
            The body of the ``.md`` file, or a function of the full record that
            returns it; ``None`` writes the JSON only.
        title : str, default=None
            A first ``# title`` line of the markdown.
        name : str, default=None
            Another file prefix with the same stamp (e.g. ``"eer_runs"``).
        indent : int or None, default=2
            JSON indentation.

        Returns
        -------
        pathlib.Path
            The JSON file.
        """
        prov = self.provenance()
        full = {**prov, **record}
        full["machine"] = prov["machine"] | record.get("machine", {})
        self.out.mkdir(parents=True, exist_ok=True)
        path = self.path(".json", name)
        path.write_text(json.dumps(full, indent=indent, default=str) + "\n")
        if markdown is not None:
            body = markdown(full) if callable(markdown) else markdown
            text = (f"# {title}\n\n" if title else "") + self.header(full)
            path.with_suffix(".md").write_text(text + "\n" + body.rstrip("\n") + "\n")
        return path


def _loadavg() -> list[float]:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:  # pragma: no cover - not available
        return []
