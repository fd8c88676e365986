"""The Mini App's fixtures (kept in tests/support/webapp.py): ``app``, the real server on
loopback, and ``browser``, chromium on a preview of the real bot."""

from tests.support.webapp import app, browser

__all__ = ["app", "browser"]
