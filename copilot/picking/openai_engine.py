"""Pick engine backed by any OpenAI-compatible chat endpoint (OpenAI, llama.cpp server, LM Studio, vLLM, ...).

The model is asked zero-shot in the prompt format (v1 by default) at temperature 0 with a small max_tokens; its
free-text answer is mapped onto a pack card by `answer_match.match_answer`. An answer that names no card of the pack
is a visible error, never a guess. Timeouts, a server that is down, HTTP errors and a missing key all become
`Recommendation.error` with a clear message.

`Endpoint` (base URL, key, model, timeouts) is shared with the commentary. The key comes from the options, else from
`copilot.settings.Settings` (env OPENAI_API_KEY wins over the settings file); it is never put in reprs, logs or
error messages. A custom base URL (e.g. a local server on 127.0.0.1) needs no key.
"""
from __future__ import annotations

import math
import re
import time
from dataclasses import dataclass, field
from urllib.parse import urlparse

from copilot.backends import missing
from copilot.picking.engine import CardScore, EngineBase, PickContext, Recommendation

DEFAULT_MODEL = "gpt-4o"
DEFAULT_TIMEOUT = 30.0
DEFAULT_CONNECT_TIMEOUT = 5.0
NO_KEY_PLACEHOLDER = "no-key-needed"
_KEYLIKE = re.compile(r"\b(sk|pk|rk|key)-[A-Za-z0-9_\-*.]{4,}")


class EndpointError(RuntimeError):
    """A configuration problem with the endpoint (message is safe to show)."""


@dataclass
class Endpoint:
    base_url: str = ""  # empty: api.openai.com
    api_key: str = field(default="", repr=False)
    model: str = DEFAULT_MODEL
    timeout: float = DEFAULT_TIMEOUT  # total bound per request (seconds)
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT

    @classmethod
    def resolve(cls, options: dict | None = None, settings=None) -> "Endpoint":
        """Options win over the settings (whose env variables win over its file)."""
        o = dict(options or {})
        if settings is None:
            try:
                from copilot.settings import Settings

                settings = Settings.load()
            except Exception:  # noqa: BLE001 - unreadable settings: options/env only
                settings = None
        base_url = str(o.get("base_url") or getattr(settings, "openai_base_url", "") or "").strip()
        key = str(o.get("api_key") or getattr(settings, "openai_api_key", "") or "").strip()
        model = str(o.get("model_name") or o.get("openai_model") or getattr(settings, "openai_model", "")
                    or DEFAULT_MODEL).strip()
        timeout = float(o.get("timeout") or getattr(settings, "openai_timeout_s", 0) or DEFAULT_TIMEOUT)
        connect = float(o.get("connect_timeout") or min(DEFAULT_CONNECT_TIMEOUT, timeout))
        return cls(base_url=base_url, api_key=key, model=model, timeout=timeout, connect_timeout=connect)

    @property
    def host(self) -> str:
        if not self.base_url:
            return "api.openai.com"
        p = urlparse(self.base_url)
        return p.netloc or self.base_url

    @property
    def needs_key(self) -> bool:
        """Only OpenAI's own API needs a key; a custom endpoint (local server, proxy) may run without one."""
        return not self.base_url or self.host.split(":")[0].endswith("openai.com")

    def problem(self) -> str | None:
        """Why this endpoint cannot be used (None when it can)."""
        if self.base_url:
            p = urlparse(self.base_url)
            if p.scheme not in ("http", "https") or not p.netloc:
                return (f"the OpenAI base URL {self.base_url!r} is not an http(s) URL: use e.g. "
                        f"http://127.0.0.1:8080/v1")
        if self.needs_key and not self.api_key:
            return ("no OpenAI API key: set OPENAI_API_KEY or enter it in Settings (a local OpenAI-compatible "
                    "server, set with OPENAI_BASE_URL, needs none)")
        if not self.model:
            return "no model name configured for the OpenAI-compatible endpoint"
        return None

    def client(self):
        """An `openai.OpenAI` client with the connect/total timeouts and no automatic retries."""
        import openai

        problem = self.problem()
        if problem:
            raise EndpointError(problem)
        return openai.OpenAI(api_key=self.api_key or NO_KEY_PLACEHOLDER, base_url=self.base_url or None,
                             timeout=openai.Timeout(self.timeout, connect=self.connect_timeout), max_retries=0)

    def scrub(self, text: str) -> str:
        """Remove the key (and anything key-like) from a message before it is shown or logged."""
        if self.api_key:
            text = text.replace(self.api_key, "***")
            if len(self.api_key) > 8:
                text = text.replace(self.api_key[-6:], "***")
        return _KEYLIKE.sub(r"\1-***", text)

    def describe_error(self, exc: BaseException) -> str:
        """A short, safe, actionable message for an exception raised by the openai client."""
        try:
            import openai
        except ImportError:  # pragma: no cover
            openai = None
        where = self.base_url or "https://api.openai.com/v1"
        if openai is not None:
            if isinstance(exc, openai.APITimeoutError):
                return (f"{self.host} did not answer within {self.timeout:g} s (timeout); the server may be "
                        f"overloaded or stuck. Try again, or raise the timeout in Settings.")
            if isinstance(exc, openai.APIConnectionError):
                cause = exc.__cause__ or exc.__context__
                detail = f" ({type(cause).__name__})" if cause else ""
                return (f"cannot connect to {where}{detail}: is the server running and the base URL right?")
            if isinstance(exc, openai.AuthenticationError):
                return f"{self.host} refused the API key (HTTP 401): check the key in Settings or OPENAI_API_KEY."
            if isinstance(exc, openai.PermissionDeniedError):
                return f"{self.host} denied access (HTTP 403): the key may lack access to model {self.model!r}."
            if isinstance(exc, openai.NotFoundError):
                return (f"{self.host} answered 404: model {self.model!r} or the path {where} does not exist "
                        f"there (a base URL usually ends in /v1).")
            if isinstance(exc, openai.RateLimitError):
                return f"{self.host} is rate-limiting requests or the quota is used up (HTTP 429); try later."
            if isinstance(exc, openai.APIStatusError):
                msg = _short(getattr(exc, "message", "") or str(exc))
                return self.scrub(f"{self.host} returned HTTP {exc.status_code}: {msg}")
            if isinstance(exc, openai.OpenAIError):
                return self.scrub(f"OpenAI client error: {_short(str(exc))}")
        if isinstance(exc, EndpointError):
            return str(exc)
        return self.scrub(f"{type(exc).__name__}: {_short(str(exc))}")


