"""``python -m mmaction_aia.datasets.synthetic --out DIR [options]``."""
from .cli import main

if __name__ == '__main__':
    main()
