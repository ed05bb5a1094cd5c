"""The store's database: schema revisions at start-up (SQLite and PostgreSQL), and writers of several
stores racing on one PostgreSQL database, as several server and worker processes do."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from click.testing import CliRunner
from conftest import client
from lexv2_helpers import simple_bot

from localexport.cli import main
from localexport.core import migrations
from localexport.core.artifacts import ArtifactStore
from localexport.core.clock import Clock
from localexport.core.jobs import JobEngine, JobOutcome
from localexport.core.store import AlreadyExists, Doc, Job, Scope, Store, metadata

SCOPE = Scope("123456789012", "us-east-1", "lexv2-models")
FUTURE = "9999_made_by_a_newer_localexport"


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    """An empty database: a SQLite file, or a database of the test PostgreSQL server."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'localexport.db'}"
    return request.getfixturevalue("postgres").database()


def _two_stores(url: str):
    made = [Store(url), Store(url)]
    yield made
    for store in made:
        store.engine.dispose()


@pytest.fixture
def stores(database_url):
    """Two stores on one database: two processes' connections and locks, as the database sees them."""
    yield from _two_stores(database_url)


@pytest.fixture
def pg_stores(postgres):
    yield from _two_stores(postgres.database())


def _heads(url: str) -> tuple[str, ...]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_heads()
    finally:
        engine.dispose()


