"""tools/analysis/eval_ava.py: table, JSON, plot, errors."""
import json
import math

import pytest

from mmaction_aia.evaluation.functional import evaluate_ava_files
from tests.scripts import load_script


@pytest.fixture(scope='module')
def tool():
    return load_script('tools/analysis/eval_ava.py', 'eval_ava_tool')


def test_table_json_and_plot(tool, make_ava_case, tmp_path, capsys):
    case = make_ava_case(11, num_classes=12)
    out_json, out_png = tmp_path / 'r' / 'ap.json', tmp_path / 'ap.png'
    code = tool.main([
        '--gt', case['gt'], '--pred', case['pred'], '--label-map',
        case['label_map'], '--exclusions', case['exclusions'], '--json',
        str(out_json), '--plot', str(out_png)
    ])
    assert code == 0
    expected = evaluate_ava_files(case['gt'], case['pred'], case['label_map'],
                                  case['exclusions'])
    printed = capsys.readouterr().out
    assert f'mAP {expected.mAP:.4f}' in printed
    for class_id, name in expected.class_names.items():
        line = [s for s in printed.splitlines()
                if s.split()[:1] == [str(class_id)]][0]
        assert name in line and str(expected.num_gt[class_id]) in line
    assert 'person_movement' in printed
    data = json.loads(out_json.read_text())
    assert data['mAP'] == pytest.approx(expected.mAP, abs=0)
    assert set(data['per_class']) == {str(c) for c in case['classes']}
    for class_id, ap in expected.per_class_ap.items():
        got = data['per_class'][str(class_id)]
        assert (got is None) if math.isnan(ap) else got == ap
    assert out_png.read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'


def test_mmaction2_mode_and_custom_classes(tool, make_ava_case, tmp_path,
                                          capsys):
    case = make_ava_case(12)
    subset = case['classes'][:2]
    code = tool.main(['--gt', case['gt'], '--pred', case['pred'],
                      '--label-map', case['label_map'], '--mode',
                      'mmaction2', '--custom-classes',
                      *map(str, subset)])
    assert code == 0
    printed = capsys.readouterr().out
    assert "mmaction2 1.x's variant" in printed
    assert 'over' in printed.splitlines()[-2]


def test_malformed_input_is_reported(tool, make_ava_case, tmp_path, capsys):
    case = make_ava_case(13)
    with open(case['pred'], 'a') as f:
        f.write('v,902,0.1,0.2,0.3\n')
    lines = sum(1 for _ in open(case['pred']))
    code = tool.main(['--gt', case['gt'], '--pred', case['pred'],
                      '--label-map', case['label_map']])
    assert code == 1
    error = capsys.readouterr().err
    assert f"{case['pred']}:{lines}: expected 7 or 8 columns, got 5" in error
