"""The web console at ``/_localexport/ui/``: accounts, resources and jobs of a running instance, and the test
controls, for people (app layer, beside control_api.py; templates and Jinja2 loaded at the first request)."""

from .pages import BASE, routes

__all__ = ["BASE", "routes"]
