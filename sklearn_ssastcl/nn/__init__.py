"""Pure torch modules: the SSAST encoder and its pieces (no scikit-learn here)."""

from sklearn_ssastcl.nn._ssast import SIZES, Block, SSASTEncoder, grid_shape

__all__ = ["SIZES", "Block", "SSASTEncoder", "grid_shape"]
