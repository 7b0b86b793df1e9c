"""`aim up` for a workspace: bound to 127.0.0.1, stopped as a whole process group.

`aim up` starts uvicorn children; killing only the parent leaves them listening, so the server runs in
its own session and is stopped with killpg.
"""

from __future__ import annotations

import getpass
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from workbench.errors import WorkbenchError
from workbench.runstore import Workspace
from workbench.tracking.repo import ensure_aim_repo


def ssh_forward_line(port: int, host: str = "127.0.0.1") -> str:
    return f"ssh -N -L {port}:{host}:{port} {getpass.getuser()}@{socket.gethostname()}"


def port_is_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
        return True


@dataclass
class AimUIProcess:
    process: subprocess.Popen
    host: str
    port: int
    log_path: Path

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def ssh_line(self) -> str:
        return ssh_forward_line(self.port, self.host)

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise WorkbenchError(f"aim up exited with code {self.process.returncode}; see {self.log_path}")
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
                sock.settimeout(0.5)
                if sock.connect_ex((self.host, self.port)) == 0:
                    return
            time.sleep(0.3)
        raise WorkbenchError(f"the Aim UI did not start listening on {self.url} within {timeout:.0f} s; see {self.log_path}")

    def stop(self) -> None:
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
            except ProcessLookupError:
                pass


def start_aim_ui(workspace: Workspace, host: str = "127.0.0.1", port: int = 43800) -> AimUIProcess:
    if not port_is_free(host, port):
        raise WorkbenchError(f"port {port} on {host} is in use; pick another with --port")
    ensure_aim_repo(workspace.aim_dir)
    log_path = workspace.aim_dir / "workbench-aim-ui.log"
    aim = Path(sys.executable).with_name("aim")
    cmd = [str(aim) if aim.exists() else "aim", "up", "--repo", str(workspace.root), "--host", host, "--port", str(port)]
    with open(log_path, "ab") as log:
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    return AimUIProcess(proc, host, port, log_path)
