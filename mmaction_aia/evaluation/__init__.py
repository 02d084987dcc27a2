"""Evaluation: AVA frame-mAP (official semantics) and its mmengine metric.

See docs/evaluation.md.
"""
from .functional import (
    AVAResult,
    ava_frame_map,
    evaluate_ava_files,
    format_ava_table,
    read_ava_csv,
    read_exclusions,
    read_label_map,
)
from .metrics import AVAMetric

__all__ = [
    'AVAMetric', 'AVAResult', 'ava_frame_map', 'evaluate_ava_files',
    'format_ava_table', 'read_ava_csv', 'read_exclusions', 'read_label_map'
]
