"""localexport: a local implementation of the AWS resource export/import job APIs."""

__version__ = "0.1.0"
