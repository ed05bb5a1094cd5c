"""Settings, from arguments or ``LOCALEXPORT_*`` environment variables."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from platformdirs import user_data_dir
from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LOCALEXPORT_")

    host: str = "127.0.0.1"
    port: int = 4577
    data_dir: Path = Field(default_factory=lambda: Path(user_data_dir("localexport")))
    # None: a SQLite file in data_dir; "sqlite://" keeps everything in memory.
    database_url: str | None = None
    job_mode: Literal["immediate", "realistic", "manual"] = "realistic"
    job_delay: float = Field(default=2.0, ge=0, allow_inf_nan=False)
    job_workers: int = Field(default=4, ge=1)
    job_max_attempts: int = Field(default=3, ge=1)
    # Who runs jobs: "threads" of this process, or "workers" (`localexport worker` processes, through
    # Procrastinate on the PostgreSQL store). "auto": workers when the store is PostgreSQL.
    job_runner: Literal["auto", "threads", "workers"] = "auto"
    # Keep the test controls' state (timing, clock, injected failures) in the store, for several processes
    # sharing one SQLite file (`serve --workers N` sets it); always so with workers.
    shared_state: bool = False
    # A worker's heartbeat, and the silence after which its tasks are taken over by other workers.
    worker_heartbeat: float = Field(default=2.0, gt=0, allow_inf_nan=False)
    worker_stalled_after: float = Field(default=10.0, gt=0, allow_inf_nan=False)
    max_body_bytes: int = Field(default=50 * 1024 * 1024, ge=1024)
    max_archive_entries: int = Field(default=10_000, ge=1)
    max_archive_bytes: int = Field(default=100 * 1024 * 1024, ge=1024)
    # Threads that answer AWS calls (store reads and writes, immediate jobs) off the event loop.
    call_threads: int = Field(default=8, ge=1)
    log_level: str = "info"
    # None: S3 is answered by localexport itself (moto's S3 backend, on this endpoint).
    # Else jobs read and write S3 objects at this endpoint (AWS, MinIO, LocalStack, a moto server).
    s3_endpoint_url: str | None = None
    s3_region: str = "us-east-1"
    s3_access_key_id: str | None = None
    s3_secret_access_key: str | None = None
    # None: the folder <data_dir>/artifacts. Else another folder, or s3://bucket/prefix: archives, uploads and
    # Personalize record files in a bucket that every server and worker of a shared instance uses.
    artifacts_url: str | None = None
    # For s3:// artifacts; None: AWS's endpoint and botocore's usual chain (environment, config files, role).
    artifacts_endpoint_url: str | None = None
    artifacts_region: str | None = None
    artifacts_access_key_id: str | None = None
    artifacts_secret_access_key: str | None = None
    # When set, every control API call must carry it (header ``X-Localexport-Token``).
    control_token: str | None = None
    # Host names (besides loopback and ``host``) the control API answers, e.g. a shared instance's DNS name;
    # comma-separated in LOCALEXPORT_ALLOWED_HOSTS.
    allowed_hosts: Annotated[list[str], NoDecode] = Field(default_factory=list)
    # When set, a file of access key -> secret key -> account: every AWS call is SigV4-verified against it.
    credentials: Path | None = None
    # Rows per CSV file of a Personalize dataset export.
    export_part_rows: int = Field(default=1_000_000, ge=1)

    @field_validator("allowed_hosts", mode="before")
    @classmethod
    def _comma_separated(cls, value):
        return [name.strip() for name in value.split(",") if name.strip()] if isinstance(value, str) else value

    @field_validator("artifacts_url")
    @classmethod
    def _folder_or_s3(cls, value):
        if value and "://" in value and not (value.startswith("s3://") and urlsplit(value).netloc):
            raise ValueError("artifacts_url must be a folder or s3://bucket/prefix")
        if value and value.startswith("s3://") and not urlsplit(value).path.strip("/"):
            # the prefix is localexport's alone (a reset empties it): never a whole bucket
            raise ValueError("artifacts_url needs a prefix of localexport's own: s3://bucket/prefix")
        return value

    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'localexport.db'}"

    def uses_workers(self) -> bool:
        """Whether jobs run in `localexport worker` processes (a distributed instance)."""
        if self.job_runner == "auto":
            return self.resolved_database_url().startswith("postgresql")
        return self.job_runner == "workers"


class SetupError(RuntimeError):
    """Settings that cannot work together; said in one line at start."""
