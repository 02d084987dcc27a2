from .focal import focal_classification_loss
from .grouped_ava_loss import AVA_LOSS_GROUPS, GroupedAVALoss

__all__ = ['AVA_LOSS_GROUPS', 'GroupedAVALoss', 'focal_classification_loss']
