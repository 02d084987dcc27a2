"""The visualizer named by mmaction2 configs (``type='ActionVisualizer'``)."""
from mmengine.visualization import Visualizer

from mmaction_aia.registry import VISUALIZERS


@VISUALIZERS.register_module()
class ActionVisualizer(Visualizer):
    """mmengine's Visualizer under mmaction2's name, so its configs build.

    Args:
        name (str): Instance name.
        vis_backends (list[dict], optional): Backends, e.g.
            ``[dict(type='LocalVisBackend')]``.
        save_dir (str, optional): Where backends save.
        **kwargs: Passed to :class:`mmengine.visualization.Visualizer`.
    """

    def __init__(self, name: str = 'visualizer', vis_backends=None,
                 save_dir=None, **kwargs) -> None:
        super().__init__(name=name, vis_backends=vis_backends,
                         save_dir=save_dir, **kwargs)
