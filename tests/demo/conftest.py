"""The demo tests share the tiny assets of tests/apis."""
from tests.apis.conftest import tiny_model_files, tiny_video  # noqa: F401
