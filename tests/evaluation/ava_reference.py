"""Reference AVA evaluators for tests and benchmarks (never imported at run
time by mmaction_aia).

- :func:`official_evaluate`: ActivityNet's ``get_ava_performance.py`` rules
  (its reader: class whitelist, at most 50 detections per keyframe through a
  heap, exclusions removed from both sides), transcribed below, on the
  TensorFlow ``PascalDetectionEvaluator`` files that mmaction2 0.24.1 ships
  (``mmaction/core/evaluation/ava_evaluation``).
- :func:`mmaction2_evaluate`: mmaction2 1.2.0's ``ava_eval``
  (``mmaction/evaluation/functional/ava_utils.py``), the speed reference.

The files are read from the wheels, found in ``$MMACTION_AIA_AVA_REFERENCE``
or ``~/.cache/mmaction_aia/ava_reference`` (see :data:`FETCH`), or, for a
version installed with ``pip install --no-deps`` (requirements/oracles.txt
installs 1.2.0), from site-packages; the ``mmaction`` package itself is
never imported.
numpy aliases removed in numpy >= 1.24 / 2.0 (``np.float``, ``np.bool``,
``np.NAN``) are provided to those modules only.
"""
import csv
import glob
import heapq
import importlib.metadata
import importlib.util
import os
import sys
import types
import zipfile
from collections import defaultdict
from typing import Dict, Iterable, List, Optional, Tuple

import numpy as np

FETCH = ('python -m pip download --no-deps --only-binary=:all: -d '
         '~/.cache/mmaction_aia/ava_reference mmaction2=={version}')


class _NumpyCompat(types.ModuleType):
    """numpy with the aliases the reference files still use."""

    float = float
    int = int
    bool = bool
    NAN = np.nan

    def __getattr__(self, name: str):
        return getattr(np, name)


_NP = _NumpyCompat('numpy')


def find_source(version: str) -> str:
    """Wheel (or installed folder) of mmaction2 ``version``; raises with the
    command that fetches it."""
    folders = [os.environ.get('MMACTION_AIA_AVA_REFERENCE', ''),
               os.path.expanduser('~/.cache/mmaction_aia/ava_reference')]
    for folder in folders:
        found = glob.glob(os.path.join(folder, f'mmaction2-{version}-*.whl'))
        if folder and found:
            return found[0]
    try:
        if importlib.metadata.version('mmaction2') == version:
            spec = importlib.util.find_spec('mmaction')  # does not import it
            return os.path.dirname(os.path.dirname(spec.origin))
    except (importlib.metadata.PackageNotFoundError, AttributeError):
        pass
    raise FileNotFoundError(
        f'mmaction2 {version} wheel not found in {folders}; fetch it with: '
        + FETCH.format(version=version))


def _read(source: str, path: str) -> str:
    if os.path.isdir(source):
        with open(os.path.join(source, path)) as f:
            return f.read()
    with zipfile.ZipFile(source) as archive:
        return archive.read(path).decode()


def _load(source: str, folder: str, package: str,
          names: Iterable[str]) -> types.ModuleType:
    """Execute ``folder/<name>.py`` of ``source`` as ``package.<name>``."""
    parent = sys.modules.get(package)
    if parent is None:
        parent = types.ModuleType(package)
        parent.__path__ = []
        sys.modules[package] = parent
        if '.' in package:
            head, tail = package.rsplit('.', 1)
            setattr(sys.modules[head], tail, parent)
    for name in names:
        if hasattr(parent, name):
            continue
        module = types.ModuleType(f'{package}.{name}')
        module.__package__ = package
        module.__file__ = f'{source}/{folder}/{name}.py'
        sys.modules[module.__name__] = module
        code = compile(_read(source, f'{folder}/{name}.py'), module.__file__,
                       'exec')
        exec(code, module.__dict__)
        if hasattr(module, 'np'):
            module.np = _NP
        setattr(parent, name, module)
    return parent


def tf_evaluation() -> types.ModuleType:
    """mmaction2 0.24.1's copy of the TF object-detection evaluation."""
    return _load(find_source('0.24.1'), 'mmaction/core/evaluation/'
                 'ava_evaluation', '_ava_reference_tf',
                 ['standard_fields', 'np_box_ops', 'np_box_list', 'metrics',
                  'per_image_evaluation', 'object_detection_evaluation'])


def mmaction2_ava_utils() -> types.ModuleType:
    """mmaction2 1.2.0's ``ava_utils`` module."""
    wheel = find_source('1.2.0')
    folder = 'mmaction/evaluation/functional'
    package = _load(wheel, folder, '_ava_reference_mm', [])
    _load(wheel, f'{folder}/ava_evaluation', '_ava_reference_mm.'
          'ava_evaluation', ['np_box_ops', 'np_box_list', 'metrics'])
    return _load(wheel, folder, package.__name__, ['ava_utils']).ava_utils


# ActivityNet get_ava_performance.py, transcribed (the reader's rules).


def official_read_labelmap(path: str) -> Tuple[List[dict], set]:
    labelmap, class_ids = [], set()
    name = ''
    with open(path) as f:
        for line in f:
            if line.startswith('  name:'):
                name = line.split('"')[1]
            elif line.startswith('  id:') or line.startswith('  label_id:'):
                class_id = int(line.strip().split(' ')[-1])
                labelmap.append({'id': class_id, 'name': name})
                class_ids.add(class_id)
    return labelmap, class_ids


