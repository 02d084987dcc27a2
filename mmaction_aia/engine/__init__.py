from .aia_loops import AIATestLoop, AIAValLoop
from .aia_memory_hook import AIAMemoryHook
from .visualizer import ActionVisualizer

__all__ = ['AIAMemoryHook', 'AIATestLoop', 'AIAValLoop', 'ActionVisualizer']
