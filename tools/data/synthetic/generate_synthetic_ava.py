"""Write a synthetic AVA-format dataset (thin wrapper of the package CLI).

Example::

    python tools/data/synthetic/generate_synthetic_ava.py \
        --out data/synthetic_ava --seed 0

Options: ``python -m mmaction_aia.datasets.synthetic --help``.
"""
import os.path as osp
import sys

try:
    import mmaction_aia  # noqa: F401
except ImportError:  # running from a checkout without ``pip install -e .``
    sys.path.insert(0, osp.abspath(osp.join(osp.dirname(__file__), '..',
                                            '..', '..')))

from mmaction_aia.datasets.synthetic.cli import main  # noqa: E402

if __name__ == '__main__':
    main()
