"""A local PostgreSQL cluster: for `make run-postgres` and for the tests.

    python -m config.pgcluster up DIR      initialise DIR if new, start it, create the database; prints the URL
    python -m config.pgcluster url DIR     the ARCHIVE_DATABASE_URL of the cluster in DIR
    python -m config.pgcluster down DIR    stop it

The server binaries are Debian's (postgresql-15: /usr/lib/postgresql/15/bin;
PG_BINDIR overrides). PostgreSQL refuses to run as root, so when this runs
as root the cluster belongs to, and runs as, the `postgres` system user:
its directory must then be reachable by that user (not below a 0700
folder). The `up` cluster listens on a unix socket in its own directory
only (no TCP port, so no clash with another server), and trusts local
connections: the socket is reachable by the cluster's owner (and root)
alone. Temporary clusters for tests (TemporaryCluster) listen on a free
127.0.0.1 port with a password instead, so a replica can stream from them.
"""
import glob
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

INSTALL_HINT = "apt-get install -y postgresql-15   (Debian: the server binaries, /usr/lib/postgresql/15/bin)"
SUPERUSER = "archive"
DATABASE = "archive"


class ClusterError(RuntimeError):
    """A cluster that could not be set up, with the reason and what to do."""


def find_bindir():
    """The folder of initdb/pg_ctl/postgres, or None when not installed."""
    if os.environ.get("PG_BINDIR"):  # only there, when given
        candidates = [os.environ["PG_BINDIR"]]
    else:
        candidates = ["/usr/lib/postgresql/15/bin"] + sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    found = shutil.which("pg_ctl")
    if found and not os.environ.get("PG_BINDIR"):
        candidates.append(os.path.dirname(found))
    for folder in candidates:
        if folder and all(os.access(os.path.join(folder, tool), os.X_OK) for tool in ("initdb", "pg_ctl", "postgres")):
            return Path(folder)
    return None


def server_user():
    """The system user the server runs as: `postgres` when we are root
    (PostgreSQL refuses root), else None (ourselves)."""
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam(os.environ.get("PG_RUN_AS", "postgres"))
    except KeyError:
        raise ClusterError("running as root, and there is no `postgres` system user to run PostgreSQL as "
                           f"(PostgreSQL refuses to run as root); {INSTALL_HINT} creates it")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass(frozen=True)
class Cluster:
    """One cluster directory and how it is reached."""

    directory: Path
    port: int = 5432
    tcp: bool = False  # listen on 127.0.0.1:port too (else the unix socket only)
    password: str = ""  # for TCP connections (scram-sha-256); the socket trusts
    database: str = DATABASE

    @property
    def socket_dir(self):
        return self.directory

    @property
    def log_file(self):
        return self.directory / "server.log"

    def url(self, database=None, via_socket=None):
        """ARCHIVE_DATABASE_URL for this cluster's database."""
        name = database or self.database
        if via_socket if via_socket is not None else not self.tcp:
            return f"postgres://{SUPERUSER}@/{name}?host={quote(str(self.socket_dir))}&port={self.port}"
        return f"postgres://{SUPERUSER}:{quote(self.password)}@127.0.0.1:{self.port}/{name}"

    def conninfo(self, database="postgres"):
        """A libpq connection string (over TCP when the cluster has it)."""
        if self.tcp:
            return f"host=127.0.0.1 port={self.port} user={SUPERUSER} password={self.password} dbname={database}"
        return f"host={self.socket_dir} port={self.port} user={SUPERUSER} dbname={database}"


