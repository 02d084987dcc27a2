"""Python API of the demos: build an action detector, detect persons, score
their actions on clips of frames in memory."""
from .inference import (
                        ActionPredictor,
                        build_inference_pipeline,
                        clip_sampling,
                        detect_actions,
                        init_detector,
                        resolve_label_names,
)
from .keyframes import KeyframeAnalyser, ResultWriter, clip_indices
from .person_detectors import (
                        Detections,
                        HOGPersonDetector,
                        PrecomputedPersonDetector,
                        TorchvisionPersonDetector,
                        build_person_detector,
)

__all__ = [
    'ActionPredictor', 'build_inference_pipeline', 'clip_sampling',
    'detect_actions', 'init_detector', 'resolve_label_names',
    'KeyframeAnalyser', 'ResultWriter', 'clip_indices', 'Detections',
    'HOGPersonDetector', 'PrecomputedPersonDetector',
    'TorchvisionPersonDetector', 'build_person_detector'
]
