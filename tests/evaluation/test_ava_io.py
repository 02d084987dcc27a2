"""The CSV reader: same rows and order as the official readers, any format,
any chunking; malformed input reported as ``path:line``."""
import numpy as np
import pytest

from mmaction_aia.evaluation.functional import (
    ava_io,
    read_ava_csv,
    read_exclusions,
    read_label_map,
)

from .ava_cases import CaseConfig, make_case


def as_official(rows) -> dict:
    """Our rows as the official reader's {key: [(score, label, y1, ...)]}."""
    out = {}
    boxes = rows.boxes
    for i in range(len(rows)):
        video, time = rows.keys[rows.image[i]]
        out.setdefault(f'{video},{time:04d}', []).append(
            (rows.scores[i], rows.labels[i], boxes[i, 1], boxes[i, 0],
             boxes[i, 3], boxes[i, 2]))
    return out


def from_reference(boxes, labels, scores) -> dict:
    return {key: [(s, c, *b) for s, c, b in zip(scores[key], labels[key],
                                                 boxes[key])]
            for key in boxes}


def assert_same_rows(ours, reference) -> None:
    assert list(ours) == list(reference)  # keyframes in the same order
    for key in reference:
        assert ours[key] == reference[key], key


@pytest.mark.parametrize('chunk_bytes', [97, 4096, 1 << 22])
@pytest.mark.parametrize('seed', [0, 1])
def test_reader_equals_the_official_readers(reference, tmp_path, monkeypatch,
                                            chunk_bytes, seed):
    monkeypatch.setattr(ava_io, '_CHUNK_BYTES', chunk_bytes)
    case = make_case(np.random.default_rng(seed), str(tmp_path),
                     CaseConfig(score_levels=3, extra_boxes=8, grid=4,
                                duplicate_prob=0.3, shuffle_prob=0.3))
    whitelist = case['classes'][:-1]
    for capacity in (0, 50):
        ours = read_ava_csv(case['pred'], whitelist, capacity)
        expected = reference.official_read_csv(case['pred'], set(whitelist),
                                               capacity)
        assert_same_rows(as_official(ours), from_reference(*expected))
    utils = reference.mmaction2_ava_utils()
    with open(case['pred']) as f:
        expected = utils.read_csv(f, whitelist)
    ours = read_ava_csv(case['pred'], whitelist, 0, 'file')
    assert_same_rows(as_official(ours), from_reference(*expected))


ODD_ROWS = [
    'plain,902,0.100,0.200,0.300,0.400,12,0.5000',
    'vid2,0903,0.1,0.2,0.3,.4,12,1',
    'vid2,903,0.10000000000000001,0.2,0.3,0.4,80,1e-3',
    'vid2,903,0.1,0.2,0.3,0.4,80,0.123456789012345678',
    'vid2,903,0.1,0.2,0.3,0.4,1,-0.25',
    'vid2,904,0.1,0.2,0.3,0.4,12,0.000',
    'vid2,905,0.1,0.2,0.3,0.4,12',
    '',
    'x' * 70 + ',906,0.1,0.2,0.3,0.4,12,0.5',
    'plain,902,0.100,0.200,0.300,0.400,12,0.5000',
    'plain,902,0.1,0.2,0.3,0.4,0012,5e-1',
]
SLOW_ROWS = ['"quoted",902,0.1,0.2,0.3,0.4,12,0.5',
             'sp,902, 0.1,0.2,0.3,0.4,12, 0.25',
             'plus,902,0.1,0.2,0.3,0.4,+12,+0.25']


@pytest.mark.parametrize('rows,newline', [
    (ODD_ROWS, '\n'), (ODD_ROWS + SLOW_ROWS, '\n'), (ODD_ROWS, '\r\n'),
    (ODD_ROWS[:-1] * 3, '\n')])
@pytest.mark.parametrize('chunk_bytes', [61, 1 << 22])
def test_any_format_parses_like_python(reference, tmp_path, monkeypatch,
                                       rows, newline, chunk_bytes):
    monkeypatch.setattr(ava_io, '_CHUNK_BYTES', chunk_bytes)
    path = tmp_path / 'odd.csv'
    path.write_bytes(newline.join(rows).encode())  # no final newline
    ours = read_ava_csv(str(path), [1, 12, 80], 0, 'file')
    # the official readers stop at empty lines; ours skips them
    path.write_bytes(newline.join(r for r in rows if r).encode())
    with open(path) as f:
        expected = reference.mmaction2_ava_utils().read_csv(f, [1, 12, 80])
    assert_same_rows(as_official(ours), from_reference(*expected))


