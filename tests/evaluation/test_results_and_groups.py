import numpy as np

from mmaction_aia.evaluation.functional import write_ava_results


def test_rows_whose_ids_and_timestamps_all_have_one_digit(tmp_path):
    # regression: a block whose integers all had one digit broke the writer
    path = tmp_path / 'results.csv'
    write_ava_results(str(path), ['vid'], np.zeros(2, int), np.array([5, 7]),
                      np.full((2, 4), 0.5), np.array([1, 3]),
                      np.array([0.25, 0.125]))
    assert path.read_text().splitlines() == [
        'vid,5,0.500,0.500,0.500,0.500,1,0.2500',
        'vid,7,0.500,0.500,0.500,0.500,3,0.1250']


def test_ava_groups_only_for_ava_label_maps():
    from mmaction_aia.evaluation.functional.ava_labels import (
        AVA_CLASS_GROUPS,
        default_class_groups,
    )
    assert default_class_groups(None) == AVA_CLASS_GROUPS
    assert default_class_groups({12: 'stand', 80: 'watch (a person)'}) == \
        AVA_CLASS_GROUPS
    # another dataset's label map reusing ids 1..14 gets no AVA groups
    assert default_class_groups({1: 'stand', 2: 'walk', 3: 'run'}) == {}
