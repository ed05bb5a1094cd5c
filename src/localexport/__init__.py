"""localexport: a local implementation of the AWS resource export/import job APIs."""

__version__ = "0.1.0"


def __getattr__(name: str):
    # ``from localexport import mock_export`` without importing botocore for every use of the package
    if name == "mock_export":
        from .mock import mock_export

        return mock_export
    raise AttributeError(name)
