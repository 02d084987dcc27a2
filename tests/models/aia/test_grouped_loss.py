import pytest
import torch
import torch.nn.functional as F

from mmaction_aia.models.losses import GroupedAVALoss

GROUPS = dict(pose=dict(classes=[1, 2, 3], kind='softmax', weight=1.2),
              object=dict(classes=[4, 5], kind='sigmoid', weight=2.0))


def test_grouped_loss_matches_published_formula():
    torch.manual_seed(0)
    scores = torch.randn(4, 6)
    labels = torch.zeros(4, 6)
    labels[[0, 1, 2, 3], [1, 3, 2, 1]] = 1
    labels[0, 4] = labels[2, 5] = 1
    loss = GroupedAVALoss(GROUPS, focal_gamma=2.0)(scores, labels)
    logp = F.log_softmax(scores[:, 1:4], -1)[torch.arange(4),
                                             labels[:, 1:4].argmax(1)]
    pose = (-(1 - logp.exp())**2 * logp).sum() / 4 * 1.2
    bce = F.binary_cross_entropy_with_logits(scores[:, 4:6], labels[:, 4:6],
                                             reduction='none')
    obj = ((1 - torch.exp(-bce))**2 * bce).mean(1).sum() / 4 * 2.0
    assert loss['loss_pose'] == pytest.approx(float(pose), rel=1e-5)
    assert loss['loss_object'] == pytest.approx(float(obj), rel=1e-5)


def test_scores_softmax_within_pose_sigmoid_elsewhere():
    scores = torch.randn(3, 6)
    probs = GroupedAVALoss(GROUPS).scores(scores)
    assert torch.allclose(probs[:, 1:4].sum(1), torch.ones(3))
    assert torch.allclose(probs[:, 4:], scores[:, 4:].sigmoid())


def test_boxes_without_pose_label_get_no_pose_loss():
    labels = torch.zeros(2, 6)
    labels[:, 4] = 1
    loss = GroupedAVALoss(GROUPS)(torch.randn(2, 6, requires_grad=True),
                                  labels)
    assert float(loss['loss_pose'].detach()) == 0.0
    loss['loss_pose'].backward()


def test_bad_groups_are_rejected():
    with pytest.raises(ValueError, match='kind'):
        GroupedAVALoss(dict(a=dict(classes=[1], kind='relu')))
    with pytest.raises(ValueError, match='column 9'):
        GroupedAVALoss(dict(a=dict(classes=[9])))(torch.randn(1, 3),
                                                  torch.zeros(1, 3))
