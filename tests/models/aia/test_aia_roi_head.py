import pytest
import torch
from mmengine.structures import InstanceData

from mmaction_aia.registry import MODELS
from mmaction_aia.structures import ActionDataSample

NUM_CLASSES = 6


def _head(aia=None, **kwargs):
    torch.manual_seed(0)
    cfg = dict(
        type='AIARoIHead',
        bbox_roi_extractor=dict(type='SingleRoIExtractor3D', output_size=4),
        bbox_head=dict(type='AIABBoxHead', in_channels=16, aia_channels=16,
                       mlp_channels=8, num_classes=NUM_CLASSES),
        aia=aia if aia is not None else dict(
            block_list=['P', 'O', 'M', 'P', 'O', 'M'], structure='dense',
            dim_inner=8),
        memory=dict(length=(2, 2), max_per_sec=3), **kwargs)
    return MODELS.build(cfg)


def _samples(persons=(3, 1), objects=(2, 0)):
    samples = []
    for idx, (n, m) in enumerate(zip(persons, objects)):
        sample = ActionDataSample()
        sample.set_metainfo(dict(img_shape=(128, 128), video_id='v',
                                 timestamp=902 + idx, flip=idx == 1))
        boxes = torch.tensor([[10., 10, 60, 100], [60, 20, 100, 110],
                              [5, 50, 50, 120]])[:n]
        labels = torch.zeros(n, NUM_CLASSES)
        labels[:, 1 + idx] = 1
        sample.gt_instances = InstanceData(bboxes=boxes, labels=labels)
        sample.proposals = InstanceData(bboxes=boxes.clone())
        sample.objects = InstanceData(
            bboxes=torch.tensor([[20., 20, 40, 40]] * m).reshape(-1, 4))
        samples.append(sample)
    return samples


def _feat():
    torch.manual_seed(1)
    return torch.randn(2, 16, 2, 8, 8)


@pytest.mark.parametrize('geometry,num_heads', [(False, 1), (True, 1),
                                                (True, 4)])
def test_training_step_backpropagates_and_leaves_memory(geometry, num_heads):
    head = _head(aia=dict(block_list=['P', 'O', 'M'], structure='serial',
                          dim_inner=8, geometry=geometry,
                          num_heads=num_heads))
    head.train()
    samples = _samples()
    losses = head.loss(_feat(), [s.proposals for s in samples], samples)
    losses['loss_action_cls'].backward()
    assert head.aia.person_dim_reduce.weight.grad is not None
    keys, feats, boxes, counts = head.pop_pending()
    assert keys == [('v', 902), ('v', 903)] and counts == [3, 1]
    assert feats.shape == (4, 16) and not feats.requires_grad
    assert boxes.min() >= 0 and boxes.max() <= 1


@pytest.mark.parametrize('mask_padding,geometry,num_heads',
                         [(True, False, 1), (False, False, 1),
                          (True, True, 4), (False, True, 2)])
def test_lonely_person_without_objects_or_memory_is_finite(
        mask_padding, geometry, num_heads):
    head = _head(aia=dict(block_list=['P', 'O', 'M'], structure='serial',
                          dim_inner=8, mask_padding=mask_padding,
                          zero_init_out=False, geometry=geometry,
                          num_heads=num_heads)).eval()
    samples = _samples(persons=(1, 1), objects=(0, 0))
    results = head.predict(_feat(), [s.proposals for s in samples], samples)
    for result in results:
        assert result.scores.shape == (1, NUM_CLASSES)
        assert torch.isfinite(result.scores).all()


def test_memory_changes_predictions():
    head = _head(aia=dict(block_list=['M'], structure='serial', dim_inner=8,
                          zero_init_out=False)).eval()
    samples = _samples()
    proposals = [s.proposals for s in samples]
    before = head.predict(_feat(), proposals, samples)[0].scores
    head.memory_bank.write('v', 901, torch.randn(2, 16), torch.rand(2, 4))
    after = head.predict(_feat(), proposals, samples)[0].scores
    assert not torch.allclose(before, after)


def test_baseline_without_aia_and_grouped_loss():
    head = MODELS.build(dict(
        type='AIARoIHead',
        bbox_roi_extractor=dict(type='SingleRoIExtractor3D', output_size=4),
        bbox_head=dict(type='AIABBoxHead', in_channels=16, aia_channels=0,
                       mlp_channels=8, num_classes=NUM_CLASSES,
                       loss_cls=dict(type='GroupedAVALoss', groups=dict(
                           pose=dict(classes=[1, 2], kind='softmax'),
                           other=dict(classes=[3, 4, 5])))))).train()
    assert head.aia is None and head.memory_bank is None
    samples = _samples()
    losses = head.loss(_feat(), [s.proposals for s in samples], samples)
    assert set(losses) >= {'loss_pose', 'loss_other'}
    head.eval()
    scores = head.predict(_feat(), [s.proposals for s in samples],
                          samples)[0].scores
    assert torch.allclose(scores[:, 1:3].sum(1), torch.ones(3))


def test_missing_objects_are_reported():
    head = _head().eval()
    samples = _samples()
    del samples[0].objects
    with pytest.raises(KeyError, match='object_file'):
        head.predict(_feat(), [s.proposals for s in samples], samples)


def test_roi_dropout_only_in_training():
    samples = _samples()
    rois = torch.cat([torch.zeros(3, 1), samples[0].proposals.bboxes], 1)
    plain, dropped = _head(), _head(roi_dropout=0.5)
    plain.train(), dropped.train()
    assert torch.equal(plain.pool_rois(_feat(), rois),
                       plain.pool_rois(_feat(), rois))
    assert not torch.equal(dropped.pool_rois(_feat(), rois),
                           plain.pool_rois(_feat(), rois))
    dropped.eval()
    assert torch.equal(dropped.pool_rois(_feat(), rois),
                       plain.pool_rois(_feat(), rois))
