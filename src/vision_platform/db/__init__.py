"""The platform's database: SQLAlchemy 2 models, engine and sessions, Alembic migrations."""

from vision_platform.db.models import Base, JobAttempt, LogLine, MetricPoint, TrainingJob
from vision_platform.db.session import Database

__all__ = ["Base", "Database", "JobAttempt", "LogLine", "MetricPoint", "TrainingJob"]
