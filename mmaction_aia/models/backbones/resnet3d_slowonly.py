"""SlowOnly backbone: the slow pathway of SlowFast without laterals."""
from typing import Sequence

from mmaction_aia.registry import MODELS

from .resnet3d_slowfast import ResNet3dPathway


@MODELS.register_module()
class ResNet3dSlowOnly(ResNet3dPathway):
    """SlowOnly backbone (mmaction2 1.x), a :class:`ResNet3dPathway` with
    ``lateral=False`` and SlowOnly's defaults. ``non_local`` /
    ``non_local_cfg`` give the non-local variant.

    Args:
        conv1_kernel (Sequence[int]): Stem kernel. Defaults to
            ``(1, 7, 7)``.
        conv1_stride_t (int): Stem temporal stride. Defaults to 1.
        pool1_stride_t (int): Stem max-pool temporal stride. Defaults to 1.
        inflate (Sequence[int]): Per-stage temporal kernel flags. Defaults
            to ``(0, 0, 1, 1)``.
        with_pool2 (bool): Temporal pooling after ``layer1``.
            Defaults to False.
        **kwargs: :class:`ResNet3dPathway` / :class:`ResNet3d` arguments;
            ``lateral`` must stay False.
    """

    def __init__(self,
                 conv1_kernel: Sequence[int] = (1, 7, 7),
                 conv1_stride_t: int = 1,
                 pool1_stride_t: int = 1,
                 inflate: Sequence[int] = (0, 0, 1, 1),
                 with_pool2: bool = False,
                 **kwargs) -> None:
        if kwargs.get('lateral', False):
            raise ValueError('ResNet3dSlowOnly has no lateral connections; '
                             'use ResNet3dSlowFast or lateral=False')
        super().__init__(
            conv1_kernel=conv1_kernel,
            conv1_stride_t=conv1_stride_t,
            pool1_stride_t=pool1_stride_t,
            inflate=inflate,
            with_pool2=with_pool2,
            **kwargs)
