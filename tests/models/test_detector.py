import torch
from mmengine.config import Config
from mmengine.structures import InstanceData

from mmaction_aia.registry import MODELS
from mmaction_aia.structures import ActionDataSample
from mmaction_aia.utils import adapt_mmaction2_config

CONFIG = ('configs/detection/synthetic/'
          'slowonly_tiny_r18_8x4x1_synthetic_ava_rgb.py')


def build_detector(num_classes=15):
    cfg = adapt_mmaction2_config(Config.fromfile(CONFIG))
    cfg.model.roi_head.bbox_head.num_classes = num_classes
    model = MODELS.build(cfg.model)
    model.init_weights()
    return model


def make_batch(num_clips=2, num_classes=15, size=64):
    inputs, samples = [], []
    for i in range(num_clips):
        inputs.append(torch.randint(0, 255, (3, 8, size, size),
                                    dtype=torch.uint8))
        sample = ActionDataSample(metainfo=dict(
            img_shape=(size, size), video_id=f'v{i}', timestamp=902,
            img_key=f'v{i},0902'))
        labels = torch.zeros(2, num_classes)
        labels[0, 1] = labels[1, 2] = 1
        sample.gt_instances = InstanceData(
            bboxes=torch.tensor([[4., 4., 30., 60.], [32., 8., 60., 60.]]),
            labels=labels)
        sample.proposals = InstanceData(
            bboxes=torch.tensor([[4., 4., 30., 60.], [0., 0., 10., 10.],
                                 [33., 8., 60., 60.]]))
        samples.append(sample)
    return dict(inputs=inputs, data_samples=samples)


def test_train_step_reduces_loss():
    torch.manual_seed(0)
    model = build_detector()
    optim = torch.optim.AdamW(model.parameters(), lr=1e-3)
    batch = make_batch()
    first = None
    for _ in range(5):
        data = model.data_preprocessor(batch, training=True)
        losses = model(**data, mode='loss')
        assert {'loss_action_cls', 'recall@thr=0.5', 'prec@top3'} <= set(
            losses)
        optim.zero_grad()
        losses['loss_action_cls'].backward()
        optim.step()
        first = first if first is not None else losses['loss_action_cls']
    assert losses['loss_action_cls'] < first


def test_predict_any_batch_size_gives_normalised_boxes():
    model = build_detector().eval()
    data = model.data_preprocessor(make_batch(num_clips=3), training=False)
    with torch.no_grad():
        samples = model(**data, mode='predict')
    assert len(samples) == 3
    for sample in samples:
        pred = sample.pred_instances
        assert pred.scores.shape == (3, 15)
        assert ((pred.scores >= 0) & (pred.scores <= 1)).all()
        torch.testing.assert_close(pred.bboxes[0],
                                   torch.tensor([4., 4., 30., 60.]) / 64)


def test_tensor_mode_returns_logits_per_proposal():
    model = build_detector(num_classes=4).eval()
    data = model.data_preprocessor(make_batch(num_classes=4), training=False)
    with torch.no_grad():
        logits = model(**data, mode='tensor')
    assert logits.shape == (6, 4)


def test_state_dict_uses_mmaction2_key_layout():
    keys = build_detector().state_dict().keys()
    assert 'backbone.conv1.conv.weight' in keys
    assert 'backbone.layer1.0.conv1.bn.running_mean' in keys
    assert 'roi_head.bbox_head.fc_cls.weight' in keys
    # mean / std of the data preprocessor are not persistent
    assert not any(k.startswith('data_preprocessor') for k in keys)