def _short(s: str, n: int = 200) -> str:
    s = " ".join(str(s).split())
    return s if len(s) <= n else s[: n - 1] + "…"


class OpenAIEngine(EngineBase):
    name = "openai"

    def __init__(self, endpoint: Endpoint | None = None, format: str | None = None, max_tokens: int = 32,
                 options: dict | None = None):
        self.endpoint = endpoint or Endpoint.resolve(options)
        self.format_name = format
        self.max_tokens = int(max_tokens)
        self._client = None
        self.last_answer: str | None = None

    @classmethod
    def from_options(cls, options: dict | None) -> "OpenAIEngine":
        o = dict(options or {})
        if o.get("model") and not o.get("model_name"):
            o["model_name"] = o["model"]  # for this engine "model" is the remote model's name
        return cls(endpoint=Endpoint.resolve(o), format=o.get("format") or None,
                   max_tokens=int(o.get("max_tokens") or 32))

    def __repr__(self) -> str:
        return f"OpenAIEngine(host={self.endpoint.host!r}, model={self.endpoint.model!r})"

    def available(self) -> tuple[bool, str]:
        if missing("openai"):
            return False, "the openai package is not installed: `pip install 'magic-copilot[openai]'`"
        problem = self.endpoint.problem()
        if problem:
            return False, problem
        try:
            from copilot.picking.prompts import get_format

            get_format(self.format_name)
        except ValueError as exc:
            return False, str(exc)
        return True, ""

    def _get_client(self):
        if self._client is None:
            self._client = self.endpoint.client()
        return self._client

    def rank(self, ctx: PickContext) -> Recommendation:
        start = time.perf_counter()
        ep = self.endpoint

        def fail(msg: str) -> Recommendation:
            return Recommendation(engine=self.name, model=ep.model, error=msg,
                                  latency_ms=(time.perf_counter() - start) * 1000.0)

        if not ctx.pack:
            return fail("the pack is empty")
        ok, why = self.available()
        if not ok:
            return fail(why)
        from copilot.picking.answer_match import match_answer
        from copilot.picking.prompts import get_format

        fmt = get_format(self.format_name)
        unique = fmt.answers(ctx)
        try:
            resp = self._get_client().chat.completions.create(
                model=ep.model, messages=fmt.messages(ctx), temperature=0, max_tokens=self.max_tokens)
        except Exception as exc:  # noqa: BLE001 - every failure becomes a visible error
            return fail(ep.describe_error(exc))
        try:
            text = resp.choices[0].message.content or ""
        except (AttributeError, IndexError, TypeError):
            return fail(f"{ep.host} returned a response without a message")
        self.last_answer = text
        usage = getattr(resp, "usage", None)
        tokens = int((getattr(usage, "prompt_tokens", 0) or 0) + (getattr(usage, "completion_tokens", 0) or 0))
        latency = (time.perf_counter() - start) * 1000.0
        chosen = match_answer(text, list(unique))
        if chosen is None:
            return Recommendation(engine=self.name, model=ep.model, latency_ms=latency, tokens_evaluated=tokens,
                                  error=f"the model's answer names no card of this pack: {_short(text, 160)!r}")
        ranked = [CardScore(card=unique[chosen], score=0.0, probability=None)]
        ranked += [CardScore(card=c, score=-math.inf, probability=None) for a, c in unique.items() if a != chosen]
        return Recommendation(engine=self.name, ranked=ranked, model=ep.model, latency_ms=latency,
                              tokens_evaluated=tokens,
                              note=f"zero-shot answer {_short(text, 80)!r}; only the top card is ranked")
