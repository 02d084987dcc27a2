import pytest
import torch

from mmaction_aia.models.memory import FeatureBank


def _feats(n, value):
    return torch.full((n, 4), float(value))


def _boxes(n):
    return torch.tensor([[0.1, 0.1, 0.5, 0.9]]).repeat(n, 1)


def test_read_places_each_second_in_its_slots():
    bank = FeatureBank(length=(2, 1), max_per_sec=2, penalty=False)
    bank.write('v', 900, _feats(1, 1), _boxes(1))
    bank.write('v', 901, _feats(3, 2), _boxes(3))
    bank.write('v', 903, _feats(2, 4), _boxes(2))
    bank.write('w', 901, _feats(1, 9), _boxes(1))
    out = bank.read([('v', 902)], dim=4)
    assert out.features.shape == (1, 8, 4) and out.current_slot == 2
    assert out.positions.tolist() == [0, 0, 1, 1, 2, 2, 3, 3]
    # seconds 900 (1 person), 901 (3 -> max 2), keyframe slot empty, 903
    assert out.mask[0].tolist() == [True, False, True, True, False, False,
                                    True, True]
    assert out.features[0, :, 0].tolist() == [1, 0, 2, 2, 0, 0, 4, 4]
    assert torch.allclose(out.boxes[0, 0], _boxes(1)[0])


def test_empty_bank_reads_all_padding():
    out = FeatureBank(length=(3, 3)).read([('v', 5), ('v', 6)], dim=7)
    assert out.features.shape == (2, 35, 7)
    assert not out.mask.any() and (out.features == 0).all()


def test_staleness_penalty_scales_by_loss_ratio():
    bank = FeatureBank(length=(1, 1), max_per_sec=1)
    bank.write('v', 1, _feats(1, 1.0), _boxes(1), loss_tag=2.0)
    bank.write('v', 3, _feats(1, 1.0), _boxes(1), loss_tag=0.5)
    bank.current_loss = 1.0
    out = bank.read([('v', 2)], dim=4)
    assert out.features[0, :, 0].tolist() == [0.5, 0.0, 0.5]
    plain = bank.read([('v', 2)], dim=4, apply_penalty=False)
    assert plain.features[0, :, 0].tolist() == [1.0, 0.0, 1.0]


def test_online_mode_reads_the_past_only():
    bank = FeatureBank(length=(2, 2), max_per_sec=1, online=True)
    assert bank.num_slots == 3
    bank.write('v', 9, _feats(1, 1), _boxes(1))
    bank.write('v', 11, _feats(1, 5), _boxes(1))
    out = bank.read([('v', 10)], dim=4)
    assert out.features[0, :, 0].tolist() == [0, 1, 0]


def test_rate_and_bound_and_new_entries():
    bank = FeatureBank(length=(1, 1), rate=2, max_per_sec=1, max_entries=2)
    for ts in (8, 10, 12):
        bank.write('v', ts, _feats(1, ts), _boxes(1))
    assert len(bank) == 2 and ('v', 8) not in bank
    assert bank.read([('v', 10)], dim=4).features[0, :, 0].tolist() == [
        0, 0, 12]
    new = bank.pop_new()
    assert [key for key, _ in new] == [('v', 8), ('v', 10), ('v', 12)]
    assert bank.pop_new() == []
    other = FeatureBank(length=(1, 1))
    other.merge(new)
    assert len(other) == 3 and other.pop_new() == []


def test_state_dict_round_trip():
    bank = FeatureBank()
    bank.write('v', 3, _feats(2, 1), _boxes(2), loss_tag=0.7)
    bank.current_loss = 0.9
    restored = FeatureBank()
    restored.load_state_dict(bank.state_dict())
    entry = restored.get('v', 3)
    assert entry.loss_tag == pytest.approx(0.7)
    assert torch.equal(entry.features, _feats(2, 1))
    assert restored.current_loss == pytest.approx(0.9)


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match='length'):
        FeatureBank(length=(3, ))
    with pytest.raises(ValueError, match='2 features but 3 boxes'):
        FeatureBank().write('v', 1, _feats(2, 0), _boxes(3))
