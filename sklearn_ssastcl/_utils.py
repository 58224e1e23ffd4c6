"""Small shared helpers: devices, seeds and version reporting."""

from __future__ import annotations

import platform

import numpy as np
from sklearn.utils import check_random_state


def check_device(device: str) -> str:
    """Resolve ``"cpu"``, ``"cuda"``, ``"cuda:N"`` or ``"auto"`` to a device string.

    Parameters
    ----------
    device : str
        The requested device.

    Returns
    -------
    str
        ``"cpu"`` or a CUDA device string.
    """
    import torch

    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cpu":
        return "cpu"
    if isinstance(device, str) and device.startswith("cuda"):
        if not torch.cuda.is_available():
            raise ValueError(
                f"device={device!r} was requested but torch sees no CUDA device. "
                "Use device='cpu' or device='auto'."
            )
        return device
    raise ValueError(
        f"device must be 'cpu', 'cuda', 'cuda:N' or 'auto'; got {device!r} instead."
    )


def seed_from(random_state) -> int:
    """Draw one integer seed in ``[0, 2**31 - 1)`` from ``random_state``."""
    return int(check_random_state(random_state).randint(np.iinfo(np.int32).max))


def machine_info() -> dict:
    """Describe this machine for benchmark results files."""
    import torch

    import sklearn_ssastcl

    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else None
    return {
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "torch_threads": torch.get_num_threads(),
        "gpu": gpu,
        "sklearn_ssastcl": sklearn_ssastcl.__version__,
    }


def show_versions() -> None:
    """Print the versions of the library and its main dependencies."""
    import importlib

    info = machine_info()
    names = ("numpy", "scipy", "sklearn", "skorch", "torchaudio", "pandas", "optuna")
    for name in names:
        try:
            info[name] = importlib.import_module(name).__version__
        except ImportError:  # pragma: no cover - optional at run time
            info[name] = None
    width = max(map(len, info))
    for key, value in info.items():
        print(f"{key:>{width}}: {value}")