def _run(args, user, check=True, timeout=120, **kwargs):
    """Run a server tool, as `user` (a pwd entry) if given, from /."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8"}
    if user is not None:
        kwargs.update(user=user.pw_uid, group=user.pw_gid, extra_groups=[], env={**env, "HOME": user.pw_dir})
    else:
        kwargs.update(env={**env, "HOME": os.environ.get("HOME", "/")})
    result = subprocess.run([str(a) for a in args], cwd="/", capture_output=True, text=True, timeout=timeout,
                            **kwargs)
    if check and result.returncode != 0:
        raise ClusterError(f"{Path(str(args[0])).name} failed ({result.returncode}): "
                           f"{(result.stderr or result.stdout).strip()[-2000:]}")
    return result


def _own(path, user):
    """Make `path` a folder only the server's user can use (PostgreSQL's rule)."""
    path.mkdir(parents=True, exist_ok=True)
    if user is not None:
        os.chown(path, user.pw_uid, user.pw_gid)
    os.chmod(path, 0o700)


def _check_reachable(path, user):
    if user is None:
        return
    probe = _run(["/usr/bin/test", "-w", path], user, check=False)
    if probe.returncode != 0:
        raise ClusterError(
            f"the `{user.pw_name}` user cannot reach {path} (a parent folder is closed to it, e.g. mode 0700); "
            "put the cluster elsewhere (ARCHIVE_PG_DIR=/var/tmp/archive-pg) or open the folders to it")


def initialise(cluster, bindir, user, fsync=True):
    """initdb into cluster.directory unless it holds a cluster already."""
    directory = cluster.directory
    if (directory / "PG_VERSION").exists():
        return False
    _own(directory, user)
    _check_reachable(directory, user)
    pwfile = None
    args = [bindir / "initdb", "-D", directory, "-U", SUPERUSER, "-E", "UTF8", "--locale=C.UTF-8",
            "--auth-local=trust", "--auth-host=scram-sha-256"]
    if cluster.password:
        fd, pwfile = tempfile.mkstemp(dir=directory.parent, prefix=".pw-")
        with os.fdopen(fd, "w") as f:
            f.write(cluster.password + "\n")
        if user is not None:
            os.chown(pwfile, user.pw_uid, user.pw_gid)
        args += ["--pwfile", pwfile]
    try:
        _run(args, user, timeout=300)
    finally:
        if pwfile:
            os.unlink(pwfile)
    settings = [
        f"listen_addresses = '{'127.0.0.1' if cluster.tcp else ''}'",
        f"port = {cluster.port}",
        f"unix_socket_directories = '{cluster.socket_dir}'",
        "unix_socket_permissions = 0700",
        "max_connections = 100",
        "logging_collector = off",
    ]
    if not fsync:  # throwaway clusters: a crash loses nothing anyone keeps
        settings += ["fsync = off", "synchronous_commit = off", "full_page_writes = off"]
    with open(directory / "postgresql.conf", "a") as f:
        f.write("\n# config.pgcluster\n" + "\n".join(settings) + "\n")
    return True


def is_running(cluster, bindir, user):
    return _run([bindir / "pg_ctl", "-D", cluster.directory, "status"], user, check=False).returncode == 0


def start(cluster, bindir, user):
    """Start the server (waiting until it accepts connections)."""
    if is_running(cluster, bindir, user):
        return False
    listen = "127.0.0.1" if cluster.tcp else ""
    options = f"-p {cluster.port} -k {cluster.socket_dir} -c listen_addresses='{listen}'"
    result = _run([bindir / "pg_ctl", "-D", cluster.directory, "-l", cluster.log_file, "-w", "-t", "60",
                   "-o", options, "start"], user, check=False)
    if result.returncode != 0:
        tail = ""
        try:
            tail = cluster.log_file.read_text(errors="replace")[-2000:]
        except OSError:
            pass
        raise ClusterError(f"PostgreSQL in {cluster.directory} did not start: {result.stderr.strip()}\n{tail}")
    return True


def stop(cluster, bindir, user, mode="fast"):
    if is_running(cluster, bindir, user):
        _run([bindir / "pg_ctl", "-D", cluster.directory, "-m", mode, "-w", "-t", "60", "stop"], user, check=False)


def create_database(cluster, name=None):
    """CREATE DATABASE unless it exists."""
    import psycopg

    name = name or cluster.database
    with psycopg.connect(cluster.conninfo("postgres"), autocommit=True, connect_timeout=10) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is None:
            conn.execute(f'CREATE DATABASE "{name}"')


def base_backup(primary, replica, bindir, user):
    """A streaming replica of `primary` in replica.directory (pg_basebackup
    -R: it starts in recovery, following the primary)."""
    if replica.directory.exists():
        shutil.rmtree(replica.directory)
    _own(replica.directory, user)
    _run([bindir / "pg_basebackup", "-D", replica.directory, "-R", "-X", "stream", "-c", "fast",
          "-d", primary.conninfo("postgres")], user, timeout=300)
    (replica.directory / "postmaster.pid").unlink(missing_ok=True)


class TemporaryCluster:
    """A throwaway cluster on a free 127.0.0.1 port in a fresh folder the
    server's user can reach (under the system temp folder), removed on
    close. Raises ClusterError if the binaries are missing."""

    def __init__(self, prefix="archive-pg-"):
        self.bindir = find_bindir()
        if self.bindir is None:
            raise ClusterError(f"PostgreSQL server binaries not found; install them: {INSTALL_HINT}")
        self.user = server_user()
        self.root = Path(tempfile.mkdtemp(prefix=prefix, dir=os.environ.get("ARCHIVE_PG_TMP", "/tmp")))
        if self.user is not None:
            os.chown(self.root, self.user.pw_uid, self.user.pw_gid)
        os.chmod(self.root, 0o755 if self.user is not None else 0o700)
        self.password = secrets.token_urlsafe(18)
        self.primary = Cluster(self.root / "primary", port=free_port(), tcp=True, password=self.password)
        self.replicas = []

    def start(self):
        initialise(self.primary, self.bindir, self.user, fsync=False)
        start(self.primary, self.bindir, self.user)
        create_database(self.primary)
        return self

    def add_replica(self):
        """Start a streaming replica of the primary on another port."""
        replica = Cluster(self.root / f"replica{len(self.replicas) + 1}", port=free_port(), tcp=True,
                          password=self.password)
        base_backup(self.primary, replica, self.bindir, self.user)
        self.replicas.append(replica)
        self.start_cluster(replica)
        return replica

    def start_cluster(self, cluster):
        start(cluster, self.bindir, self.user)

    def stop_cluster(self, cluster, mode="fast"):
        stop(cluster, self.bindir, self.user, mode)

    def close(self):
        for cluster in [*self.replicas, self.primary]:
            try:
                stop(cluster, self.bindir, self.user, mode="immediate")
            except Exception:
                pass
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.close()


def _local(directory):
    return Cluster(Path(directory).resolve())


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 2 or argv[0] not in {"up", "url", "down"}:
        print("usage: python -m config.pgcluster up|url|down DIR", file=sys.stderr)
        return 2
    command, directory = argv
    cluster = _local(directory)
    if command == "url":
        print(cluster.url())
        return 0
    try:
        bindir = find_bindir()
        if bindir is None:
            raise ClusterError(f"PostgreSQL server binaries not found; install them: {INSTALL_HINT}")
        user = server_user()
        if command == "down":
            stop(cluster, bindir, user)
            return 0
        if initialise(cluster, bindir, user):
            print(f"pgcluster: initialised {cluster.directory}", file=sys.stderr)
        if start(cluster, bindir, user):
            print(f"pgcluster: started PostgreSQL on {cluster.socket_dir} (log: {cluster.log_file})", file=sys.stderr)
        for _ in range(50):
            try:
                create_database(cluster)
                break
            except Exception:
                time.sleep(0.2)
        else:
            create_database(cluster)
    except ClusterError as err:
        print(f"pgcluster: {err}", file=sys.stderr)
        return 1
    print(cluster.url())
    return 0


if __name__ == "__main__":
    sys.exit(main())
