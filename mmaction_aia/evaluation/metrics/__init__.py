"""Metrics registered in ``mmaction_aia.registry.METRICS``."""
from .ava_metric import AVAMetric

__all__ = ['AVAMetric']
