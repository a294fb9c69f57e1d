"""`make run` (scripts/run-local.sh): a second instance on the same run directory refuses before it builds
or writes anything, and says how to stop the first one."""
from __future__ import annotations

import fcntl
import os
import subprocess

from conftest import REPO, free_port


def test_a_second_make_run_refuses_while_the_first_holds_the_run_directory(tmp_path):
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    lock_path = run_dir / "run.lock"
    # Plays the first `make run`: it holds the lock and wrote its pid there (this test's own pid).
    with open(lock_path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        lock.write(f"{os.getpid()}\n")
        lock.flush()
        before = sorted(p.name for p in run_dir.iterdir())
        second = subprocess.run(
            [str(REPO / "scripts" / "run-local.sh")],
            env={**os.environ, "RUN_DIR": str(run_dir), "PORT": str(free_port())},
            capture_output=True, text=True, timeout=30)
        assert second.returncode == 1, (second.stdout, second.stderr)
        assert "already running" in second.stderr, second.stderr
        assert f"kill {os.getpid()}" in second.stderr, second.stderr
        # Nothing of the first instance was touched: no nginx.conf written, the lock still names it.
        assert sorted(p.name for p in run_dir.iterdir()) == before == ["run.lock"]
        assert lock_path.read_text().strip() == str(os.getpid())
        # It refused before building (`swift build` prints its progress to stdout).
        assert "Compiling" not in second.stdout and "Building" not in second.stdout, second.stdout
