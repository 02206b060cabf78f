"""Processes of the reliability tests: the project's interpreters, stopping
a process group for good, and running as the unprivileged user `nobody`
from a copy of the code it can read."""
import atexit
import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PYTHON = str(ROOT / ".venv" / "bin" / "python")
GUNICORN = str(ROOT / ".venv" / "bin" / "gunicorn")
NOBODY = (65534, 65534)  # uid, gid of `nobody`: a user for whom chmod matters


def kill_group(proc, sig=signal.SIGKILL):
    """Signal the process group `proc` leads (it was started with
    start_new_session=True), ignoring one that is already gone."""
    try:
        os.killpg(proc.pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie is gone for our purposes
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def stop(proc, timeout=10):
    """SIGTERM the group, then SIGKILL it if it is still there; reap."""
    if proc is None:
        return
    if proc.poll() is None:
        kill_group(proc, signal.SIGTERM)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            pass
    kill_group(proc, signal.SIGKILL)  # stragglers of the group (workers)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        pass


# ------------------------------------------------- the unprivileged user

# What a copy of the project's code for `nobody` leaves out.
_NOT_CODE = shutil.ignore_patterns(".git", ".venv", "var", "test-artifacts", "__pycache__", ".pytest_cache",
                                   ".hypothesis", "out", "*.pyc")
_NOBODY = {}


def _as_nobody(argv):
    return ["setpriv", f"--reuid={NOBODY[0]}", f"--regid={NOBODY[1]}", "--clear-groups", "--"] + list(argv)


def _nobody_can_run(python):
    """Whether `nobody` can start this interpreter and import the site's packages."""
    try:
        done = subprocess.run(_as_nobody([python, "-c", "import django, gunicorn, jieba, whoosh"]), cwd="/",
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=120)
    except (OSError, subprocess.TimeoutExpired) as err:
        return False, repr(err)
    return done.returncode == 0, done.stdout.decode("utf-8", "replace")[-500:]


def _link_or_copy(src, dst):
    try:
        os.link(src, dst)  # same file system: no copy, same (world-readable) modes
    except OSError:
        shutil.copy2(src, dst)


def nobody_python():
    """(python, None) for a venv interpreter the user `nobody` can run, or
    (None, why not). The checkout may lie where `nobody` cannot go (a
    `mktemp -d` folder is 0700): the venv as it is, then the venv a
    symlinked .venv points to, then (once per test session) a linked copy
    of the venv in a world-readable temp folder, removed at exit."""
    if "python" in _NOBODY:
        return _NOBODY["python"], _NOBODY["why"]
    venv = ROOT / ".venv"
    candidates = [PYTHON, str(venv.resolve() / "bin" / "python")]
    tried = []
    for python in dict.fromkeys(candidates):
        ok, out = _nobody_can_run(python)
        if ok:
            _NOBODY.update(python=python, why=None)
            return python, None
        tried.append(f"{python}: {out.strip()}")
    copy_root = Path(tempfile.mkdtemp(prefix="reliability-venv-"))
    atexit.register(shutil.rmtree, copy_root, True)
    os.chmod(copy_root, 0o755)
    copy = copy_root / "venv"
    try:
        shutil.copytree(venv.resolve(), copy, symlinks=True, copy_function=_link_or_copy,
                        ignore=shutil.ignore_patterns("__pycache__"))
        subprocess.run(["chmod", "-R", "a+rX", str(copy)], check=True)
        ok, out = _nobody_can_run(str(copy / "bin" / "python"))
    except (OSError, subprocess.CalledProcessError) as err:
        ok, out = False, repr(err)
    if ok:
        _NOBODY.update(python=str(copy / "bin" / "python"), why=None)
    else:
        tried.append(f"a copy of the venv in {copy}: {out.strip()}")
        _NOBODY.update(python=None, why="the user nobody cannot run the venv's Python: " + " | ".join(tried))
    return _NOBODY["python"], _NOBODY["why"]
