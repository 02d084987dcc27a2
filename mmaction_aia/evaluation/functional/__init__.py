"""Functional evaluation API: AVA frame-mAP (official semantics).

See docs/evaluation.md. Main entry points:

- :func:`evaluate_ava_files` (files in, :class:`AVAResult` out);
- :func:`read_label_map`, :func:`read_exclusions`, :func:`read_ava_csv`
  and :func:`ava_frame_map` for the steps;
- :func:`scores_to_rows`, :func:`write_ava_results` to write results CSVs;
- :func:`format_ava_table`, :func:`plot_ava_result` for reports.
"""
from .ava_io import AVABoxRows, read_ava_csv, read_exclusions, read_label_map
from .ava_labels import (
    AVA_CLASS_GROUPS,
    AVA_EVALUATED_CLASSES,
    write_label_map,
)
from .ava_map import (
    MODES,
    AVAResult,
    ava_frame_map,
    evaluate_ava_files,
    reader_settings,
)
from .ava_report import format_ava_table, plot_ava_result
from .ava_results import scores_to_rows, write_ava_results

__all__ = [
    'AVABoxRows', 'AVAResult', 'AVA_CLASS_GROUPS', 'AVA_EVALUATED_CLASSES',
    'MODES', 'ava_frame_map', 'evaluate_ava_files', 'format_ava_table',
    'plot_ava_result', 'read_ava_csv', 'read_exclusions', 'read_label_map',
    'reader_settings', 'scores_to_rows', 'write_ava_results',
    'write_label_map'
]
