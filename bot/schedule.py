"""Jobs on PTB's JobQueue (APScheduler 3): the evening scan and the delivery worker.

Placeholder until the alert pipeline lands: installs nothing.
"""

from __future__ import annotations

from telegram.ext import Application


def install_jobs(app: Application) -> None:
    """Register the scan and delivery jobs on ``app.job_queue``."""
