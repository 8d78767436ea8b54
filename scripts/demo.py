"""Run the FlexAPI demo: broker + simulated gateway + Bimetri platform + HA.

Started by ``scripts/demo``; everything lives in the git-ignored ``.demo/``
folder, recreated on each run.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import json
import os
from pathlib import Path
import shlex
import shutil
import signal
import subprocess
import sys
import time
from typing import Any, Protocol
import urllib.error
import urllib.parse
import urllib.request

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402

from simulator.broker import Mosquitto  # noqa: E402

DEMO = ROOT / ".demo"
CONFIG = DEMO / "config"
USERNAME, PASSWORD = "demo", "demo1234"
CLIENT_ID = "VG710-DEMO"
#: The demo's Bimetri application and its one resource (outputs 1-4).
BIMETRI_APP, BIMETRI_INSTANCE, BIMETRI_RESOURCE = "demoApp", "1", 101


def demo_jwt() -> str:
    """An unsigned JWT valid for a year (the simulator checks only ``exp``)."""

    def part(obj: Any) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()

    claims = {"sub": "demo", "exp": int(time.time()) + 365 * 86400}
    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}.ZGVtbw"


#: Integrations HA's onboarding adds that need the internet.
ONBOARDING_ONLINE_DOMAINS = ("google_translate", "met", "radio_browser")

CONFIGURATION_YAML = """\
homeassistant:
  name: FlexAPI demo
  latitude: 40.2322
  longitude: 116.3436
  elevation: 50
  unit_system: metric
  time_zone: UTC
  country: DE
  currency: EUR
frontend:
config:
history:
logbook:
energy:
logger:
  default: warning
  logs:
    custom_components.flexapi: info
