"""SpecAugment frequency and time masking for batches of log-mel spectrograms."""

from __future__ import annotations

from numbers import Integral, Real
from typing import TYPE_CHECKING

from sklearn.base import BaseEstimator
from sklearn.utils._param_validation import Interval

if TYPE_CHECKING:  # torch is imported on first use, so waveform-only users skip it
    import torch


def _iid_masks(
    batch: int, size: int, mask_param: int, n_masks: int, generator: torch.Generator
) -> torch.Tensor:
    """Boolean masks of shape ``(batch, size)``, the union of ``n_masks`` bands each.

    Per example and band, as ``torchaudio.functional.mask_along_axis_iid``:
    ``v ~ U(0, mask_param)``, ``v0 ~ U(0, size - v)``, and the band is
    ``[floor(v0), floor(v0) + floor(v))``. So widths lie in ``[0, mask_param)``.
    ``mask_param`` is capped at ``size`` so the band always fits.
    """
    import torch

    device = generator.device
    max_width = min(mask_param, size)
    value = torch.rand(batch, n_masks, generator=generator, device=device) * max_width
    start = torch.rand(batch, n_masks, generator=generator, device=device) * (
        size - value
    )
    start, width = start.long(), value.long()
    idx = torch.arange(size, device=device)
    hit = (idx >= start[..., None]) & (idx < (start + width)[..., None])
    return hit.any(dim=1)


class SpecAugment(BaseEstimator):
    """Random frequency and time masks on a batch of log-mel spectrograms.

    Each example gets its own masks, drawn from ``generator`` only, so a seeded
    generator reproduces them. Mask widths are uniform in ``[0, freq_mask)`` and
    ``[0, time_mask)`` with torchaudio's ``iid_masks`` rule (see
    ``torchaudio.transforms.FrequencyMasking``). Masked cells are set to ``fill``.
    The inputs are expected already normalised, where 0 is the dataset mean; SSAST
    itself masks before normalising, which fills with the normalised value of 0
    instead.

    Parameters
    ----------
    freq_mask : int, default=24
        Upper bound (exclusive) on the width of each frequency mask, in mel bins;
        0 disables frequency masking.
    time_mask : int, default=48
        Upper bound (exclusive) on the width of each time mask, in frames; 0
        disables time masking.
    n_freq_masks : int, default=1
        Number of frequency masks per example.
    n_time_masks : int, default=1
        Number of time masks per example.
    p : float, default=1.0
        Probability that an example is masked at all.
    fill : float, default=0.0
        Value written into the masked cells.

    Examples
    --------
    >>> import torch
    >>> from sklearn_ssastcl.augment import SpecAugment
    >>> spec = torch.randn(4, 100, 16)
    >>> g = torch.Generator().manual_seed(0)
    >>> SpecAugment(freq_mask=4, time_mask=10)(spec, g).shape
    torch.Size([4, 100, 16])
    """

    _parameter_constraints: dict = {
        "freq_mask": [Interval(Integral, 0, None, closed="left")],
        "time_mask": [Interval(Integral, 0, None, closed="left")],
        "n_freq_masks": [Interval(Integral, 0, None, closed="left")],
        "n_time_masks": [Interval(Integral, 0, None, closed="left")],
        "p": [Interval(Real, 0, 1, closed="both")],
        "fill": [Real],
    }

    def __init__(
        self,
        *,
        freq_mask=24,
        time_mask=48,
        n_freq_masks=1,
        n_time_masks=1,
        p=1.0,
        fill=0.0,
    ):
        self.freq_mask = freq_mask
        self.time_mask = time_mask
        self.n_freq_masks = n_freq_masks
        self.n_time_masks = n_time_masks
        self.p = p
        self.fill = fill

    def __call__(self, spec: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        """Mask a batch.

        Parameters
        ----------
        spec : Tensor of shape (batch, time, n_mels)
            Normalised log-mel spectrograms.
        generator : torch.Generator
            The only source of randomness; its device is used for the draws.

        Returns
        -------
        Tensor of shape (batch, time, n_mels)
            A masked copy of ``spec``.
        """
        import torch

        owner = type(self).__name__
        self._validate_params()
        if not isinstance(spec, torch.Tensor):
            raise TypeError(
                f"{owner} expects a torch.Tensor of shape (batch, time, n_mels); got "
                f"{type(spec).__name__}. Convert with torch.as_tensor first."
            )
        if spec.dim() != 3:
            raise ValueError(
                f"{owner} expects a batch of shape (batch, time, n_mels); got shape "
                f"{tuple(spec.shape)}. Add a batch axis with spec.unsqueeze(0)."
            )
        if not isinstance(generator, torch.Generator):
            raise TypeError(
                f"{owner} needs a torch.Generator; got {type(generator).__name__}. "
                "Pass torch.Generator().manual_seed(seed)."
            )
        batch, n_time, n_mels = spec.shape
        device = generator.device
        freq = torch.zeros(batch, 1, n_mels, dtype=torch.bool, device=device)
        time = torch.zeros(batch, n_time, 1, dtype=torch.bool, device=device)
        if self.freq_mask > 0 and self.n_freq_masks > 0 and n_mels > 0:
            freq = _iid_masks(
                batch, n_mels, self.freq_mask, self.n_freq_masks, generator
            )[:, None, :]
        if self.time_mask > 0 and self.n_time_masks > 0 and n_time > 0:
            time = _iid_masks(
                batch, n_time, self.time_mask, self.n_time_masks, generator
            )[:, :, None]
        if self.p < 1:
            keep = torch.rand(batch, generator=generator, device=device) < self.p
            freq = freq & keep[:, None, None]
            time = time & keep[:, None, None]
        mask = (freq | time).to(spec.device)
        return spec.masked_fill(mask, self.fill)
