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

    # Each description is what `serve --help` lists under the setting's LOCALEXPORT_* name.
    host: str = Field(default="127.0.0.1", description="Address to listen on.")
    port: int = Field(default=4577, description="Port to listen on.")
    data_dir: Path = Field(default_factory=lambda: Path(user_data_dir("localexport")),
                           description="Where the database (localexport.db), archives and dataset files live.")
    database_url: str | None = Field(default=None, description=(
        "A SQLite or PostgreSQL (postgresql+psycopg://...) URL; unset: a SQLite file in the data dir; "
        "sqlite:// keeps the state in memory."))
    job_mode: Literal["immediate", "realistic", "manual"] = Field(default="realistic", description=(
        "immediate (done before the create call returns), realistic (after LOCALEXPORT_JOB_DELAY seconds), manual (only "
        "when advanced through the test controls)."))
    job_delay: float = Field(default=2.0, ge=0, allow_inf_nan=False, description=(
        "Seconds a job (and a status transition such as Creating -> Available) takes in realistic mode."))
    job_workers: int = Field(default=4, ge=1, description="Job threads (a worker's jobs at once).")
    job_max_attempts: int = Field(default=3, ge=1, description=(
        "Runs of a job a crash may interrupt before it fails with a reason."))
    job_runner: Literal["auto", "threads", "workers"] = Field(default="auto", description=(
        "Who runs jobs: threads of the server, or workers (`localexport worker` processes, through Procrastinate "
        "on the PostgreSQL store); auto: workers when the store is PostgreSQL."))
    shared_state: bool = Field(default=False, description=(
        "Keep the test controls' state (timing, clock, injected failures) in the store, for several processes "
        "sharing one SQLite file (serve --workers N sets it; always so with workers)."))
    worker_heartbeat: float = Field(default=2.0, gt=0, allow_inf_nan=False,
                                    description="Seconds between a worker's heartbeats.")
    worker_stalled_after: float = Field(default=10.0, gt=0, allow_inf_nan=False, description=(
        "Seconds of silence after which a worker's jobs are taken over by other workers."))
    max_body_bytes: int = Field(default=50 * 1024 * 1024, ge=1024,
                                description="Larger requests (and uploads) are refused.")
    max_archive_entries: int = Field(default=10_000, ge=1, description="Files an imported archive may hold.")
    max_archive_bytes: int = Field(default=100 * 1024 * 1024, ge=1024,
                                   description="Uncompressed bytes an imported archive may hold.")
    call_threads: int = Field(default=8, ge=1, description=(
        "Threads that answer AWS calls (store reads and writes, immediate jobs) off the event loop."))
    log_level: str = Field(default="info", description="uvicorn's and the workers' log level.")
    s3_endpoint_url: str | None = Field(default=None, description=(
        "An S3 endpoint (AWS, MinIO, LocalStack, a moto server) jobs read and write; unset: S3 is answered by "
        "localexport itself (moto's S3 backend, on its own endpoint)."))
    s3_region: str = Field(default="us-east-1", description="The region of LOCALEXPORT_S3_ENDPOINT_URL.")
    s3_access_key_id: str | None = Field(default=None, description=(
        "Access key for LOCALEXPORT_S3_ENDPOINT_URL; unset: botocore's usual chain."))
    s3_secret_access_key: str | None = Field(default=None, description="Secret key for LOCALEXPORT_S3_ENDPOINT_URL.")
    artifacts_url: str | None = Field(default=None, description=(
        "A folder, or s3://bucket/prefix, for archives, uploads and Personalize record files (every server and "
        "worker of a shared instance uses it); unset: artifacts/ in the data dir."))
    artifacts_endpoint_url: str | None = Field(default=None, description=(
        "The endpoint of s3:// artifacts; unset: AWS's."))
    artifacts_region: str | None = Field(default=None, description="The region of s3:// artifacts.")
    artifacts_access_key_id: str | None = Field(default=None, description=(
        "Access key for s3:// artifacts; unset: botocore's usual chain (environment, config files, role)."))
    artifacts_secret_access_key: str | None = Field(default=None, description="Secret key for s3:// artifacts.")
    control_token: str | None = Field(default=None, description=(
        "When set, every control API call must carry it (header X-Localexport-Token)."))
    allowed_hosts: Annotated[list[str], NoDecode] = Field(default_factory=list, description=(
        "Comma-separated host names (besides loopback and LOCALEXPORT_HOST) the control API answers, e.g. a shared "
        "instance's DNS name."))
    credentials: Path | None = Field(default=None, description=(
        "A JSON file of access key -> secret key and account: every AWS call is SigV4-verified against it."))
    export_part_rows: int = Field(default=1_000_000, ge=1,
                                  description="Rows per CSV file of a Personalize dataset export.")
    personalize_min_interactions: int = Field(default=1000, ge=1, description=(
        "Interaction records a Personalize solution version needs to train (AWS's minimum: 1000); lower it to "
        "train on small test data."))
    personalize_min_users: int = Field(default=25, ge=1, description=(
        "Users with 2 or more interactions a Personalize solution version needs to train (AWS's minimum: 25)."))

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

    def runtime_options(self) -> dict[str, int]:
        """The settings services read through ``Runtime.options``."""
        return self.model_dump(include={"export_part_rows", "personalize_min_interactions", "personalize_min_users"})

    def uses_workers(self) -> bool:
        """Whether jobs run in `localexport worker` processes (a distributed instance)."""
        if self.job_runner == "auto":
            return self.resolved_database_url().startswith("postgresql")
        return self.job_runner == "workers"


class SetupError(RuntimeError):
    """Settings that cannot work together; said in one line at start."""
