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
