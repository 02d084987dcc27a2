"""mmaction-aia: spatio-temporal action detection in the OpenMMLab style."""
from .utils.safe_checkpoint import register_safe_globals
from .version import __version__

register_safe_globals()

__all__ = ['__version__', 'register_safe_globals']