@pytest.mark.parametrize('chunk_bytes', [64, 1 << 22])
@pytest.mark.parametrize('quoted', [False, True])
@pytest.mark.parametrize('bad,message', [
    ('v,902,0.1,0.2,0.3,0.4', 'expected 7 or 8 columns, got 6'),
    ('v,902,0.1,0.2,0.3,0.4,12,0.5,9', 'expected 7 or 8 columns, got 9'),
    ('v,902,0.1,abc,0.3,0.4,12,0.5', "expected a number for y1, got 'abc'"),
    ('v,90x,0.1,0.2,0.3,0.4,12,0.5', 'expected an integer for timestamp'),
    ('v,902,0.1,0.2,0.3,0.4,1.5,0.5', 'expected an integer for action_id'),
    ('v,902,0.1,0.2,0.3,0.4,12,nan', 'expected a finite number for score'),
    ('v,902,0.1,0.2,1.3,0.4,12,0.5', 'outside [0, 1]'),
    ('v,902,0.1,-0.2,0.3,0.4,12,0.5', 'outside [0, 1]'),
    ('v,902,0.3,0.2,0.1,0.4,12,0.5', 'x2 < x1'),
    ('v,902,0.1,0.4,0.3,0.2,12,0.5', 'y2 < y1'),
])
def test_malformed_rows_name_file_and_line(tmp_path, monkeypatch,
                                           chunk_bytes, quoted, bad, message):
    monkeypatch.setattr(ava_io, '_CHUNK_BYTES', chunk_bytes)
    good = 'v,902,0.100,0.200,0.300,0.400,12,0.5000'
    if quoted:  # the chunk goes to the csv-module path
        bad = '"v"' + bad[1:]
    lines = [good] * 40 + [bad] + [good] * 3
    path = tmp_path / 'bad.csv'
    path.write_text('\n'.join(lines) + '\n')
    with pytest.raises(ValueError) as error:
        read_ava_csv(str(path), None, 50)
    assert str(error.value).startswith(f'{path}:41: ')
    assert message in str(error.value)


def test_unknown_classes_are_skipped_and_counted(tmp_path):
    path = tmp_path / 'p.csv'
    path.write_text('v,902,0.1,0.2,0.3,0.4,12,0.5\nv,902,0.1,0.2,0.3,0.4,2,'
                    '0.5\nv,903,0.1,0.2,0.3,0.4,2,0.5\nv,903,0.1,0.2,0.3,0.4,'
                    '81,0.5\nv,904,0.1,0.2,0.3,0.4,-3,0.5\n')
    rows = read_ava_csv(str(path), [12, 80])
    assert len(rows) == 1 and rows.keys == [('v', 902)]
    assert rows.skipped == {-3: 1, 2: 2, 81: 1}
    assert rows.num_read == 1


def test_exclusions_and_label_map(tmp_path):
    path = tmp_path / 'excl.csv'
    path.write_text('v,0902\n\nw,903\n')
    assert read_exclusions(str(path)) == {('v', 902), ('w', 903)}
    assert read_exclusions(None) == set()
    path.write_text('v,902\nv,903,1\n')
    with pytest.raises(ValueError, match=r'excl\.csv:2: expected 2 columns'):
        read_exclusions(str(path))
    path.write_text('v,abc\n')
    with pytest.raises(ValueError, match=r'excl\.csv:1: .*integer'):
        read_exclusions(str(path))
    labels = tmp_path / 'labels.pbtxt'
    labels.write_text('label {\n  name: "bend"\n  label_id: 1\n  label_type: '
                      'PERSON_MOVEMENT\n}\nitem {\n\tname: "stand"\n\tid: 12\n'
                      '}\n')
    assert read_label_map(str(labels)) == ({1: 'bend', 12: 'stand'}, [1, 12])
    labels.write_text('item {\n  name: "x"\n  id: one\n}\n')
    with pytest.raises(ValueError, match=r'labels\.pbtxt:3: .*integer'):
        read_label_map(str(labels))
    labels.write_text('nothing here\n')
    with pytest.raises(ValueError, match='no "id:" entries'):
        read_label_map(str(labels))
