import pytest
import torch
from mmengine.structures import InstanceData
from torchvision.ops import roi_align

from mmaction_aia.models.roi_heads import (
    BBoxHeadAVA,
    MaxIoUAssignerAVA,
    RandomSampler,
    SingleRoIExtractor3D,
)
from mmaction_aia.models.roi_heads.bbox_head import (
    adapt_topk,
    normalise_to_original,
)


def test_roi_extractor_matches_per_frame_roi_align():
    torch.manual_seed(0)
    feat = torch.randn(2, 4, 3, 8, 10)
    rois = torch.tensor([[0, 8., 8., 64., 96.], [1, 0., 0., 160., 128.]])
    extractor = SingleRoIExtractor3D(output_size=4, featmap_stride=16,
                                     with_temporal_pool=False)
    roi_feats, merged = extractor(feat, rois)
    assert roi_feats.shape == (2, 4, 3, 4, 4)
    for t in range(3):
        expected = roi_align(feat[:, :, t], rois, 4, 1 / 16, 0, True)
        torch.testing.assert_close(roi_feats[:, :, t], expected)
    assert merged is feat


def test_roi_extractor_pathways_temporal_pool_and_global():
    slow, fast = torch.randn(1, 4, 2, 8, 8), torch.randn(1, 2, 8, 8, 8)
    rois = torch.tensor([[0, 0., 0., 64., 64.]])
    extractor = SingleRoIExtractor3D(output_size=2, featmap_stride=8,
                                     temporal_pool_mode='max',
                                     with_global=True)
    roi_feats, merged = extractor((slow, fast), rois)
    # slow resized to 8 time steps, concatenated with fast, max-pooled in time
    assert merged.shape == (1, 6, 1, 8, 8)
    torch.testing.assert_close(merged[:, 4:, 0], fast.amax(2))
    # roi part + global part
    assert roi_feats.shape == (1, 12, 1, 2, 2)
    whole = torch.nn.functional.adaptive_avg_pool2d(merged[:, :, 0], 2)
    torch.testing.assert_close(roi_feats[:, 6:, 0], whole)


def test_roi_extractor_rejects_unsupported_options():
    with pytest.raises(ValueError, match='pool_mode'):
        SingleRoIExtractor3D(pool_mode='max')
    with pytest.raises(ValueError, match='roi_layer_type'):
        SingleRoIExtractor3D(roi_layer_type='PSRoIAlign')


def test_assigner_iou_threshold_and_gt_claims():
    gt = torch.tensor([[0., 0., 10., 10.], [20., 20., 30., 30.]])
    priors = torch.tensor([[0., 0., 10., 9.5],     # IoU 0.95 with gt 0
                           [0., 0., 10., 5.],      # IoU 0.5: negative
                           [20., 20., 30., 30.]])  # exact gt 1
    assigned = MaxIoUAssignerAVA().assign(priors, gt)
    assert assigned.tolist() == [0, -1, 1]


def test_sampler_adds_gt_and_caps_positives():
    torch.manual_seed(0)
    gt = torch.tensor([[0., 0., 10., 10.]])
    labels = torch.tensor([[0., 1., 0.]])
    proposals = torch.tensor([[0., 0., 10., 10.]]).repeat(40, 1)
    result = RandomSampler(num=32).sample(MaxIoUAssignerAVA(), proposals,
                                          gt, labels)
    assert result.pos_priors.shape == (32, 4)
    assert torch.equal(result.pos_gt_labels, labels.repeat(32, 1))
    # without proposals the ground truth itself is the training RoI
    result = RandomSampler().sample(MaxIoUAssignerAVA(), proposals[:0], gt,
                                    labels)
    assert torch.equal(result.pos_priors, gt)


@pytest.mark.parametrize('num_classes, expected', [
    (81, (3, 5)), (6, (3, 5)), (5, (3, 4)), (3, (2, )), (2, (1, ))])