"""


def hass_command() -> list[str]:
    """How to start Home Assistant: ``FLEXAPI_HASS`` (scripts/demo sets it).

    The demo runs the newest tested release, which needs Python 3.14; where
    the machine has none, scripts/lib.sh runs it in a Debian chroot and says
    so here. Without the variable, the ``hass`` beside this Python.
    """
    if command := os.environ.get("FLEXAPI_HASS"):
        return shlex.split(command)
    return [str(Path(sys.executable).with_name("hass"))]


class Broker(Protocol):
    """What the demo needs of its MQTT broker."""

    port: int

    def start(self) -> None:
        """Start it."""

    def stop(self) -> None:
        """Stop it."""


class Process(Protocol):
    """What the demo needs of a child process (``subprocess.Popen``)."""

    args: Any
    returncode: int | None

    def poll(self) -> int | None:
        """Exit code, ``None`` while running."""

    def send_signal(self, sig: int) -> None:
        """Send a signal."""

    def wait(self, timeout: float | None = None) -> int:
        """Wait for the exit."""

    def kill(self) -> None:
        """Kill it."""


class ChildExited(RuntimeError):
    """A child process ended on its own."""

    def __init__(self, name: str, code: int | None) -> None:
        """Name the child and its exit code."""
        self.name = name
        self.code = code
        super().__init__(f"{name} exited with {code}; see the logs in {DEMO}")


class Demo:
    """The processes of one demo run."""

    def __init__(self, ha_port: int, count: int, broker: Broker | None = None) -> None:
        """Nothing runs yet."""
        self.ha_port = ha_port
        self.count = count
        self.base = f"http://127.0.0.1:{ha_port}"
        self.broker: Broker = broker if broker is not None else Mosquitto()
        #: name -> child process, in start order.
        self.processes: dict[str, Process] = {}
        self.token = ""
        #: Set once the user asked to stop (Ctrl-C, SIGTERM).
        self.interrupted = False
        self.jwt = demo_jwt()

    # -- processes -----------------------------------------------------------

    def start(self) -> None:
        """Start broker, simulator and Home Assistant."""
        shutil.rmtree(DEMO, ignore_errors=True)
        (CONFIG / "custom_components").mkdir(parents=True)
        (CONFIG / "configuration.yaml").write_text(
            CONFIGURATION_YAML + f"http:\n  server_port: {self.ha_port}\n",
            encoding="utf-8",
        )
        (CONFIG / "custom_components" / "flexapi").symlink_to(
            ROOT / "custom_components" / "flexapi"
        )
        print(f"== Mosquitto on 127.0.0.1:{self.broker.port}")
        self.broker.start()
        print(f"== simulated gateway {CLIENT_ID} (count {self.count})")
        self._spawn(
            "simulator",
            [
                sys.executable,
                "-m",
                "simulator",
                "--broker",
                f"127.0.0.1:{self.broker.port}",
                "--client-id",
                CLIENT_ID,
                "--count",
                str(self.count),
            ],
        )
        print(f"== simulated Bimetri platform (resource {BIMETRI_RESOURCE})")
        self._spawn(
            "bimetri",
            [
                sys.executable,
                "-m",
                "simulator",
                "bimetri",
                "--broker",
                f"127.0.0.1:{self.broker.port}",
                "--jwt",
                self.jwt,
                "--resource",
                f"{BIMETRI_RESOURCE}:BMM620",
                "--unsolicited-every",
                "90",
            ],
        )
        print("== Home Assistant (first start takes a little while)")
        self._spawn("homeassistant", [*hass_command(), "-c", str(CONFIG), "--skip-pip"])

    def _spawn(self, name: str, argv: list[str]) -> None:
        log = (DEMO / f"{name}.log").open("wb")
        self.processes[name] = subprocess.Popen(
            argv,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
            # Ctrl-C in the terminal reaches the demo only; it stops the
            # children itself, in order, and knows they did not fail.
            start_new_session=True,
        )

    def stop(self) -> list[str]:
        """Stop everything this run started; return what was stopped."""
        stopped = []
        for process in reversed(self.processes.values()):
            if process.poll() is None:
                process.send_signal(signal.SIGINT)
        for name, process in reversed(self.processes.items()):
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
            stopped.append(name)
        self.broker.stop()
        stopped.append("mosquitto")
        return stopped

    def check_alive(self) -> None:
        """Raise :class:`ChildExited` if a child ended."""
        for name, process in self.processes.items():
            if (code := process.poll()) is not None:
                raise ChildExited(name, code)

    # -- HTTP ----------------------------------------------------------------

    def _request(
        self, method: str, path: str, body: Any = None, *, form: bool = False
    ) -> Any:
        headers = {}
        data = None
        if body is not None:
            if form:
                data = urllib.parse.urlencode(body).encode()
                headers["Content-Type"] = "application/x-www-form-urlencoded"
            else:
                data = json.dumps(body).encode()
                headers["Content-Type"] = "application/json"
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        request = urllib.request.Request(
            self.base + path, data=data, headers=headers, method=method
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                text = response.read().decode()
        except urllib.error.HTTPError as err:
            detail = err.read()[:300].decode(errors="replace")
            raise RuntimeError(f"{method} {path}: HTTP {err.code} {detail}") from err
        return json.loads(text) if text else None

    def wait_for_http(self, timeout: float = 240) -> None:
        """Wait until HA answers on its onboarding endpoint."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.check_alive()
            with contextlib.suppress(OSError, urllib.error.URLError):
                self._request("GET", "/api/onboarding")
                return
            time.sleep(1)
        raise TimeoutError("Home Assistant did not start; see .demo/homeassistant.log")

    def onboard(self) -> None:
        """Create the demo user and finish onboarding."""
        client_id = f"http://localhost:{self.ha_port}/"
        created = self._request(
            "POST",
            "/api/onboarding/users",
            {
                "client_id": client_id,
                "name": "Demo",
                "username": USERNAME,
                "password": PASSWORD,
                "language": "en",
            },
        )
        tokens = self._request(
            "POST",
            "/auth/token",
            {
                "grant_type": "authorization_code",
                "code": created["auth_code"],
                "client_id": client_id,
            },
            form=True,
        )
        self.token = tokens["access_token"]
        self._request("POST", "/api/onboarding/core_config")
        self._request("POST", "/api/onboarding/analytics")
        self._request(
            "POST",
            "/api/onboarding/integration",
            {"client_id": client_id, "redirect_uri": f"{client_id}?auth_callback=1"},
        )

    def configure_mqtt(self) -> None:
        """Point HA's MQTT integration at the demo broker."""
        flow = self._request(
            "POST", "/api/config/config_entries/flow", {"handler": "mqtt"}
        )
        answer: dict[str, Any] = {"broker": "127.0.0.1", "port": self.broker.port}
        # 2026.x: the form's TLS and client settings are a required section.
        if any(
            field.get("name") == "other_settings"
            for field in flow.get("data_schema") or []
        ):
            answer["other_settings"] = {"set_client_cert": False, "set_ca_cert": "off"}
        result = self._request(
            "POST", f"/api/config/config_entries/flow/{flow['flow_id']}", answer
        )
        if result.get("type") != "create_entry":
            raise RuntimeError(f"MQTT setup failed: {result}")

    def add_bimetri(self) -> str:
        """Add the Bimetri application and its resource through the UI's API."""
        flow = self._request(
            "POST", "/api/config/config_entries/flow", {"handler": "flexapi"}
        )
        path = f"/api/config/config_entries/flow/{flow['flow_id']}"
        self._request("POST", path, {"next_step_id": "bimetri"})
        result = self._request(
            "POST",
            path,
            {
                "app_name": BIMETRI_APP,
                "instance_id": BIMETRI_INSTANCE,
                "brand": "Bimetri",
                "jwt": self.jwt,
                "user_id": 12345,
                "organization_id": 23456,
            },
        )
        if result.get("type") != "create_entry":
            raise RuntimeError(f"Bimetri setup failed: {result.get('errors')}")
        entry_id = result["result"]["entry_id"]
        sub = self._request(
            "POST",
            "/api/config/config_entries/subentries/flow",
            {"handler": [entry_id, "resource"]},
        )
        path = f"/api/config/config_entries/subentries/flow/{sub['flow_id']}"
        self._request("POST", path, {"resource_id": BIMETRI_RESOURCE})
        result = self._request(
            "POST", path, {"outputs": ["1", "2", "3", "4"], "name": "Demo relays"}
        )
        if result.get("type") != "create_entry":
            raise RuntimeError(f"Bimetri resource failed: {result.get('errors')}")
        return f"{BIMETRI_APP}.{BIMETRI_INSTANCE}"

    def _in_progress_flows(self) -> list[dict[str, Any]]:
        """Config flows in progress, through the websocket API."""

        (reply,) = self._websocket({"type": "config_entries/flow/progress"})
        return list(reply.get("result") or [])

    def _websocket(self, *commands: dict[str, Any]) -> list[dict[str, Any]]:
        """Send ``commands`` over HA's websocket API; their replies, in order."""

        async def send() -> list[dict[str, Any]]:
            async with (
                aiohttp.ClientSession() as session,
                session.ws_connect(f"{self.base}/api/websocket") as ws,
            ):
                await ws.receive_json()  # auth_required
                await ws.send_json({"type": "auth", "access_token": self.token})
                await ws.receive_json()  # auth_ok
                replies = []
                for number, command in enumerate(commands, start=1):
                    await ws.send_json({"id": number, **command})
                    replies.append(await ws.receive_json())
                return replies

        return asyncio.run(send())

    def keep_http_config(self) -> None:
        """Keep the demo's HTTP port (Home Assistant 2026.x).

        Since 2026.x HA moves the ``http:`` YAML into its storage as a trial
        that it reverts after five minutes unless confirmed, and raises a
        repair about the YAML. The demo writes the port for both releases it
        may run; on a release that asks, it confirms the port and sets the
        repair aside, so that the demo's HA stays where it was started.
        """
        promote, issues = self._websocket(
            {"type": "http/config/promote"}, {"type": "repairs/list_issues"}
        )
        if not promote.get("success"):
            return  # an older release, or nothing pending: nothing to confirm
        for issue in (issues.get("result") or {}).get("issues", []):
            if issue.get("domain") == "http":
                self._websocket(
                    {
                        "type": "repairs/ignore_issue",
                        "domain": "http",
                        "issue_id": issue["issue_id"],
                        "ignore": True,
                    }
                )

    def remove_failed_entries(self) -> list[str]:
        """Delete entries that cannot work offline (onboarding adds some).

        HA's onboarding sets up Google Translate, Met.no and Radio Browser;
        without internet (and with --skip-pip) they fail and would greet the
        user with red error cards.
        """
        removed = []
        for entry in self._request("GET", "/api/config/config_entries/entry"):
            if entry["domain"] in ("flexapi", "mqtt"):
                continue
            if (
                entry["state"] in ("setup_error", "setup_retry", "not_loaded")
                or entry["domain"] in ONBOARDING_ONLINE_DOMAINS
            ):
                self._request(
                    "DELETE", f"/api/config/config_entries/entry/{entry['entry_id']}"
                )
                removed.append(entry["domain"])
        return removed

    def wait_for_discovery(self, timeout: float = 60) -> list[str]:
        """Wait until FlexAPI discovery flows exist; return their names."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.check_alive()
            found = [
                flow["context"].get("title_placeholders", {}).get("name", "?")
                for flow in self._in_progress_flows()
                if flow.get("handler") == "flexapi"
            ]
            if found:
                return sorted(found)
            time.sleep(1)
        return []


def supervise(demo: Demo, setup: Any, *, poll_seconds: float = 1.0) -> int:
    """Run ``setup``, then watch the children until a stop; the exit code.

    A stop the user asked for (Ctrl-C, SIGTERM) is no failure, even when a
    child ended first; only a child that ended on its own, or a setup step
    that raised, is reported as "demo failed".
    """
    code = 0
    try:
        setup()
        # The flag too: a Ctrl-C that some library swallowed still stops.
        while not demo.interrupted:
            demo.check_alive()
            time.sleep(poll_seconds)
    except KeyboardInterrupt:
        demo.interrupted = True
    except ChildExited as err:
        if not demo.interrupted:
            print(f"demo failed: {err}", file=sys.stderr)
            code = 1
    except Exception as err:  # any setup failure ends the demo
        print(f"demo failed: {err}", file=sys.stderr)
        code = 1
    if demo.interrupted:
        print("\n== stopping")
    # A second Ctrl-C must not cut the orderly stop short.
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        stopped = demo.stop()
    finally:
        signal.signal(signal.SIGINT, previous)
    if code == 0:
        print(f"== everything stopped ({', '.join(stopped)})")
    return code


def main() -> int:
    """Run until Ctrl-C."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=8123, help="Home Assistant port")
    parser.add_argument("--count", type=int, default=1, help="simulated gateways")
    args = parser.parse_args()
    with (
        contextlib.suppress(OSError),
        urllib.request.urlopen(f"http://127.0.0.1:{args.port}/", timeout=1),
    ):
        print(
            f"Port {args.port} is already in use; stop what runs there or pass --port."
        )
        return 1
    demo = Demo(args.port, args.count)

    def _stop(*_: object) -> None:
        if not demo.interrupted:
            demo.interrupted = True
            raise KeyboardInterrupt

    # The children run in their own session: closing the terminal (SIGHUP)
    # must stop them through the demo too.
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _stop)

    def setup() -> None:
        demo.start()
        demo.wait_for_http()
        demo.onboard()
        demo.keep_http_config()
        demo.configure_mqtt()
        bimetri = demo.add_bimetri()
        found = demo.wait_for_discovery()
        demo.remove_failed_entries()
        print()
        print("=" * 64)
        print(f" Home Assistant:  http://localhost:{args.port}")
        print(f" Login:           {USERNAME} / {PASSWORD}")
        print(f" MQTT broker:     127.0.0.1:{demo.broker.port}")
        if found:
            print(f" Discovered:      {', '.join(found)}")
            print(" Go to Settings → Devices & services and press Add on the")
            print(" discovered FlexAPI gateway.")
        else:
            print(" No gateway discovered yet; see .demo/simulator.log")
        print(f" Bimetri:         {bimetri}, resource {BIMETRI_RESOURCE}: switches")
        print("                  switch.demo_relays_output_1 .. _4")
        print(f" Logs:            {DEMO}/*.log")
        print(" Ctrl-C stops everything.")
        print("=" * 64)

    return supervise(demo, setup)


if __name__ == "__main__":
    sys.exit(main())
