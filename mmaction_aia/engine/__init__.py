from .aia_loops import AIATestLoop, AIAValLoop
from .aia_memory_hook import AIAMemoryHook
from .hooks import SkipReportHook
from .visualizer import ActionVisualizer

__all__ = ['AIAMemoryHook', 'AIATestLoop', 'AIAValLoop', 'ActionVisualizer',
           'SkipReportHook']
