"""Prior-weighted logistic regression from score columns to natural-log LLRs.

The linear-calibration and linear-fusion model of the FoCal and BOSARIS toolkits:
``llr = X @ coef + offset`` with the weights and the offset found by minimising the
cross-entropy at a chosen prior of the bona fide class, each class weighted so that
it counts as that prior whatever its trial count. Subtracting the prior log-odds from
the fitted logit turns it into a log-likelihood ratio.

References
----------
.. [1] N. Brümmer and J. du Preez, "Application-independent evaluation of speaker
   detection", Computer Speech & Language 20(2-3), 2006.
.. [2] N. Brümmer and E. de Villiers, "The BOSARIS toolkit: theory, algorithms and
   code for surviving the new DCF", arXiv:1304.2865, 2013.
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy.special import logit
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression


def fit_prior_weighted_logreg(
    S: np.ndarray, is_bona: np.ndarray, *, prior: float, C: float, max_iter: int
) -> tuple[np.ndarray, float, int]:
    """Fit ``llr = S @ coef + offset`` by prior-weighted logistic regression.

    Parameters
    ----------
    S : ndarray of shape (n_trials, n_columns)
        Finite scores, higher = more bona fide in each column (not required).
    is_bona : ndarray of bool of shape (n_trials,)
        True for bona fide trials; both classes must be present.
    prior : float
        Bona fide prior at which the cross-entropy is minimised (0.5 minimises Cllr).
    C : float
        Inverse L2 strength, relative to a total trial weight of ``n_trials``.
    max_iter : int
        L-BFGS iterations.

    Returns
    -------
    coef : ndarray of shape (n_columns,)
    offset : float
        Intercept of the LLR (the fitted logit minus ``logit(prior)``).
    n_iter : int
        L-BFGS iterations run.
    """
    n_bona = int(is_bona.sum())
    n_spoof = is_bona.size - n_bona
    weight = np.where(is_bona, prior / n_bona, (1.0 - prior) / n_spoof) * is_bona.size
    # Standardise the columns so that C means the same whatever the score scale;
    # the map is undone on the coefficients below.
    center = S.mean(axis=0)
    scale = S.std(axis=0)
    scale[scale == 0] = 1.0
    model = LogisticRegression(C=C, max_iter=max_iter, tol=1e-10)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        model.fit((S - center) / scale, is_bona.astype(int), sample_weight=weight)
    for w in caught:
        if issubclass(w.category, ConvergenceWarning):
            warnings.warn(
                f"The calibration/fusion logistic regression did not converge in "
                f"max_iter={max_iter} iterations; raise max_iter.",
                ConvergenceWarning,
                stacklevel=3,
            )
    coef = model.coef_[0] / scale
    offset = float(model.intercept_[0] - center @ coef - logit(prior))
    return coef, offset, int(model.n_iter_[0])
