from .action_detector import ActionDetector

__all__ = ['ActionDetector']
