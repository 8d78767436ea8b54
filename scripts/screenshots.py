"""Walk the demo in a real browser and save screenshots to ``docs/images/``.

Started by ``scripts/screenshots``: it starts the demo's broker, simulated
gateway and Home Assistant (``scripts/demo.py``, in the git-ignored
``.browser/demo/`` so that a running ``scripts/demo`` is left alone) on a free
port, runs ``scripts/browser/walk.mjs`` (Playwright driving Debian's
Chromium) against it, and stops everything it started, on failure too.
"""

from __future__ import annotations

import argparse
import contextlib
import os
from pathlib import Path
import shutil
import signal
import subprocess
import sys
import tempfile
import time

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

import demo  # noqa: E402

from simulator.broker import free_port  # noqa: E402

BROWSER = ROOT / ".browser"
WALK = ROOT / "scripts" / "browser" / "walk.mjs"
IMAGES = ROOT / "docs" / "images"
CHROMIUM = "/usr/bin/chromium"

# The demo's files go to .browser/demo, not .demo (a running demo keeps its own).
demo.DEMO = BROWSER / "demo"
demo.CONFIG = demo.DEMO / "config"


def _kill_chromium(user_data_dir: Path) -> None:
    """Kill any Chromium left over from this walk (its user-data-dir is ours)."""
    marker = f"--user-data-dir={user_data_dir}"
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            argv = (proc / "cmdline").read_bytes().split(b"\0")
            if any(arg.decode(errors="replace") == marker for arg in argv):
                os.kill(int(proc.name), signal.SIGKILL)


def _stop_walk(walk: subprocess.Popen[bytes]) -> None:
    """Stop the node process of the walk (and its browser) if it still runs."""
    if walk.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(walk.pid, signal.SIGTERM)
        try:
            walk.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(walk.pid, signal.SIGKILL)
            walk.wait(timeout=5)


def run(port: int, out: Path) -> int:
    """Start the demo, run the walk, stop everything; the exit code."""
    started = time.monotonic()
    run_demo = demo.Demo(port, 1)
    user_data_dir = Path(tempfile.mkdtemp(prefix="flexapi-chromium-"))
    walk: subprocess.Popen[bytes] | None = None
    code = 1
    try:
        run_demo.start()
        run_demo.wait_for_http()
        run_demo.onboard()
        run_demo.keep_http_config()
        run_demo.configure_mqtt()
        if not run_demo.wait_for_discovery():
            raise RuntimeError(f"no gateway discovered; see {demo.DEMO}/simulator.log")
        run_demo.remove_failed_entries()
        print(f"== demo ready in {time.monotonic() - started:.0f} s; browser walk")
        out.mkdir(parents=True, exist_ok=True)
        walk = subprocess.Popen(
            ["node", str(WALK)],
            cwd=ROOT,
            env={
                **os.environ,
                "FLEXAPI_BASE_URL": run_demo.base,
                "FLEXAPI_USERNAME": demo.USERNAME,
                "FLEXAPI_PASSWORD": demo.PASSWORD,
                "FLEXAPI_CLIENT_ID": demo.CLIENT_ID,
                "FLEXAPI_IMAGES": str(out),
                "FLEXAPI_BROWSER_DIR": str(BROWSER),
                "FLEXAPI_CHROMIUM": CHROMIUM,
                "FLEXAPI_USER_DATA_DIR": str(user_data_dir),
                # A demo with a simulated Bimetri platform has a token for it.
                "FLEXAPI_BIMETRI_JWT": str(getattr(run_demo, "jwt", "")),
                "FLEXAPI_BIMETRI_RESOURCE": str(getattr(demo, "BIMETRI_RESOURCE", "")),
            },
            # Its own process group: stopped as a whole below.
            start_new_session=True,
        )
        while (status := walk.poll()) is None:
            run_demo.check_alive()
            time.sleep(0.5)
        code = status
    except KeyboardInterrupt:
        print("\n== interrupted", file=sys.stderr)
        code = 130
    except Exception as err:  # a failed start is a failed walk
        print(f"screenshots failed: {err}", file=sys.stderr)
        code = 1
    finally:
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
        try:
            if walk is not None:
                _stop_walk(walk)
            _kill_chromium(user_data_dir)
            shutil.rmtree(user_data_dir, ignore_errors=True)
            stopped = run_demo.stop()
        finally:
            signal.signal(signal.SIGINT, previous)
    print(f"== stopped {', '.join(stopped or ['everything it started'])}")
    verdict = {0: "passed", 130: "interrupted"}.get(code, "FAILED")
    print(f"== browser walk {verdict} in {time.monotonic() - started:.0f} s")
    if code != 0:
        print(f"   logs: {demo.DEMO}/*.log", file=sys.stderr)
    return code


def main() -> int:
    """Parse the arguments and run."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--port", type=int, default=0, help="Home Assistant port (default: a free one)"
    )
    parser.add_argument(
        "--out", type=Path, default=IMAGES, help="where the PNGs go (docs/images)"
    )
    args = parser.parse_args()

    def _stop(*_: object) -> None:
        raise KeyboardInterrupt

    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _stop)
    return run(args.port or free_port(), args.out.resolve())


if __name__ == "__main__":
    sys.exit(main())
