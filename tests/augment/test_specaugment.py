"""SpecAugment: torchaudio equivalence, mask geometry, reproducibility, errors."""

from __future__ import annotations

import pytest
import torch
import torchaudio.functional as AF

from sklearn_ssastcl.augment import SpecAugment


def _masked_bands(out: torch.Tensor, fill: float = 0.0):
    """Per example: masked frequency bins and frames (rows/columns all ``fill``)."""
    hit = out == fill
    return hit.all(dim=1), hit.all(dim=2), hit  # (b, n_mels), (b, time), (b, t, f)


def _contiguous_len(flags: torch.Tensor) -> int:
    idx = torch.nonzero(flags).flatten()
    if len(idx) == 0:
        return 0
    assert int(idx[-1] - idx[0] + 1) == len(idx), "mask is not one contiguous band"
    return len(idx)


@pytest.mark.parametrize("seed", [0, 1, 7])
def test_equals_torchaudio_iid_masks_with_the_same_stream(seed):
    spec = torch.randn(6, 50, 20) + 5  # no zeros in the input
    got = SpecAugment(freq_mask=8, time_mask=12)(
        spec, torch.Generator().manual_seed(seed)
    )
    with torch.random.fork_rng():
        torch.manual_seed(seed)  # torchaudio draws from the global generator
        ref = AF.mask_along_axis_iid(spec.transpose(1, 2), 8, 0.0, axis=1)
        ref = AF.mask_along_axis_iid(ref, 12, 0.0, axis=2).transpose(1, 2)
    torch.testing.assert_close(got, ref, rtol=0, atol=0)


def test_masks_stay_within_drawn_widths_and_differ_across_examples():
    spec = torch.ones(64, 40, 16)
    gen = torch.Generator().manual_seed(0)
    out = SpecAugment(freq_mask=6, time_mask=10, fill=-3.0)(spec, gen)
    freq, time, hit = _masked_bands(out, fill=-3.0)
    widths_f = [_contiguous_len(freq[i]) for i in range(64)]
    widths_t = [_contiguous_len(time[i]) for i in range(64)]
    assert max(widths_f) < 6 and max(widths_t) < 10
    assert len(set(widths_f)) > 3 and len(set(widths_t)) > 3
    # Every filled cell lies in a masked frame or a masked mel bin, nothing else.
    torch.testing.assert_close(hit, freq[:, None, :] | time[:, :, None])
    starts = {int(torch.nonzero(freq[i])[0]) for i in range(64) if freq[i].any()}
    assert len(starts) > 3
    assert torch.equal(spec, torch.ones(64, 40, 16))  # input left unchanged


def test_reproducible_with_seeded_generator():
    spec = torch.randn(8, 30, 12)
    aug = SpecAugment(freq_mask=5, time_mask=8, n_freq_masks=2, n_time_masks=2)
    a = aug(spec, torch.Generator().manual_seed(3))
    b = aug(spec, torch.Generator().manual_seed(3))
    c = aug(spec, torch.Generator().manual_seed(4))
    assert torch.equal(a, b) and not torch.equal(a, c)


def test_global_torch_rng_is_untouched():
    spec = torch.randn(2, 100, 16)
    state = torch.get_rng_state()
    SpecAugment(p=0.5)(spec, torch.Generator().manual_seed(0))
    assert torch.equal(state, torch.get_rng_state())


def test_several_masks_cover_at_most_their_total_width():
    spec = torch.ones(32, 200, 64)
    out = SpecAugment(freq_mask=5, time_mask=7, n_freq_masks=3, n_time_masks=2)(
        spec, torch.Generator().manual_seed(0)
    )
    freq, time, _ = _masked_bands(out)
    assert int(freq.sum(dim=1).max()) <= 3 * 4
    assert int(time.sum(dim=1).max()) <= 2 * 6


@pytest.mark.parametrize(
    "params",
    [{"freq_mask": 0, "time_mask": 0}, {"p": 0.0}, {"n_freq_masks": 0, "time_mask": 0}],
)
def test_disabled_masking_is_identity(params):
    spec = torch.randn(4, 30, 12)
    out = SpecAugment(**params)(spec, torch.Generator().manual_seed(0))
    assert torch.equal(out, spec)


def test_probability_masks_only_some_examples():
    spec = torch.ones(200, 40, 16)
    out = SpecAugment(freq_mask=8, time_mask=10, p=0.5)(
        spec, torch.Generator().manual_seed(0)
    )
    touched = (out == 0).flatten(1).any(dim=1).float().mean().item()
    assert 0.25 < touched < 0.55  # p times the chance a width is non-zero


def test_mask_wider_than_axis_is_capped():
    spec = torch.ones(16, 5, 4)
    out = SpecAugment(freq_mask=100, time_mask=100)(
        spec, torch.Generator().manual_seed(0)
    )
    assert out.shape == spec.shape
    assert (out == 0).any()


def test_default_masks_fit_ssast_input():
    spec = torch.randn(2, 400, 128)
    out = SpecAugment()(spec, torch.Generator().manual_seed(0))
    assert out.shape == (2, 400, 128) and out.dtype == spec.dtype


@pytest.mark.parametrize(
    ("spec", "generator", "exc", "match"),
    [
        (torch.zeros(10, 8), torch.Generator(), ValueError, r"shape \(10, 8\)"),
        ([[[0.0]]], torch.Generator(), TypeError, "got list"),
        (torch.zeros(1, 10, 8), 0, TypeError, r"torch.Generator\(\).manual_seed"),
    ],
)
def test_bad_inputs(spec, generator, exc, match):
    with pytest.raises(exc, match=match):
        SpecAugment()(spec, generator)


@pytest.mark.parametrize(
    "params", [{"freq_mask": -1}, {"time_mask": 2.5}, {"p": 1.5}, {"fill": "zero"}]
)
def test_bad_parameters(params):
    with pytest.raises(ValueError, match=f"'{next(iter(params))}' parameter"):
        SpecAugment(**params)(torch.zeros(1, 10, 8), torch.Generator())