def _set_revision(url: str, revision: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = :v"), {"v": revision})
    engine.dispose()


def _old_rows(conn: sa.Connection) -> None:
    """A bot and a job, written as earlier versions wrote them."""
    conn.execute(metadata.tables["resources"].insert().values(
        account=SCOPE.account, region=SCOPE.region, service=SCOPE.service, kind="bot", key="OLD", parent=None,
        name="Old", body={"botName": "Old"}, created_at=1.0, updated_at=1.0))
    conn.execute(metadata.tables["jobs"].insert().values(
        id="job1", account=SCOPE.account, region=SCOPE.region, service=SCOPE.service, kind="export",
        state="succeeded", spec={}, attempts=1, extra={}, created_at=1.0, updated_at=2.0))


def _assert_old_rows(store: Store) -> None:
    assert store.get(SCOPE, "bot", "OLD").body == {"botName": "Old"}
    assert store.get_job("job1").state == "succeeded"


def _doc(key: str) -> Doc:
    return Doc("bot", key, None, key, {"botName": key}, 1.0, 1.0)


def _job(job_id: str, state: str = "queued") -> Job:
    return Job(id=job_id, scope=SCOPE, kind="export", state=state, spec={}, created_at=1.0, updated_at=1.0)


def _until(condition, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


# -- schema revisions ----------------------------------------------------------------------------


def test_a_new_database_gets_the_newest_revision_and_the_tables_the_code_uses(database_url):
    store = Store(database_url)
    with store.engine.connect() as conn:
        assert MigrationContext.configure(conn).get_current_heads() == (migrations.head(),)
        ours = MigrationContext.configure(conn, opts={  # (other tables, e.g. a task queue's, are not the store's)
            "include_name": lambda name, kind, _: kind != "table" or name in metadata.tables})
        assert compare_metadata(ours, metadata) == []
    store.engine.dispose()
    Store(database_url).engine.dispose()  # a restart finds it current
    assert _heads(database_url) == (migrations.head(),)


def test_a_sqlite_file_made_before_revisions_is_stamped_and_keeps_its_rows(tmp_path):
    url = f"sqlite:///{tmp_path / 'localexport.db'}"
    engine = sa.create_engine(url)
    # how earlier versions made the file: create_all of their two tables (those of revision 0001)
    metadata.create_all(engine, tables=[metadata.tables["resources"], metadata.tables["jobs"]])
    with engine.begin() as conn:
        _old_rows(conn)
    engine.dispose()
    store = Store(url)
    assert _heads(url) == (migrations.head(),)
    _assert_old_rows(store)
    store.engine.dispose()


def test_a_database_at_an_older_revision_is_upgraded_and_keeps_its_rows(database_url):
    engine = sa.create_engine(database_url)
    with engine.begin() as conn:
        command.upgrade(migrations.config(conn), migrations.INITIAL)
        _old_rows(conn)
    engine.dispose()
    store = Store(database_url)
    assert _heads(database_url) == (migrations.head(),)
    _assert_old_rows(store)
    store.put(SCOPE, Doc("Theme", "t" * 2048, "p" * 2048, "n" * 2048, {}, 1.0, 1.0))  # 0003: no length limits
    assert store.get(SCOPE, "Theme", "t" * 2048).name == "n" * 2048
    store.engine.dispose()


def test_several_stores_starting_at_once_on_a_new_database_all_start(database_url):
    barrier = threading.Barrier(4)

    def start() -> Store:  # each store its own connections and locks: as separate processes
        barrier.wait()
        return Store(database_url)

    with ThreadPoolExecutor(4) as pool:
        made = [future.result(30) for future in [pool.submit(start) for _ in range(4)]]
    assert _heads(database_url) == (migrations.head(),)
    for store in made:
        store.engine.dispose()


def test_a_database_of_a_newer_revision_is_refused_and_left_alone(database_url):
    Store(database_url).engine.dispose()
    _set_revision(database_url, FUTURE)
    with pytest.raises(migrations.SchemaError) as refused:
        Store(database_url)
    message = str(refused.value)
    assert FUTURE in message and "upgrade localexport" in message and "\n" not in message
    assert _heads(database_url) == (FUTURE,)


def test_serve_refuses_a_newer_database_in_one_line(tmp_path):
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    url = f"sqlite:///{data_dir / 'localexport.db'}"
    Store(url).engine.dispose()
    _set_revision(url, FUTURE)
    result = CliRunner().invoke(main, ["serve", "--data-dir", str(data_dir)])
    assert result.exit_code == 2
    assert result.stderr.startswith(f"localexport: cannot start: the database's schema is at revision {FUTURE}")
    assert result.stderr.count("\n") == 1


def test_serve_says_in_one_line_that_the_database_cannot_be_reached(tmp_path):
    from conftest import free_port

    url = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/nothing-listens-here"
    result = CliRunner().invoke(main, ["serve", "--data-dir", str(tmp_path / "data")],
                                env={"LOCALEXPORT_DATABASE_URL": url, "LOCALEXPORT_JOB_RUNNER": "threads"})
    assert result.exit_code == 2
    assert result.stderr.startswith("localexport: cannot start: the database cannot be used: connection failed")
    assert result.stderr.count("\n") == 1


def test_serve_says_in_one_line_that_a_file_in_the_data_dir_is_no_database(tmp_path):
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    (data_dir / "localexport.db").write_bytes(b"not a database, " * 512)
    result = CliRunner().invoke(main, ["serve", "--data-dir", str(data_dir)])
    assert result.exit_code == 2
    assert result.stderr == "localexport: cannot start: the database cannot be used: file is not a database\n"
    assert (data_dir / "localexport.db").read_bytes() == b"not a database, " * 512


def test_a_store_names_the_databases_it_runs_on():
    with pytest.raises(ValueError, match="the store runs on SQLite or PostgreSQL, not mysql"):
        Store("mysql://localhost/db")
    with pytest.raises(ValueError, match="sqlite:///path"):
        Store("sqlite://host/db")


def test_json_values_come_back_as_written_inside_and_outside_a_transaction(database_url):
    store = Store(database_url)
    values = (5, 1.5, True, "text", None, [1, "a"], {"big": 2**70, "small": -(2**64) - 1, "1": {"nested": []}})
    for value in values:
        store.put_setting("value", value)
        outside = store.setting("value")
        with store.transaction():
            inside = store.setting("value")
        assert outside == inside == store.update_setting("value", lambda saved: saved) == value
        assert type(outside) is type(value)
    store.put(SCOPE, Doc("bot", "BIG", None, "Big", {"n": 2**70}, 1.0, 1.0))
    assert store.get(SCOPE, "bot", "BIG").body == {"n": 2**70}
    store.close()


def test_a_sqlite_file_is_upgraded_where_it_is_whatever_its_path_holds(tmp_path):
    folder = tmp_path / "d%41"  # (as a URL, %41 would be "A": another folder)
    folder.mkdir()
    url = f"sqlite:///{folder / 'localexport.db'}"
    engine = sa.create_engine("sqlite://", creator=lambda: __import__("sqlite3").connect(folder / "localexport.db"))
    with engine.begin() as conn:
        command.upgrade(migrations.config(conn), migrations.INITIAL)
    engine.dispose()
    store = Store(url)
    store.put_setting("after", "the upgrade")
    assert store.setting("after") == "the upgrade" and not (tmp_path / "dA").exists()
    store.close()


def test_a_sqlite_store_keeps_no_connection_of_a_thread_that_ended(tmp_path):
    import gc

    store = Store(f"sqlite:///{tmp_path / 'threads.db'}")
    store.put(SCOPE, _doc("A"))
    for _ in range(20):  # e.g. anyio's worker threads, which end when idle
        worker = threading.Thread(target=lambda: store.get(SCOPE, "bot", "A"))
        worker.start()
        worker.join()
    gc.collect()
    assert len(store._opened) == 1  # this thread's
    store.close()


# -- writers -------------------------------------------------------------------------------------


def test_a_taken_key_is_refused_and_the_transaction_goes_on(database_url):
    store = Store(database_url)
    with store.transaction():
        store.put(SCOPE, _doc("A"))
        with pytest.raises(AlreadyExists):
            store.put(SCOPE, _doc("A"))
        store.insert_job(_job("j"))
        with pytest.raises(AlreadyExists):
            store.insert_job(_job("j"))
        store.put(SCOPE, _doc("B"))
    assert [d.key for d in store.all(SCOPE, "bot")] == ["A", "B"] and store.get_job("j") is not None
    store.engine.dispose()


def test_key_prefixes_match_literally(database_url):
    store = Store(database_url)
    for key in ("a_%\\b/1", "aX%\\b/2", "a_Z\\b/3"):
        store.put(SCOPE, _doc(key))
    assert [d.key for d in store.tree(SCOPE, "a_%\\b/")] == ["a_%\\b/1"]
    store.remove_tree(SCOPE, "a_%\\b/")
    assert sorted(d.key for d in store.all(SCOPE, "bot")) == ["aX%\\b/2", "a_Z\\b/3"]
    store.engine.dispose()


def test_a_claim_waiting_on_another_stores_claim_finds_the_job_taken(pg_stores):
    first, second = pg_stores
    first.insert_job(_job("j1"))
    claimed: list[bool] = []
    with first.transaction():
        assert first.update_job("j1", only_from=("queued",), state="running", attempts=1)
        waiting = threading.Thread(target=lambda: claimed.append(
            second.update_job("j1", only_from=("queued",), state="running", attempts=7)))
        waiting.start()
        with first.engine.connect() as watcher:  # the second claim waits for the first one's row lock
            _until(lambda: watcher.execute(sa.text(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()"
            )).scalar() == 1)
    waiting.join(10)
    assert claimed == [False]  # re-checked on the committed row (READ COMMITTED): no longer queued
    job = second.get_job("j1")
    assert (job.state, job.attempts) == ("running", 1)


def test_claims_racing_from_many_stores_have_exactly_one_winner(postgres):
    url = postgres.database()
    racers = [Store(url) for _ in range(6)]
    ids = [f"job{i}" for i in range(30)]
    for job_id in ids:
        racers[0].insert_job(_job(job_id))
    barrier = threading.Barrier(len(racers))
    wins: list[str] = []

    def race(store: Store) -> None:
        barrier.wait()
        wins.extend(i for i in ids if store.update_job(i, only_from=("queued",), state="running"))

    threads = [threading.Thread(target=race, args=(store,)) for store in racers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(wins) == sorted(ids)
    for store in racers:
        store.engine.dispose()


def test_two_engines_stepping_the_same_job_run_it_once(stores, tmp_path):
    runs: list[str] = []
    started = threading.Barrier(2)

    def runner(job: Job) -> JobOutcome:
        runs.append(job.id)
        time.sleep(0.1)
        return JobOutcome({})

    engines = [JobEngine(store, ArtifactStore(tmp_path / "artifacts"), Clock(), mode="manual") for store in stores]
    for engine in engines:
        engine.register("export", runner)
    engines[0].submit(SCOPE, "export", "j1", {})

    def step(engine: JobEngine) -> None:
        started.wait()
        engine.advance("j1")

    threads = [threading.Thread(target=step, args=(engine,)) for engine in engines]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert runs == ["j1"] and stores[1].get_job("j1").state == "succeeded"
    for engine in engines:
        engine.close()


def test_check_then_write_blocks_of_two_stores_do_not_interleave(stores):
    """As an ingestion starts: none of the data set's may be running, then one is; two starts, one runs."""
    barrier = threading.Barrier(2)

    def start(store: Store, job_id: str) -> None:
        barrier.wait()
        with store.transaction():
            if any(j.state == "running" for j in store.jobs(SCOPE, "export")):
                return
            time.sleep(0.2)  # the other start checks meanwhile, and waits
            store.insert_job(_job(job_id, "running"))

    threads = [threading.Thread(target=start, args=(store, f"j{i}")) for i, store in enumerate(stores)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(stores[0].jobs(SCOPE, "export")) == 1


# -- a shared instance ---------------------------------------------------------------------------


def test_two_servers_share_one_postgresql_database(server_factory, postgres, tmp_path):
    env = {"LOCALEXPORT_DATABASE_URL": postgres.database(), "LOCALEXPORT_JOB_MODE": "immediate",
           "LOCALEXPORT_JOB_RUNNER": "threads"}  # each runs the jobs it starts (no worker processes)
    one, other = server_factory(tmp_path / "one", **env), server_factory(tmp_path / "two", **env)
    lex, lex_too = client("lexv2-models", one.url), client("lexv2-models", other.url)
    bot_id = simple_bot(lex)["botId"]
    assert lex_too.describe_bot(botId=bot_id)["botStatus"] == "Available"
    export_id = lex_too.create_export(resourceSpecification={"botExportSpecification": {
        "botId": bot_id, "botVersion": "DRAFT"}}, fileFormat="LexJson")["exportId"]
    assert lex.describe_export(exportId=export_id)["exportStatus"] == "Completed"


def test_a_plain_postgresql_url_uses_the_shipped_driver(postgres):
    store = Store(postgres.database().replace("postgresql+psycopg://", "postgresql://"))
    assert store.engine.dialect.driver == "psycopg"
    store.engine.dispose()


def test_health_says_when_the_store_cannot_be_read(tmp_path):
    from localexport.app import LocalExport
    from localexport.config import Settings
    from localexport.inprocess import InProcess

    instance = LocalExport(Settings(data_dir=tmp_path / "data", job_mode="immediate"))
    adapter = InProcess(instance)
    try:
        assert adapter.http.get("/_localexport/health").status_code == 200
        instance.runtime.store.engine.dispose()
        (tmp_path / "data" / "localexport.db").unlink()
        (tmp_path / "data" / "localexport.db").mkdir()  # what no one can open as a database
        answer = adapter.http.get("/_localexport/health")
        assert answer.status_code == 503
        assert answer.json()["status"] == "unavailable"
        assert answer.json()["reason"].startswith("the store cannot be read: ")
    finally:
        adapter.close()
        instance.close()


def test_the_head_the_store_knows_without_alembic_is_alembics():
    """``HEAD`` lets a current or empty database start without importing Alembic: it must name the newest revision."""
    assert migrations.HEAD == migrations.head()


def test_a_subtree_is_read_through_the_key_index_and_only_its_own_keys(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'tree.db'}")
    scope = Scope("123456789012", "us-east-1", "lexv2-models")
    now = time.time()
    for key in ("BOT1/DRAFT/en_US", "BOT1/DRAFT/en_US/I1", "BOT1/DRAFT/en_US/I1/S1", "BOT1/DRAFT/en_GB/I2",
                "bot1/draft/en_us/I3", "BOT1/DRAFT/en_US_x/I4"):
        store.put(scope, Doc("intent", key, None, key, {"k": key}, now, now))
    assert sorted(d.key for d in store.tree(scope, "BOT1/DRAFT/en_US/")) == ["BOT1/DRAFT/en_US/I1",
                                                                             "BOT1/DRAFT/en_US/I1/S1"]
    with store.engine.connect() as conn:  # (the LIKE it replaced read every resource of the scope)
        plan = conn.exec_driver_sql("EXPLAIN QUERY PLAN SELECT key FROM resources WHERE account = ? AND region = ? "
                                    "AND service = ? AND key >= ? AND key < ?",
                                    (scope.account, scope.region, scope.service, "a", "b")).fetchall()
    assert "ix_resources_key" in str(plan)
    store.remove_tree(scope, "BOT1/DRAFT/en_US/")
    assert sorted(d.key for d in store.tree(scope, "BOT1/")) == ["BOT1/DRAFT/en_GB/I2", "BOT1/DRAFT/en_US",
                                                                 "BOT1/DRAFT/en_US_x/I4"]
    store.close()


def test_the_jobs_in_some_states_are_found_by_their_state_in_creation_order(database_url, tmp_path):
    """The unfinished jobs of a kind (a ListBots reads them on every call) are read through the index on the
    state, not by walking every job the scope ever ran; they come in creation order all the same."""
    store = Store(database_url)
    with store.transaction():
        for i in range(300):  # (finished ones, and three unfinished among them, made out of order)
            state = "running" if i in (5, 150, 290) else "queued" if i == 77 else "succeeded"
            store.insert_job(Job(f"job-{i}", SCOPE, "lexv2.import", state, {}, 1_000.0 - i, 1_000.0))
    assert [j.id for j in store.jobs(SCOPE, "lexv2.import", states=("queued", "running"))] == [
        "job-290", "job-150", "job-77", "job-5"]
    if store.dialect == "sqlite":  # (ties in the order they were made in, whatever their states)
        with store.transaction():
            for i, state in enumerate(["running", "queued", "running", "queued"]):
                store.insert_job(Job(f"tie-{i}", SCOPE, "lexv2.tie", state, {}, 5.0, 5.0))
        assert [j.id for j in store.jobs(SCOPE, "lexv2.tie", states=("queued", "running"))] == [
            "tie-0", "tie-1", "tie-2", "tie-3"]
    if store.dialect == "sqlite":
        from localexport.core.store_sqlite import _jobs_query

        with store.transaction():
            plan = store._local.tx.execute("EXPLAIN QUERY PLAN " + _jobs_query(True, True, 2),
                                           (SCOPE.account, SCOPE.region, SCOPE.service, "lexv2.import", "queued",
                                            "running")).fetchall()
        assert "ix_jobs_scope_state" in str(plan), plan
    store.engine.dispose()
