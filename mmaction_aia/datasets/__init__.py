from .ava_annotations import (
                              AnnotationError,
                              load_box_pkl,
                              read_ava_rows,
                              read_exclusions,
                              read_label_map,
)
from .ava_dataset import AVADataset
from .transforms import *  # noqa: F401,F403

__all__ = ['AVADataset', 'AnnotationError', 'load_box_pkl', 'read_ava_rows',
           'read_exclusions', 'read_label_map']
