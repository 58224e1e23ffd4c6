"""``plot_saliency``: a saliency map over its spectrogram (public in ``plotting``)."""

from __future__ import annotations

import numpy as np


def plot_saliency(
    spectrogram,
    saliency,
    *,
    frame_shift: float | None = None,
    ax=None,
    alpha: float = 0.8,
    cmap: str | None = None,
    colorbar: bool = True,
):
    """Draw a spectrogram in grey with a saliency map over it.

    Time runs along x, mel bins along y. The map is drawn with a colour scale
    symmetric about 0 for a signed map (``cmap`` ``"RdBu_r"``: red for positive,
    e.g. evidence for spoof with :func:`~sklearn_ssastcl.saliency.saliency_map`'s
    ``"grad_x_input"``) and from 0 for a non-negative one (``"magma"``); each
    bin's opacity grows with its magnitude, so that the spectrogram shows
    through where the map is near 0.

    Parameters
    ----------
    spectrogram : array-like of shape (n_frames, n_mels)
        One clip's spectrogram (the model's input).
    saliency : array-like of shape (n_frames, n_mels)
        Its map, e.g. one of :func:`~sklearn_ssastcl.saliency.saliency_map`.
    frame_shift : float, default=None
        Seconds between frames (0.01 for ``LogMel``): time axis in seconds;
        None labels frames.
    ax : matplotlib Axes, default=None
        Where to draw; a new figure when None.
    alpha : float, default=0.8
        Opacity of the map's largest magnitude.
    cmap : str, default=None
        Colormap of the map; None picks as described above.
    colorbar : bool, default=True
        Add a colorbar of the map.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes drawn on (the map's image has ``gid="saliency"``).
    """
    spec = np.asarray(spectrogram, dtype=np.float64)
    sal = np.asarray(saliency, dtype=np.float64)
    if spec.ndim != 2 or sal.shape != spec.shape:
        raise ValueError(
            "spectrogram and saliency must be 2-D arrays of the same shape "
            f"(n_frames, n_mels); got {spec.shape} and {sal.shape}. Pass one clip "
            "(e.g. maps[i]), not a batch."
        )
    if not np.isfinite(sal).all():
        raise ValueError("saliency holds NaN or infinite values.")
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots()
    n_frames, n_mels = spec.shape
    width = n_frames if frame_shift is None else n_frames * frame_shift
    extent = (0, width, 0, n_mels)
    ax.imshow(spec.T, origin="lower", aspect="auto", cmap="gray", extent=extent)
    peak = float(np.abs(sal).max()) or 1.0
    signed = bool((sal < 0).any())
    if cmap is None:
        cmap = "RdBu_r" if signed else "magma"
    image = ax.imshow(
        sal.T,
        origin="lower",
        aspect="auto",
        cmap=cmap,
        vmin=-peak if signed else 0.0,
        vmax=peak,
        alpha=alpha * np.abs(sal.T) / peak,
        extent=extent,
        gid="saliency",
    )
    if colorbar:
        ax.figure.colorbar(image, ax=ax, label="saliency")
    ax.set_xlabel("Time (s)" if frame_shift is not None else "Frame")
    ax.set_ylabel("Mel bin")
    return ax
