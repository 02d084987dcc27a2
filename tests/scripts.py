"""Import the repository's scripts (tools/, demo/) as modules in tests."""
import importlib.util
import os.path as osp
import sys
import types
from typing import Optional

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))


def load_script(relative_path: str, name: Optional[str] = None,
                register: bool = False) -> types.ModuleType:
    """Run a script of the repository as a fresh module and return it.

    Args:
        relative_path (str): Path from the repository root, e.g.
            ``'tools/test.py'``.
        name (str, optional): Module name; default the file's stem.
        register (bool): Put the module into ``sys.modules`` before running
            it (dataclasses defined in the script look their module up
            there).
    """
    path = osp.join(REPO, relative_path)
    name = name or osp.splitext(osp.basename(path))[0]
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    if register:
        sys.modules[name] = module
    spec.loader.exec_module(module)
    return module