def test_topk_adapts_to_few_classes(num_classes, expected):
    assert adapt_topk((3, 5), num_classes) == expected
    head = BBoxHeadAVA(in_channels=8, num_classes=num_classes)
    scores = torch.randn(4, num_classes)
    labels = torch.zeros(4, num_classes)
    labels[:, 1] = 1
    losses = head.loss(scores, labels)
    assert {f'recall@top{k}' for k in expected} <= set(losses)


def test_bbox_head_loss_and_metrics():
    head = BBoxHeadAVA(in_channels=8, num_classes=4, topk=(1, 2),
                       dropout_ratio=0.0)
    logits = torch.tensor([[0., 5., -5., -5.], [0., -5., 5., 5.],
                           [9., 9., 9., 9.]], requires_grad=True)
    labels = torch.tensor([[0., 1., 0., 0.], [0., 0., 1., 1.],
                           [1., 0., 0., 0.]])  # background-only row ignored
    losses = head.loss(logits, labels)
    assert losses['recall@thr=0.5'].item() == pytest.approx(1.0)
    assert losses['prec@top1'].item() == pytest.approx(1.0, abs=1e-5)
    assert losses['recall@top1'].item() == pytest.approx(0.75)
    expected = torch.nn.functional.binary_cross_entropy_with_logits(
        logits[:2, 1:], labels[:2, 1:])
    torch.testing.assert_close(losses['loss_action_cls'], expected)
    losses['loss_action_cls'].backward()
    assert logits.grad[2].abs().sum() == 0


def test_bbox_head_focal_term_down_weights_easy_examples():
    head = BBoxHeadAVA(in_channels=8, num_classes=3, focal_gamma=2.0,
                       focal_alpha=3.0, topk=1)
    logits = torch.tensor([[0., 4., -4.]])
    labels = torch.tensor([[0., 1., 0.]])
    bce = torch.nn.functional.binary_cross_entropy_with_logits(
        logits[:, 1:], labels[:, 1:], reduction='none')
    expected = (3.0 * (1 - torch.exp(-bce))**2 * bce).mean()
    torch.testing.assert_close(head.loss(logits, labels)['loss_action_cls'],
                               expected)


def test_bbox_head_forward_shapes_and_mlp_keys():
    head = BBoxHeadAVA(in_channels=16, num_classes=81, mlp_head=True,
                       dropout_ratio=0.5)
    assert set(head.state_dict()) == {
        'fc_cls.0.weight', 'fc_cls.0.bias', 'fc_cls.2.weight', 'fc_cls.2.bias'}
    assert head(torch.randn(3, 16, 1, 8, 8)).shape == (3, 81)


def test_predicted_boxes_map_back_to_original_frame():
    # original 200x100 frame, crop of its right half, resized x2, flipped
    meta = dict(img_shape=(200, 200), flip=True,
                crop_quadruple=[0.5, 0.0, 0.5, 1.0])
    original = torch.tensor([[0.6, 0.2, 0.8, 0.7]])
    # forward: crop -> normalise in crop -> pixels in 200x200 -> flip
    in_crop = torch.tensor([[0.2, 0.2, 0.6, 0.7]]) * 200
    flipped = in_crop.clone()
    flipped[:, 0], flipped[:, 2] = 200 - in_crop[:, 2], 200 - in_crop[:, 0]
    torch.testing.assert_close(normalise_to_original(flipped, meta), original)


def test_head_predict_by_feat_scores_are_probabilities():
    head = BBoxHeadAVA(in_channels=8, num_classes=3)
    rois = torch.tensor([[0, 0., 0., 50., 100.]])
    result = head.predict_by_feat([rois], [torch.zeros(1, 3)],
                                  [dict(img_shape=(100, 100))])[0]
    assert isinstance(result, InstanceData)
    torch.testing.assert_close(result.scores, torch.full((1, 3), 0.5))
    torch.testing.assert_close(result.bboxes,
                               torch.tensor([[0., 0., 0.5, 1.0]]))
