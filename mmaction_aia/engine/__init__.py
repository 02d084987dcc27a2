from .visualizer import ActionVisualizer

__all__ = ['ActionVisualizer']
