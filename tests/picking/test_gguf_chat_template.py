"""The model's own chat template (read from the GGUF metadata), rendered in a jinja2 sandbox."""
from __future__ import annotations

import pytest

from copilot.picking.chat_template import ChatTemplate, ChatTemplateError, from_metadata
from copilot.picking.model_files import read_gguf_header

MSGS = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Pick one: Shock, Opt"}]


def test_smollm2_chatml_from_gguf(smollm_gguf):
    meta = read_gguf_header(smollm_gguf).metadata
    t = from_metadata(meta, token_text={1: "<|im_start|>", 2: "<|im_end|>"}.get)
    assert not t.is_fallback and t.eos_token == "<|im_end|>"
    text = t.render(MSGS, add_generation_prompt=True)
    assert text == ("<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nPick one: Shock, Opt<|im_end|>\n"
                    "<|im_start|>assistant\n")
    assert t.answer_suffix(MSGS) == "<|im_end|>\n"
    assert t.prompt_is_prefix(MSGS)


def test_llama3_style_template_suffix():
    src = ("{{ bos_token }}{% for m in messages %}<|start_header_id|>{{ m['role'] }}<|end_header_id|>\n\n"
           "{{ m['content'] | trim }}<|eot_id|>{% endfor %}"
           "{% if add_generation_prompt %}<|start_header_id|>assistant<|end_header_id|>\n\n{% endif %}")
    t = ChatTemplate(src, bos_token="<|begin_of_text|>")
    assert t.render(MSGS).startswith("<|begin_of_text|><|start_header_id|>system")
    assert t.answer_suffix(MSGS) == "<|eot_id|>"


def test_no_template_falls_back_to_plain_text():
    t = from_metadata({"general.architecture": "gemma3"})
    assert t.is_fallback
    assert t.render(MSGS).endswith("Pick one: Shock, Opt\nAnswer: ")
    assert t.answer_suffix(MSGS) == "\n"


def test_template_errors_are_clear():
    with pytest.raises(ChatTemplateError, match="does not parse"):
        ChatTemplate("{% for %}")
    t = ChatTemplate("{% if messages|length > 9 %}{{ raise_exception('too many turns') }}{% endif %}{{ 'ok' }}")
    with pytest.raises(ChatTemplateError, match="too many turns"):
        t.render(MSGS * 5)
    # a template that refuses a system role (Mistral v0.1's) gets the system prompt in the first user turn instead
    no_system = ChatTemplate("{% if messages[0]['role'] == 'system' %}{{ raise_exception('no system role') }}"
                             "{% endif %}{% for m in messages %}[{{ m['role'] }}] {{ m['content'] }}\n{% endfor %}")
    assert no_system.fold and no_system.render(MSGS).startswith("[user] ")
    # the sandbox refuses attribute tricks
    evil = ChatTemplate("{{ messages.__class__.__mro__ }}")
    with pytest.raises(ChatTemplateError):
        evil.render(MSGS)
