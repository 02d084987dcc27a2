from tests.tools.conftest import tiny_data_root  # noqa: F401
