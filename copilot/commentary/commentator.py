"""Stream a short explanation of the pick the local engine made, from an OpenAI-compatible chat model.

`Commentator.stream(ctx, rec)` yields text chunks (whole sentences: each passes the `SentenceGuard` that drops
sentences arguing for another pack card). It never raises: a problem (disabled, no key, server down, timeout, HTTP
error) ends the stream with a `CommentaryNotice` chunk, a `str` subclass whose `kind` is "disabled", "error" or
"trimmed". `Commentator.start(...)` runs the same stream in a daemon thread and reports through callbacks, for UIs
that must not block; the returned `CommentaryJob` can be cancelled.

Timeouts: `connect_timeout` bounds connecting; `timeout` bounds the whole answer (checked between chunks, and it is
the read timeout of each network read, so a server that accepts and never answers fails after `timeout`).
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from enum import Enum
from typing import Callable, Iterator

from copilot.backends import missing
from copilot.commentary.guard import SentenceGuard
from copilot.picking.engine import PickContext, Recommendation
from copilot.picking.openai_engine import Endpoint

SYSTEM = (
    "You are a Magic: The Gathering draft coach commenting on a live draft. The pick has already been made: "
    "{pick}. Explain in 2 to 4 short sentences why {pick} is a good pick here, using the pool, the colours and "
    "the pack. Argue for {pick} only. Never recommend, suggest or prefer another card of the pack, and never say "
    "that another card would be better. Do not repeat the card list."
)


class NoticeKind(str, Enum):
    DISABLED = "disabled"  # no endpoint, no key, or nothing to explain
    ERROR = "error"  # the endpoint failed
    TRIMMED = "trimmed"  # the guard removed sentences that argued for another card


class CommentaryNotice(str):
    """A final chunk that is not commentary, with its kind."""

    kind: NoticeKind = NoticeKind.ERROR

    def __new__(cls, text: str, kind: NoticeKind = NoticeKind.ERROR):
        obj = super().__new__(cls, text)
        obj.kind = NoticeKind(kind)
        return obj


@dataclass
class CommentaryResult:
    text: str = ""  # the commentary shown (guarded)
    notice: CommentaryNotice | None = None
    removed: list[tuple[str, str]] = field(default_factory=list)  # sentences dropped by the guard
    raw_chunks: int = 0  # streamed deltas received from the server
    latency_ms: float = 0.0
    first_chunk_ms: float | None = None

    @property
    def ok(self) -> bool:
        return self.notice is None or self.notice.kind is NoticeKind.TRIMMED


class CommentaryJob:
    """A commentary running in a worker thread."""

    def __init__(self):
        self._cancel = threading.Event()
        self.thread: threading.Thread | None = None
        self.result: CommentaryResult | None = None

    def cancel(self) -> None:
        self._cancel.set()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def join(self, timeout: float | None = None) -> bool:
        if self.thread is not None:
            self.thread.join(timeout)
            return not self.thread.is_alive()
        return True


class Commentator:
    def __init__(self, endpoint: Endpoint | None = None, max_tokens: int = 200, format: str | None = None,
                 enabled: bool = True, temperature: float = 0.3):
        self.endpoint = endpoint or Endpoint.resolve()
        self.max_tokens = int(max_tokens)
        self.format_name = format
        self.enabled = enabled
        self.temperature = temperature
        self.last: CommentaryResult | None = None

    @classmethod
    def from_settings(cls, settings=None, **kw) -> "Commentator":
        if settings is None:
            from copilot.settings import Settings

            settings = Settings.load()
        return cls(endpoint=Endpoint.resolve({}, settings=settings),
                   enabled=bool(getattr(settings, "commentary_enabled", True)), **kw)

    @classmethod
    def from_options(cls, options: dict | None) -> "Commentator":
        o = dict(options or {})
        return cls(endpoint=Endpoint.resolve(o), max_tokens=int(o.get("max_tokens") or 200),
                   format=o.get("format") or None)

    def __repr__(self) -> str:
        return f"Commentator(host={self.endpoint.host!r}, model={self.endpoint.model!r}, enabled={self.enabled})"

    def available(self) -> tuple[bool, str]:
        if not self.enabled:
            return False, "commentary is turned off in Settings"
        if missing("openai"):
            return False, "commentary needs the openai package: `pip install 'magic-copilot[openai]'`"
        problem = self.endpoint.problem()
        if problem:
            return False, f"commentary disabled: {problem}"
        return True, ""

    def messages(self, ctx: PickContext, rec: Recommendation) -> list[dict]:
        from copilot.picking.prompts import get_format

        pick = rec.best.name
        fmt = get_format(self.format_name)
        user = fmt.user(ctx)
        extra = []
        if rec.ranked and rec.ranked[0].probability is not None:
            extra.append(f"The pick engine ({rec.engine}) gives {pick} a probability of "
                         f"{rec.ranked[0].probability:.0%} among the cards of this pack.")
        extra.append(f"The pick is {pick}. Explain why {pick} is a good pick.")
        return [{"role": "system", "content": SYSTEM.format(pick=pick)},
                {"role": "user", "content": user + "\n\n" + " ".join(extra)}]

    # ---------------------------------------------------------------- streaming
    def stream(self, ctx: PickContext, rec: Recommendation, cancel: threading.Event | None = None,
               result: CommentaryResult | None = None) -> Iterator[str]:
        """Yield the commentary in sentences; the last chunk may be a CommentaryNotice. Never raises.
        `result` (or `self.last`) is filled in as the stream goes."""
        res = result if result is not None else CommentaryResult()
        self.last = res
        start = time.perf_counter()
        try:
            yield from self._stream(ctx, rec, res, start, cancel)
        except Exception as exc:  # noqa: BLE001 - nothing may escape into the UI
            res.notice = CommentaryNotice(f"Commentary failed: {self.endpoint.describe_error(exc)}")
            yield res.notice
        finally:
            res.latency_ms = (time.perf_counter() - start) * 1000.0

    def _stream(self, ctx, rec, res: CommentaryResult, start: float, cancel) -> Iterator[str]:
        ok, why = self.available()
        if not ok:
            res.notice = CommentaryNotice(why[:1].upper() + why[1:] + ".", kind=NoticeKind.DISABLED)
            yield res.notice
            return
        if rec is None or rec.best is None:
            why = f": {rec.error}" if rec is not None and rec.error else ""
            res.notice = CommentaryNotice(f"No pick to explain{why}.", kind=NoticeKind.DISABLED)
            yield res.notice
            return
        ep = self.endpoint
        pick = rec.best.name
        guard = SentenceGuard(pick, [c.name for c in ctx.pack])
        deadline = start + ep.timeout
        stream = ep.client().chat.completions.create(
            model=ep.model, messages=self.messages(ctx, rec), temperature=self.temperature,
            max_tokens=self.max_tokens, stream=True)
        shown = []
        timed_out = False
        try:
            for chunk in stream:
                if cancel is not None and cancel.is_set():
                    break
                delta = ""
                if getattr(chunk, "choices", None):
                    delta = getattr(chunk.choices[0].delta, "content", None) or ""
                if delta:
                    res.raw_chunks += 1
                    if res.first_chunk_ms is None:
                        res.first_chunk_ms = (time.perf_counter() - start) * 1000.0
                    for sentence in guard.feed(delta):
                        shown.append(sentence)
                        yield sentence
                if time.perf_counter() > deadline:
                    timed_out = True
                    break
        finally:
            close = getattr(stream, "close", None)
            if close is not None:
                close()
        for sentence in guard.flush():
            shown.append(sentence)
            yield sentence
        res.text = "".join(shown).strip()
        res.removed = list(guard.removed)
        if timed_out:
            res.notice = CommentaryNotice(f"(Commentary cut: {ep.host} took longer than {ep.timeout:g} s.)")
            yield res.notice
        elif guard.removed:
            cards = ", ".join(sorted({c for _, c in guard.removed}))
            n = len(guard.removed)
            res.notice = CommentaryNotice(
                f"(Removed {n} sentence{'s' if n > 1 else ''} that argued for another card: {cards}. "
                f"The pick stays {pick}.)", kind=NoticeKind.TRIMMED)
            yield res.notice
        elif not res.text and not (cancel is not None and cancel.is_set()):
            res.notice = CommentaryNotice(f"{ep.host} returned an empty commentary.")
            yield res.notice

    def explain(self, ctx: PickContext, rec: Recommendation) -> CommentaryResult:
        """The whole commentary at once (blocking)."""
        res = CommentaryResult()
        for _ in self.stream(ctx, rec, result=res):
            pass
        return res

    # ---------------------------------------------------------------- worker thread
    def start(self, ctx: PickContext, rec: Recommendation, on_chunk: Callable[[str], None],
              on_done: Callable[[CommentaryResult], None] | None = None) -> CommentaryJob:
        """Run `stream` in a daemon thread: `on_chunk(text)` per chunk (notices included), then
        `on_done(result)`. Callbacks run in the worker thread (a Qt UI re-emits them as signals)."""
        job = CommentaryJob()
        job.result = CommentaryResult()

        def run():
            for piece in self.stream(ctx, rec, cancel=job._cancel, result=job.result):
                if job.cancelled:
                    break
                try:
                    on_chunk(piece)
                except Exception:  # noqa: BLE001 - a broken callback must not kill the worker silently
                    job.cancel()
                    break
            if on_done is not None:
                try:
                    on_done(job.result)
                except Exception:  # noqa: BLE001
                    pass

        job.thread = threading.Thread(target=run, name="commentary", daemon=True)
        job.thread.start()
        return job


__all__ = ["Commentator", "CommentaryNotice", "CommentaryResult", "CommentaryJob", "SYSTEM"]
