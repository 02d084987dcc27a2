from .focal import focal_classification_loss

__all__ = ['focal_classification_loss']
