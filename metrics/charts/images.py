"""Chart images (PNG) drawn by kaleido in Chromium, with the browser looked for first. A machine without one, or
with one that will not start, gets one clear error within seconds: kaleido's sync server would raise in its own
thread and leave the caller waiting for an image that never comes."""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from contextlib import contextmanager
from typing import Callable, Iterator, Sequence

import plotly.graph_objects as go

INSTALL = "sudo apt-get install -y chromium fonts-liberation"
WHY = "the board pack's charts are drawn in it"
CHART_TIMEOUT_S = 60     # one chart; a pack's take about 0.25 s each
START_TIMEOUT_S = 60     # the browser's start

Progress = Callable[[int, int], None]  # (charts drawn so far, charts in all)


class ImagesUnavailable(RuntimeError):
    """No chart image can be drawn here; the message says why and what to do, in one line."""


class BrowserMissing(ImagesUnavailable):
    """No Chrome or Chromium on this machine."""


def browser_path() -> str | None:
    """The browser kaleido will start: BROWSER_PATH when set, else the first Chrome or Chromium on PATH or at the
    usual places (kaleido's own finder, choreographer's); None when there is none that can run."""
    from choreographer.browsers.chromium import Chromium

    path = Chromium.find_browser(skip_local=False)
    return path if path and os.path.isfile(path) and os.access(path, os.X_OK) else None


def missing_message() -> str | None:
    """Why no chart image can be drawn here, in one line with what to do; None when a browser is there."""
    if browser_path() is not None:
        return None
    if named := os.environ.get("BROWSER_PATH"):
        return f"No browser at BROWSER_PATH={named}: point it at a Chrome or Chromium, or unset it ({WHY})."
    return f"Chromium is missing: install it with '{INSTALL}' ({WHY})."


def require_browser() -> None:
    if message := missing_message():
        raise BrowserMissing(message)


def draw_pngs(figures: Sequence[Callable[[], go.Figure]], width: int, height: int, scale: int,
              progress: Progress | None = None) -> list[bytes]:
    """PNG bytes of each figure (built when its turn comes), all drawn in one Chromium started for them.

    kaleido is asynchronous; its event loop runs on a thread of its own, so that this works from any caller (a
    Streamlit script, or a process whose own thread already runs a loop) while figures are built and progress is
    reported on the caller's thread. The figures go to kaleido directly rather than through plotly's to_image,
    which passes plotly's default request headers as kaleido options (a server ignores them with a UserWarning
    an image)."""
    require_browser()
    import kaleido

    options = {"format": "png", "width": width, "height": height, "scale": scale}
    loop = asyncio.new_event_loop()
    worker = threading.Thread(target=loop.run_forever, name="chart-images", daemon=True)
    worker.start()

    def run(coroutine, timeout: float):
        future = asyncio.run_coroutine_threadsafe(coroutine, loop)
        try:
            return future.result(timeout)
        except TimeoutError:
            future.cancel()
            raise

    with _quiet_libraries():
        drawer = kaleido.Kaleido(n=1, timeout=CHART_TIMEOUT_S)
        try:
            run(drawer.open(), START_TIMEOUT_S)
            drawn = []
            for number, build in enumerate(figures):
                if progress:
                    progress(number, len(figures))
                drawn.append(run(drawer.calc_fig(build().to_dict(), opts=options), CHART_TIMEOUT_S + 5))
            return drawn
        except TimeoutError as exc:
            raise ImagesUnavailable(f"The browser at {browser_path()} did not draw a chart within "
                                    f"{CHART_TIMEOUT_S} s; try again, and if it persists reinstall Chromium "
                                    f"('{INSTALL}').") from exc
        except Exception as exc:
            from choreographer.errors import BrowserFailedError

            if isinstance(exc, BrowserFailedError):
                raise ImagesUnavailable(f"The browser at {browser_path()} did not start: reinstall Chromium "
                                        f"('{INSTALL}') or set BROWSER_PATH to a Chrome or Chromium "
                                        "that runs.") from exc
            raise
        finally:
            try:
                run(drawer.close(), 30)
            except Exception:  # noqa: BLE001 a browser that never started has nothing to close
                pass
            run(_settle(), 10)  # else a task left pending (choreographer's watchdog) is reported as destroyed
            loop.call_soon_threadsafe(loop.stop)
            worker.join(5)
            loop.close()


async def _settle() -> None:
    """Cancel and await every other task of the drawing loop, so that it closes with none pending."""
    tasks = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


@contextmanager
def _quiet_libraries() -> Iterator[None]:
    """kaleido's and choreographer's warnings (a browser closed by their watchdog, say) would be a second line
    beside the one error this module raises, and mail from every scheduled run; their errors still show."""
    loggers = [logging.getLogger(name) for name in ("kaleido", "choreographer", "logistro")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels):
            logger.setLevel(level)
