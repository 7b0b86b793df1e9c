"""The workspace's Aim repository: created once with `aim init -s` semantics, indexed under a lock.

Concurrent first writers race when each creates the repository, so the launcher initialises it before
any trainer starts; a file lock serialises launchers started at the same moment, and trainers closing
at the same moment take turns writing Aim's index.
"""

from __future__ import annotations

import fcntl
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator


@contextmanager
def file_lock(path: Path) -> Iterator[None]:
    with open(path, "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def ensure_aim_repo(aim_dir: Path) -> None:
    """Initialise the Aim repository at `aim_dir` (a `.aim` folder) unless it exists."""
    root = aim_dir.parent
    root.mkdir(parents=True, exist_ok=True)
    with file_lock(root / ".aim.lock"):
        from aim.sdk.repo import Repo

        if not Repo.exists(str(root)):
            Repo.from_path(str(root), init=True)


def index_run(aim_dir: Path, run_hash: str) -> None:
    """Make a closed run visible to `aim.Repo.iter_runs()` at once (Aim 3.29 reads through its index)."""
    from aim.sdk.index_manager import RepoIndexManager
    from aim.sdk.repo import Repo

    with file_lock(aim_dir.parent / ".aim.lock"):
        repo = Repo.from_path(str(aim_dir.parent))
        RepoIndexManager.get_index_manager(repo).index(run_hash)
