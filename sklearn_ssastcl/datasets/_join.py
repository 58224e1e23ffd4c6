"""Joining score tables with a protocol key by utterance ID, strictly."""

from __future__ import annotations

import warnings
from collections.abc import Mapping

import pandas as pd


def join_scores(
    key: pd.DataFrame,
    scores: Mapping[str, pd.DataFrame],
    *,
    missing: str = "error",
) -> pd.DataFrame:
    """Attach one score column per system to a protocol key, by utterance ID.

    Every score table must hold each utterance at most once, and only
    utterances of the key; the result keeps the key's order, so columns from
    files in different orders line up.

    Parameters
    ----------
    key : pandas.DataFrame
        A protocol or key with an ``utterance_id`` column (e.g. from
        :func:`~sklearn_ssastcl.datasets.read_protocol`).
    scores : dict of str to pandas.DataFrame
        Score tables with ``utterance_id`` and ``score`` columns (e.g. from
        :func:`~sklearn_ssastcl.datasets.read_scores`), by system name.
    missing : {"error", "drop"}, default="error"
        What to do with key utterances some table does not score: raise, or
        leave them out with a warning.

    Returns
    -------
    pandas.DataFrame
        The key's rows (all, or the scored ones), with one float column per
        system name.

    Raises
    ------
    ValueError
        If a table repeats an utterance, scores utterances absent from the key,
        or (``missing="error"``) misses some, or a name clashes with a key column.

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn_ssastcl.datasets import join_scores
    >>> key = pd.DataFrame({"utterance_id": ["u1", "u2"],
    ...                     "label": ["bonafide", "spoof"]})
    >>> a = pd.DataFrame({"utterance_id": ["u2", "u1"], "score": [-1.0, 2.0]})
    >>> join_scores(key, {"a": a})
      utterance_id     label    a
    0           u1  bonafide  2.0
    1           u2     spoof -1.0
    """
    if missing not in ("error", "drop"):
        raise ValueError(f"missing must be 'error' or 'drop'; got {missing!r}.")
    if key["utterance_id"].duplicated().any():
        dup = key.loc[key["utterance_id"].duplicated(), "utterance_id"].iloc[0]
        raise ValueError(f"The key lists utterance {dup!r} more than once.")
    out = key.copy()
    known = set(key["utterance_id"])
    keep = pd.Series(True, index=out.index)
    for name, table in scores.items():
        if name in key.columns:
            raise ValueError(
                f"System name {name!r} is also a key column; choose another name."
            )
        ids = table["utterance_id"]
        if ids.duplicated().any():
            dups = ids[ids.duplicated()].unique()
            raise ValueError(
                f"Scores {name!r} list {len(dups)} utterance(s) more than once (first: "
                f"{dups[0]!r}); a score file has one line per utterance. Remove the "
                "duplicates (were two score files concatenated?)."
            )
        unknown = sorted(set(ids) - known)
        if unknown:
            raise ValueError(
                f"Scores {name!r} hold {len(unknown)} utterance(s) that are not in "
                f"the key (first: {unknown[0]!r}). Is this the right protocol for "
                "these scores?"
            )
        column = out["utterance_id"].map(dict(zip(ids, table["score"])))
        absent = column.isna()
        if absent.any():
            first = out.loc[absent, "utterance_id"].iloc[0]
            if missing == "error":
                raise ValueError(
                    f"Scores {name!r} miss {int(absent.sum())} of the key's "
                    f"{len(out)} utterances (first: {first!r}); score every trial, "
                    "or use a key of the scored trials only."
                )
            warnings.warn(
                f"Scores {name!r} miss {int(absent.sum())} of the key's {len(out)} "
                f"utterances (first: {first!r}); they are left out.",
                UserWarning,
                stacklevel=2,
            )
            keep &= ~absent
        out[name] = column.astype("float64")
    return out[keep].reset_index(drop=True)
