"""scripts/demo.py's supervisor: a stop the user asked for is no failure."""

from __future__ import annotations

from collections.abc import Callable
import importlib.util
from pathlib import Path
import signal
import sys
from types import ModuleType
from typing import Any

import pytest
import yaml

DEMO_PATH = Path(__file__).parents[1] / "scripts" / "demo.py"


@pytest.fixture(scope="module")
def demo_module() -> ModuleType:
    """scripts/demo.py, imported (its ``main`` is not run)."""
    spec = importlib.util.spec_from_file_location("flexapi_demo", DEMO_PATH)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("flexapi_demo", module)
    spec.loader.exec_module(module)
    return module


class FakeProcess:
    """A child that runs until signalled, or exits on its own with ``code``."""

    def __init__(self, name: str) -> None:
        """Running."""
        self.args = [name]
        self.returncode: int | None = None
        self.signals: list[int] = []

    def poll(self) -> int | None:
        return self.returncode

    def send_signal(self, sig: int) -> None:
        self.signals.append(sig)
        self.returncode = 0

    def wait(self, timeout: float | None = None) -> int:
        assert self.returncode is not None
        return self.returncode

    def kill(self) -> None:
        self.returncode = -9


class FakeBroker:
    """The broker, recording its stop."""

    port = 1883

    def __init__(self) -> None:
        self.stopped = False

    def start(self) -> None:
        """Nothing to start."""

    def stop(self) -> None:
        self.stopped = True


def make_demo(demo_module: ModuleType) -> Any:
    """A demo whose two children and broker are fakes."""
    demo = demo_module.Demo(8123, 1, broker=FakeBroker())
    demo.processes = {
        "simulator": FakeProcess("simulator"),
        "homeassistant": FakeProcess("hass"),
    }
    return demo


def run(
    demo_module: ModuleType,
    demo: Any,
    setup: Callable[[], None],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    on_sleep: Callable[[], None] | None = None,
) -> tuple[int, str]:
    """Supervise ``demo``; ``on_sleep`` runs in the first poll pause."""

    def sleep(_seconds: float) -> None:
        nonlocal on_sleep
        if on_sleep is not None:
            action, on_sleep = on_sleep, None
            action()

    monkeypatch.setattr(demo_module.time, "sleep", sleep)
    code = demo_module.supervise(demo, setup)
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def ctrl_c() -> None:
    raise KeyboardInterrupt


def test_ctrl_c_stops_everything_without_failing(
    demo_module: ModuleType,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    demo = make_demo(demo_module)
    code, output = run(demo_module, demo, lambda: None, capsys, monkeypatch, ctrl_c)
    assert code == 0
    assert "failed" not in output
    assert "everything stopped (homeassistant, simulator, mosquitto)" in output
    assert all(p.signals == [signal.SIGINT] for p in demo.processes.values())
    assert demo.broker.stopped


def test_children_ending_on_ctrl_c_are_no_failure(
    demo_module: ModuleType,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The old bug: Ctrl-C reached the children too, and their exit 0 "failed"."""
    demo = make_demo(demo_module)

    def ctrl_c_everywhere() -> None:
        demo.interrupted = True  # what the demo's SIGINT handler records
        for process in demo.processes.values():
            process.returncode = 0

    code, output = run(
        demo_module, demo, lambda: None, capsys, monkeypatch, ctrl_c_everywhere
    )
    assert code == 0
    assert "failed" not in output
    assert "exited with 0" not in output
    assert "everything stopped" in output


def test_a_crashed_child_is_a_failure(
    demo_module: ModuleType,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    demo = make_demo(demo_module)

    def crash() -> None:
        demo.processes["homeassistant"].returncode = 1

    code, output = run(demo_module, demo, lambda: None, capsys, monkeypatch, crash)
    assert code == 1
    assert "demo failed: homeassistant exited with 1" in output
    assert "everything stopped" not in output
    assert demo.broker.stopped  # the rest is stopped all the same
    assert demo.processes["simulator"].signals == [signal.SIGINT]


def test_a_failing_setup_step_is_a_failure(
    demo_module: ModuleType,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    demo = make_demo(demo_module)

    def setup() -> None:
        raise TimeoutError("Home Assistant did not start")

    code, output = run(demo_module, demo, setup, capsys, monkeypatch)
    assert code == 1
    assert "demo failed: Home Assistant did not start" in output
    assert demo.broker.stopped


def test_home_assistant_listens_on_the_port_given(
    demo_module: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``--port`` reaches Home Assistant's http server, not only the demo's URL."""
    monkeypatch.setattr(demo_module, "DEMO", tmp_path / "demo")
    monkeypatch.setattr(demo_module, "CONFIG", tmp_path / "demo" / "config")
    demo = demo_module.Demo(18123, 1, broker=FakeBroker())
    spawned: list[str] = []
    monkeypatch.setattr(demo, "_spawn", lambda name, argv: spawned.append(name))
    demo.start()
    config = yaml.safe_load(
        (tmp_path / "demo" / "config" / "configuration.yaml").read_text()
    )
    assert config["http"] == {"server_port": 18123}
    assert demo.base == "http://127.0.0.1:18123"
    assert spawned == ["simulator", "homeassistant"]
