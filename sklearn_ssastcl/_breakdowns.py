"""EER per attack and per group (codec, channel), with the pooled EER."""

from __future__ import annotations

from numbers import Real

import numpy as np
import numpy.typing as npt
from sklearn.utils._param_validation import validate_params

from sklearn_ssastcl._eer import compute_eer
from sklearn_ssastcl._score_checks import _as_scores, _split_scores


def _breakdown(y, s, keys, pos_label, index_name):
    import pandas as pd

    rows = {}
    for key, (bona, spoof) in keys.items():
        rows[key] = {
            "n_bonafide": int(bona.size),
            "n_spoof": int(spoof.size),
            "eer": compute_eer(bona, spoof)[0],
        }
    is_bona = y == pos_label
    rows["pooled"] = {
        "n_bonafide": int(is_bona.sum()),
        "n_spoof": int((~is_bona).sum()),
        "eer": compute_eer(s[is_bona], s[~is_bona])[0],
    }
    df = pd.DataFrame.from_dict(rows, orient="index")
    df.index.name = index_name
    return df


def _check_keys(y_true, scores, values, name, pos_label):
    y = np.asarray(y_true)
    v = np.asarray(values)
    if v.ndim != 1 or v.shape[0] != y.shape[0]:
        raise ValueError(
            f"{name} must be 1-D with one entry per trial; got shape {v.shape} for "
            f"{y.shape[0]} labels."
        )
    _split_scores(y, scores, pos_label)  # runs every label and score check
    return y, _as_scores(scores, "scores"), v


@validate_params(
    {
        "y_true": ["array-like"],
        "scores": ["array-like"],
        "attacks": ["array-like"],
        "pos_label": [str, Real],
        "bonafide_attack": [str, None],
    },
    prefer_skip_nested_validation=True,
)
def eer_by_attack(
    y_true: npt.ArrayLike,
    scores: npt.ArrayLike,
    attacks: npt.ArrayLike,
    *,
    pos_label: str | int = "bonafide",
    bonafide_attack: str | None = "-",
):
    """EER of all bona fide trials against the spoofs of each attack, and pooled.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels: ``pos_label`` (bona fide) and one spoof label.
    scores : array-like of shape (n_samples,)
        Scores; higher means more bona fide.
    attacks : array-like of shape (n_samples,)
        Attack ID of each trial (e.g. ``"A07"``; protocol column 4).
    pos_label : str or int, default="bonafide"
        The bona fide label in ``y_true``.
    bonafide_attack : str or None, default="-"
        The attack ID that bona fide trials carry; a spoof trial carrying it is
        an error. ``None`` skips that check.

    Returns
    -------
    pandas.DataFrame
        Indexed by attack (sorted) then ``"pooled"``, with columns ``n_bonafide``,
        ``n_spoof`` and ``eer`` (fraction).

    Examples
    --------
    >>> from sklearn_ssastcl.metrics import eer_by_attack
    >>> y = ["bonafide", "bonafide", "spoof", "spoof"]
    >>> eer_by_attack(y, [0.9, 0.8, 0.1, 0.85], ["-", "-", "A01", "A02"])
            n_bonafide  n_spoof   eer
    attack
    A01              2        1  0.00
    A02              2        1  0.75
    pooled           2        2  0.50
    """
    y, s, a = _check_keys(y_true, scores, attacks, "attacks", pos_label)
    is_bona = y == pos_label
    spoof_attacks = a[~is_bona]
    if bonafide_attack is not None:
        clash = np.asarray(spoof_attacks == bonafide_attack)
        if clash.any():
            raise ValueError(
                f"{int(clash.sum())} spoof trial(s) carry the bona fide attack ID "
                f"{bonafide_attack!r}; check the labels, or set bonafide_attack."
            )
    bona_scores = s[is_bona]
    keys = {
        key: (bona_scores, s[~is_bona & (a == key)])
        for key in np.unique(spoof_attacks).tolist()
    }
    return _breakdown(y, s, keys, pos_label, "attack")


@validate_params(
    {
        "y_true": ["array-like"],
        "scores": ["array-like"],
        "groups": ["array-like"],
        "pos_label": [str, Real],
    },
    prefer_skip_nested_validation=True,
)
def eer_by_group(
    y_true: npt.ArrayLike,
    scores: npt.ArrayLike,
    groups: npt.ArrayLike,
    *,
    pos_label: str | int = "bonafide",
):
    """EER within each group (e.g. codec or transmission channel), and pooled.

    Each group is scored on its own bona fide and spoof trials, so every group
    needs both classes. For attacks (spoof only) use :func:`eer_by_attack`.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels: ``pos_label`` (bona fide) and one spoof label.
    scores : array-like of shape (n_samples,)
        Scores; higher means more bona fide.
    groups : array-like of shape (n_samples,)
        Group of each trial (e.g. the codec column of the 2021 key).
    pos_label : str or int, default="bonafide"
        The bona fide label in ``y_true``.

    Returns
    -------
    pandas.DataFrame
        Indexed by group (sorted) then ``"pooled"``, with columns ``n_bonafide``,
        ``n_spoof`` and ``eer``.

    Examples
    --------
    >>> from sklearn_ssastcl.metrics import eer_by_group
    >>> y = ["bonafide", "spoof", "bonafide", "spoof"]
    >>> eer_by_group(y, [0.9, 0.1, 0.2, 0.3], ["none", "none", "gsm", "gsm"])
            n_bonafide  n_spoof  eer
    group
    gsm              1        1  1.0
    none             1        1  0.0
    pooled           2        2  0.5
    """
    y, s, g = _check_keys(y_true, scores, groups, "groups", pos_label)
    is_bona = y == pos_label
    keys, lacking = {}, []
    for key in np.unique(g).tolist():
        in_group = g == key
        bona, spoof = s[in_group & is_bona], s[in_group & ~is_bona]
        if bona.size == 0 or spoof.size == 0:
            lacking.append(key)
        keys[key] = (bona, spoof)
    if lacking:
        raise ValueError(
            f"Group(s) {lacking!r} lack bona fide or spoof trials, so their EER is "
            "undefined. Merge them with other groups, or use eer_by_attack for "
            "spoof-only groupings."
        )
    return _breakdown(y, s, keys, pos_label, "group")
