"""BBoxHeadAVA variants against mmaction2 1.2.0's own head (the oracle).

Each variant (temporal max pooling, MLP head, focal loss, dropout before /
after pooling, softmax) is built by both from the same kwargs: identical
state-dict keys and shapes, identical logits (also in train mode, dropout
included, from the same seed), identical loss and logged metrics.
"""
import pytest
import torch

from mmaction_aia.models.roi_heads import BBoxHeadAVA, SingleRoIExtractor3D

from .test_mmaction2_compat import load_oracle_bbox_head

NUM_CLASSES = 9
IN_CHANNELS = 16

VARIANTS = {
    'default': dict(dropout_ratio=0.5),
    'temporal_max': dict(temporal_pool_type='max', dropout_ratio=0.5),
    'spatial_avg': dict(spatial_pool_type='avg'),
    'mlp_head': dict(mlp_head=True, dropout_ratio=0.5),
    'focal': dict(focal_alpha=3.0, focal_gamma=1.0, dropout_ratio=0.5),
    'dropout_after_pool': dict(dropout_ratio=0.5, dropout_before_pool=False),
    'softmax_multisports': dict(background_class=False, multilabel=False,
                                dropout_ratio=0.5),
    'softmax_background': dict(multilabel=False),
}


@pytest.fixture(scope='module')
def oracle_head_cls() -> type:
    return load_oracle_bbox_head()


def _labels(num_rois: int, multilabel: bool, background_class: bool,
            gen: torch.Generator) -> torch.Tensor:
    """Multi-hot (or one-hot) targets; every third RoI has no action."""
    labels = torch.zeros(num_rois, NUM_CLASSES)
    first = 1 if background_class else 0
    for i in range(num_rois):
        if i % 3 == 2:
            continue
        count = int(torch.randint(1, 4, (1, ), generator=gen)) if \
            multilabel else 1
        cols = torch.randperm(NUM_CLASSES - first, generator=gen)[:count]
        labels[i, cols + first] = 1
    return labels


def _pair(oracle_head_cls, kwargs):
    kwargs = dict(dict(background_class=True, in_channels=IN_CHANNELS,
                       num_classes=NUM_CLASSES), **kwargs)
    theirs, ours = oracle_head_cls(**kwargs), BBoxHeadAVA(**kwargs)
    theirs.init_weights()
    ours.init_weights()
    return theirs, ours


@pytest.mark.parametrize('name', sorted(VARIANTS))
def test_bbox_head_matches_mmaction2(oracle_head_cls, name):
    theirs, ours = _pair(oracle_head_cls, VARIANTS[name])
    expected_keys = ['fc_cls.0.weight', 'fc_cls.0.bias', 'fc_cls.2.weight',
                     'fc_cls.2.bias'] if 'mlp' in name else [
                         'fc_cls.weight', 'fc_cls.bias']
    assert list(ours.state_dict()) == list(theirs.state_dict()) == \
        expected_keys
    for (key, exp), act in zip(theirs.state_dict().items(),
                               ours.state_dict().values()):
        assert exp.shape == act.shape, key
    ours.load_state_dict(theirs.state_dict())

    gen = torch.Generator().manual_seed(0)
    feats = torch.randn(12, IN_CHANNELS, 4, 3, 3, generator=gen)
    for training in (False, True):
        theirs.train(training)
        ours.train(training)
        torch.manual_seed(1)
        exp = theirs(feats)
        torch.manual_seed(1)
        act = ours(feats)
        assert act.shape == (12, NUM_CLASSES)
        torch.testing.assert_close(act, exp)

    labels = _labels(12, ours.multilabel, ours.background_class, gen)
    theirs.get_targets = lambda *args: (labels, None)
    expected = theirs.loss_and_target(exp, None, None, None)['loss_bbox']
    cls_score = exp.detach().requires_grad_()
    actual = ours.loss(cls_score, labels)
    assert set(actual) == set(expected)
    for key, value in expected.items():
        torch.testing.assert_close(actual[key], value, msg=key)
    loss = actual['loss_action_cls']
    assert torch.isfinite(loss) and loss > 0
    loss.backward()
    assert torch.isfinite(cls_score.grad).all()
    assert cls_score.grad.abs().sum() > 0


def test_focal_loss_down_weights_confident_predictions(oracle_head_cls):
    """gamma > 0 shrinks the loss of an easy RoI more than of a hard one;
    alpha scales the whole loss."""
    plain = BBoxHeadAVA(in_channels=4, num_classes=3, topk=1)
    focal = BBoxHeadAVA(in_channels=4, num_classes=3, topk=1,
                        focal_alpha=3.0, focal_gamma=1.0)
    labels = torch.tensor([[0., 1., 0.]])
    easy = torch.tensor([[0., 6., -6.]])
    hard = torch.tensor([[0., -1., 1.]])
    ratio_easy = (focal.loss(easy, labels)['loss_action_cls'] /
                  plain.loss(easy, labels)['loss_action_cls'])
    ratio_hard = (focal.loss(hard, labels)['loss_action_cls'] /
                  plain.loss(hard, labels)['loss_action_cls'])
    assert ratio_easy < ratio_hard < 3.0


@pytest.mark.parametrize('temporal_pool_mode', ['avg', 'max'])
@pytest.mark.parametrize('with_global', [False, True])
def test_extractor_variants_feed_the_head(temporal_pool_mode, with_global):
    """Context (``with_global``) doubles the head's input channels; the
    temporal pooling mode decides how the time axis is reduced."""
    extractor = SingleRoIExtractor3D(
        output_size=4, featmap_stride=4, with_temporal_pool=True,
        temporal_pool_mode=temporal_pool_mode, with_global=with_global)
    slow = torch.randn(2, 12, 2, 8, 8)
    fast = torch.randn(2, 4, 8, 8, 8)
    rois = torch.tensor([[0., 0., 0., 16., 16.], [1., 4., 4., 30., 30.]])
    roi_feats, merged = extractor((slow, fast), rois)
    channels = 16 * (2 if with_global else 1)
    assert roi_feats.shape == (2, channels, 1, 4, 4)
    reduce = torch.amax if temporal_pool_mode == 'max' else torch.mean
    torch.testing.assert_close(merged[:, :12], reduce(slow, 2, keepdim=True))
    head = BBoxHeadAVA(in_channels=channels, num_classes=5, topk=(1, 3))
    head.init_weights()
    assert head(roi_feats).shape == (2, 5)