def make_image_key(video_id: str, timestamp: str) -> str:
    return f'{video_id},{int(timestamp):04d}'


def official_read_csv(path: str, class_whitelist=None, capacity: int = 0):
    entries = defaultdict(list)
    boxes, labels, scores = (defaultdict(list), defaultdict(list),
                             defaultdict(list))
    with open(path) as f:
        for row in csv.reader(f):
            assert len(row) in [7, 8], 'Wrong number of columns: ' + row
            image_key = make_image_key(row[0], row[1])
            x1, y1, x2, y2 = [float(n) for n in row[2:6]]
            action_id = int(row[6])
            if class_whitelist and action_id not in class_whitelist:
                continue
            score = 1.0
            if len(row) == 8:
                score = float(row[7])
            if capacity < 1 or len(entries[image_key]) < capacity:
                heapq.heappush(entries[image_key],
                               (score, action_id, y1, x1, y2, x2))
            elif score > entries[image_key][0][0]:
                heapq.heapreplace(entries[image_key],
                                  (score, action_id, y1, x1, y2, x2))
    for image_key in entries:
        entry = sorted(entries[image_key], key=lambda tup: -tup[0])
        for item in entry:
            score, action_id, y1, x1, y2, x2 = item
            boxes[image_key].append([y1, x1, y2, x2])
            labels[image_key].append(action_id)
            scores[image_key].append(score)
    return boxes, labels, scores


def official_read_exclusions(path: Optional[str]) -> set:
    excluded = set()
    if path:
        with open(path) as f:
            for row in csv.reader(f):
                assert len(row) == 2, 'Expected only 2 columns, got: ' + row
                excluded.add(make_image_key(row[0], row[1]))
    return excluded


def official_evaluate(gt: str, pred: str, label_map: str,
                      exclusions: Optional[str] = None,
                      custom_classes: Optional[Iterable[int]] = None
                      ) -> Tuple[float, Dict[int, float]]:
    """ActivityNet's ``run_evaluation``: (mAP, {class id: AP})."""
    tf = tf_evaluation()
    fields = tf.standard_fields
    categories, class_whitelist = official_read_labelmap(label_map)
    if custom_classes is not None:
        class_whitelist = set(custom_classes) & class_whitelist
        categories = [c for c in categories if c['id'] in class_whitelist]
    excluded_keys = official_read_exclusions(exclusions)
    evaluator = tf.object_detection_evaluation.PascalDetectionEvaluator(
        categories)
    boxes, labels, _ = official_read_csv(gt, class_whitelist, 0)
    for image_key in boxes:
        if image_key in excluded_keys:
            continue
        evaluator.add_single_ground_truth_image_info(image_key, {
            fields.InputDataFields.groundtruth_boxes:
            np.array(boxes[image_key], dtype=float),
            fields.InputDataFields.groundtruth_classes:
            np.array(labels[image_key], dtype=int),
        })
    boxes, labels, scores = official_read_csv(pred, class_whitelist, 50)
    for image_key in boxes:
        if image_key in excluded_keys:
            continue
        evaluator.add_single_detected_image_info(image_key, {
            fields.DetectionResultFields.detection_boxes:
            np.array(boxes[image_key], dtype=float),
            fields.DetectionResultFields.detection_classes:
            np.array(labels[image_key], dtype=int),
            fields.DetectionResultFields.detection_scores:
            np.array(scores[image_key], dtype=float),
        })
    metrics = evaluator.evaluate()
    mean_ap = metrics[[k for k in metrics if k.startswith('mAP@')][0]]
    per_class = evaluator._evaluation.average_precision_per_class
    return float(mean_ap), {c['id']: float(per_class[c['id'] - 1])
                            for c in categories}


class _SerialPool:
    """Stands in for ``multiprocessing.Pool(32)`` in tests."""

    def __init__(self, *args, **kwargs) -> None:
        pass

    def map(self, func, items):
        return list(map(func, items))


def mmaction2_evaluate(gt: str, pred: str, label_map: str,
                       exclusions: Optional[str] = None,
                       custom_classes: Optional[List[int]] = None,
                       serial: bool = True
                       ) -> Tuple[dict, Dict[int, float]]:
    """mmaction2 1.2.0's ``ava_eval``: (its result dict, {id: AP}).

    Per-class APs are read from the dict it accumulates them in.
    """
    utils = mmaction2_ava_utils()
    created: List[defaultdict] = []

    class Recording(defaultdict):
        def __init__(self, *args) -> None:
            super().__init__(*args)
            created.append(self)

    aps: List[float] = []
    metrics = utils.metrics
    original_ap = metrics.compute_average_precision

    def record_ap(precision, recall):
        aps.append(original_ap(precision, recall))
        return aps[-1]

    saved = (utils.defaultdict, utils.multiprocessing)
    utils.defaultdict = Recording
    metrics.compute_average_precision = record_ap
    utils.print = lambda *args, **kwargs: None
    if serial:
        utils.multiprocessing = types.SimpleNamespace(Pool=_SerialPool)
    try:
        result = utils.ava_eval(
            pred, 'mAP', label_map, gt, exclusions, verbose=False,
            custom_classes=None if custom_classes is None else
            [0] + list(custom_classes))
    finally:
        utils.defaultdict, utils.multiprocessing = saved
        metrics.compute_average_precision = original_ap
        del utils.print
    scores = created[-2]  # ``scores, tpfps = defaultdict(list), ...``
    return result, {int(k): float(ap) for k, ap in zip(scores, aps)}
