"""Render a model's own chat template (the Jinja2 text in GGUF `tokenizer.chat_template`).

Used by the GGUF engine so that the prompt it scores is exactly what the model was trained on (ChatML for
SmolLM2, Llama-3 headers, Mistral [INST], ...). jinja2 comes with llama-cpp-python. Templates are rendered in a
sandbox. `answer_suffix` finds what the template writes after an assistant answer (e.g. "<|im_end|>\n"), so the
end-of-turn marker used when scoring a candidate comes from the template, not from a guess.

Some templates write the system prompt beside the last user turn only (Mistral-7B-Instruct-v0.3, Mistral Small):
a conversation's first turn then renders differently once later turns follow, which breaks per-answer loss masks
and KV-cache reuse. `folds_system(render)` finds such a template by rendering a probe, and every renderer of this
project (ChatTemplate here, `copilot.picking.scoring.ChatEncoder` for training, validation and the hf engine, the
DPO pairs) then gives it `fold_system(messages)`: the system prompt joined to the first user turn, which is what the
template itself writes for a one-turn chat.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

# Used when a GGUF has no template (base models): plain text turns, the answer ends with a newline.
PLAIN_TEMPLATE = ("{% for m in messages %}{% if m['role'] == 'system' %}{{ m['content'] }}\n\n"
                  "{% elif m['role'] == 'user' %}{{ m['content'] }}\n"
                  "{% else %}Answer: {{ m['content'] }}\n{% endif %}{% endfor %}"
                  "{% if add_generation_prompt %}Answer: {% endif %}")

_PROBE = "\u2063PROBE\u2063ANSWER\u2063"
_ONE_TURN = [{"role": "system", "content": "S"}, {"role": "user", "content": "U1"}]
_TWO_TURNS = _ONE_TURN + [{"role": "assistant", "content": "A1"}, {"role": "user", "content": "U2"}]


def fold_system(messages: list[dict]) -> list[dict]:
    """The messages with a leading system prompt joined to the first user turn ("system\n\nuser")."""
    msgs = list(messages)
    if len(msgs) < 2 or msgs[0].get("role") != "system" or msgs[1].get("role") != "user":
        return msgs
    first = {**msgs[1], "content": f"{msgs[0]['content']}\n\n{msgs[1]['content']}"}
    return [first, *msgs[2:]]


def folds_system(render) -> bool:
    """Whether a template (`render(messages, add_generation_prompt) -> str`) needs `fold_system`: it writes the
    system prompt somewhere that moves as the conversation grows, or refuses a system role that folding avoids."""
    try:
        return not render(_TWO_TURNS, True).startswith(render(_ONE_TURN, False))
    except Exception:  # noqa: BLE001 - a template that raises on a system role (Mistral v0.1 does)
        try:
            render(fold_system(_TWO_TURNS), True)
        except Exception:  # noqa: BLE001 - it refuses these messages either way: the caller reports that
            return False
        return True


class ChatTemplateError(ValueError):
    pass


@dataclass
class ChatTemplate:
    source: str
    bos_token: str = ""
    eos_token: str = ""
    is_fallback: bool = False

    def __post_init__(self):
        from jinja2.exceptions import TemplateError
        from jinja2.sandbox import ImmutableSandboxedEnvironment

        def raise_exception(msg):
            raise ChatTemplateError(f"the model's chat template refused the messages: {msg}")

        env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)
        env.globals["raise_exception"] = raise_exception
        env.globals["strftime_now"] = lambda fmt: datetime.now().strftime(fmt)
        try:
            self._template = env.from_string(self.source)
        except TemplateError as exc:
            raise ChatTemplateError(f"the model's chat template does not parse: {exc}") from None
        self.fold = folds_system(self._render)

    def render(self, messages: list[dict], add_generation_prompt: bool = True) -> str:
        return self._render(fold_system(messages) if self.fold else messages, add_generation_prompt)

    def _render(self, messages: list[dict], add_generation_prompt: bool = True) -> str:
        from jinja2.exceptions import TemplateError

        try:
            return self._template.render(messages=messages, add_generation_prompt=add_generation_prompt,
                                         bos_token=self.bos_token, eos_token=self.eos_token)
        except TemplateError as exc:
            raise ChatTemplateError(f"rendering the model's chat template failed: {exc}") from None

    def answer_suffix(self, messages: list[dict]) -> str:
        """The text the template writes right after an assistant answer (its end-of-turn marker)."""
        full = self.render(list(messages) + [{"role": "assistant", "content": _PROBE}], add_generation_prompt=False)
        i = full.rfind(_PROBE)
        if i < 0:
            return ""
        return full[i + len(_PROBE):]

    def prompt_is_prefix(self, messages: list[dict]) -> bool:
        """Whether the generation prompt is a prefix of the conversation with an answer appended."""
        prompt = self.render(messages, add_generation_prompt=True)
        full = self.render(list(messages) + [{"role": "assistant", "content": _PROBE}], add_generation_prompt=False)
        return full.startswith(prompt)


def from_metadata(metadata: dict, token_text=None) -> ChatTemplate:
    """Build the template from GGUF metadata; `token_text(id)` maps bos/eos ids to their text."""
    src = metadata.get("tokenizer.chat_template")
    bos = eos = ""
    if token_text is not None:
        for key, attr in (("tokenizer.ggml.bos_token_id", "bos"), ("tokenizer.ggml.eos_token_id", "eos")):
            tid = metadata.get(key)
            if tid is not None:
                try:
                    text = token_text(int(tid))
                except Exception:  # noqa: BLE001 - an odd vocabulary only loses the bos/eos text
                    text = ""
                if attr == "bos":
                    bos = text
                else:
                    eos = text
    if not src:
        return ChatTemplate(PLAIN_TEMPLATE, bos, eos, is_fallback=True)
    return ChatTemplate(str(src), bos, eos)
