from .compat import adapt_mmaction2_config
from .safe_checkpoint import register_safe_globals

__all__ = ['adapt_mmaction2_config', 'register_safe_globals']
