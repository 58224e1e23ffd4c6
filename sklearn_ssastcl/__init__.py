"""SSAST-CL audio spoof detection as scikit-learn estimators."""

__version__ = "0.1.0.dev0"

__all__ = ["__version__"]
