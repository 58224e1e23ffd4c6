"""Pure torch modules: the SSAST encoder and its pieces (no scikit-learn here)."""

from sklearn_ssastcl.nn._checkpoint import (
    adapt_pos_embed,
    encoder_from_checkpoint,
    load_ssast_checkpoint,
    save_ssast_checkpoint,
)
from sklearn_ssastcl.nn._frontend import KaldiFbank
from sklearn_ssastcl.nn._losses import (
    SiameseContrastiveLoss,
    SiameseInfoNCELoss,
    contrastive_loss,
    nt_xent_loss,
    supcon_loss,
)
from sklearn_ssastcl.nn._pretrain import MaskedPatchModel, sample_masks
from sklearn_ssastcl.nn._ssast import SIZES, Block, SSASTEncoder, grid_shape

__all__ = [
    "SIZES",
    "Block",
    "KaldiFbank",
    "MaskedPatchModel",
    "SSASTEncoder",
    "SiameseContrastiveLoss",
    "SiameseInfoNCELoss",
    "adapt_pos_embed",
    "contrastive_loss",
    "encoder_from_checkpoint",
    "grid_shape",
    "load_ssast_checkpoint",
    "nt_xent_loss",
    "sample_masks",
    "save_ssast_checkpoint",
    "supcon_loss",
]
