"""Chat templates written like Mistral-7B-Instruct-v0.3's: the system prompt beside the last user turn only, and a
space before each answer. The conversation format must still train with a loss on every answer, and training must
score the same tokens as the gguf engine. SYSTEM_AT_LAST_USER places the system prompt as Mistral v0.3's template
does; MISTRAL_V3_LIKE also writes its " " + answer."""
from __future__ import annotations

import pytest

from copilot.picking.chat_template import PLAIN_TEMPLATE, ChatTemplate, fold_system, folds_system

pytest.importorskip("transformers")

SYSTEM_AT_LAST_USER = (
    "{{ bos_token }}{% if messages[0]['role'] == 'system' %}{% set system = messages[0]['content'] %}"
    "{% set turns = messages[1:] %}{% else %}{% set turns = messages %}{% endif %}"
    "{% for m in turns %}{% if m['role'] == 'user' %}"
    "{% if loop.last and system is defined %}[INST] {{ system }}\n\n{{ m['content'] }}[/INST]"
    "{% else %}[INST] {{ m['content'] }}[/INST]{% endif %}"
    "{% else %}{{ m['content'] }}{{ eos_token }}{% endif %}{% endfor %}")

MISTRAL_V3_LIKE = SYSTEM_AT_LAST_USER.replace("{% else %}{{ m['content'] }}", "{% else %} {{ m['content'] }}")

DRAFT = [
    {"role": "system", "content": "You are DraftGPT. Answer with the card's letter and name."},
    {"role": "user", "content": "Pack 1 pick 1:\nA) The Swarmweaver (rare) -- GIH 64.4%\nB) Anthropede (common)"},
    {"role": "assistant", "content": "A) The Swarmweaver"},
    {"role": "user", "content": "Pack 1 pick 2:\nA) Growing Dread (uncommon)\nB) Turn Inside Out (common)"},
    {"role": "assistant", "content": "B) Turn Inside Out"},
]


@pytest.fixture()
def tok(smoke_base):
    from transformers import AutoTokenizer

    t = AutoTokenizer.from_pretrained(str(smoke_base.path))
    t.chat_template = SYSTEM_AT_LAST_USER
    return t


def test_only_templates_that_move_the_system_prompt_are_folded(smoke_base):
    from transformers import AutoTokenizer

    assert ChatTemplate(SYSTEM_AT_LAST_USER, "<s>", "</s>").fold
    assert not ChatTemplate(PLAIN_TEMPLATE).fold
    chatml = AutoTokenizer.from_pretrained(str(smoke_base.path))  # SmolLM2's ChatML: the system prompt stays first
    assert not folds_system(lambda m, g: chatml.apply_chat_template(m, tokenize=False, add_generation_prompt=g))
    # folding writes the first turn exactly as the template writes a one-turn chat
    tmpl = ChatTemplate(SYSTEM_AT_LAST_USER, "<s>", "</s>")
    assert tmpl.render(DRAFT[:2]) == tmpl._render(DRAFT[:2]) == (
        "<s>[INST] You are DraftGPT. Answer with the card's letter and name.\n\nPack 1 pick 1:\nA) The Swarmweaver "
        "(rare) -- GIH 64.4%\nB) Anthropede (common)[/INST]")
    assert fold_system(DRAFT[1:]) == DRAFT[1:]  # nothing to fold without a system prompt


def test_a_conversation_trains_with_a_loss_on_every_answer(tok):
    from copilot.training.chat_encoding import ChatEncoder
    from copilot.training.dataset import DatasetError

    enc = ChatEncoder(tok)
    assert enc.fold
    ids, mask = enc.encode_masked({"messages": DRAFT})
    answers = tok.decode([i for i, m in zip(ids, mask) if m])
    eos = tok.eos_token
    assert answers == f"A) The Swarmweaver{eos}B) Turn Inside Out{eos}"
    assert "You are DraftGPT" in tok.decode(ids)  # the system prompt is trained on, once
    enc.fold = False  # what the trainer did before: the template's own placement breaks the masks
    with pytest.raises(DatasetError, match="renders turn 4 differently"):
        enc.encode_masked({"messages": DRAFT})


def test_training_scoring_and_the_gguf_renderer_give_the_same_prompts(tok):
    from copilot.training.chat_encoding import ChatEncoder

    enc = ChatEncoder(tok)
    gguf = ChatTemplate(SYSTEM_AT_LAST_USER, tok.bos_token, tok.eos_token)
    first, second = DRAFT[:2], DRAFT[:4]
    assert enc.render(second, True) == gguf.render(second)
    # each pick's prompt extends the previous one: the live engine's KV cache keeps the earlier turns
    assert gguf.render(second).startswith(gguf.render(first + [DRAFT[2]], add_generation_prompt=False))
    assert enc.prompt_ids(second)[:len(enc.prompt_ids(first))] == enc.prompt_ids(first)


def test_dpo_pairs_are_folded_for_trl(tok):
    from copilot.training.preference import Pair

    pair = Pair(tuple(DRAFT[:4]), "B) Turn Inside Out", "A) Growing Dread").to_trl(fold=True)
    prompt = tok.apply_chat_template(pair["prompt"], tokenize=False, add_generation_prompt=True)
    full = tok.apply_chat_template(pair["prompt"] + pair["chosen"], tokenize=False)
    assert full.startswith(prompt) and full[len(prompt):] == "B) Turn Inside Out" + tok.eos_token
    raw = Pair(tuple(DRAFT[:4]), "B) Turn Inside Out", "A) Growing Dread").to_trl()
    assert not tok.apply_chat_template(raw["prompt"] + raw["chosen"], tokenize=False).startswith(
        tok.apply_chat_template(raw["prompt"], tokenize=False, add_generation_prompt=True))


def test_a_space_before_answers_is_scored_as_the_gguf_engine_scores_it(smoke_base, smollm_gguf):
    """Mistral's own encoding is "[/INST]", "▁Hi": the space is the answer's word-start marker, not a token after
    the prompt. The training encoder leaves the template's space out of the prompt and tokenizes the answer on its
    own, as the gguf engine does; both give the same tokens (the smoke tokenizer is SmolLM2's)."""
    pytest.importorskip("llama_cpp")
    from llama_cpp import Llama
    from transformers import AutoTokenizer

    from copilot.training.chat_encoding import ChatEncoder

    tok = AutoTokenizer.from_pretrained(str(smoke_base.path))
    tok.chat_template = MISTRAL_V3_LIKE
    enc = ChatEncoder(tok)
    assert enc.answer_prefix == " " and enc.prompt_tail == "" and enc.fold
    llm = Llama(model_path=str(smollm_gguf), vocab_only=True, verbose=False)
    gguf = ChatTemplate(MISTRAL_V3_LIKE, tok.bos_token, tok.eos_token)
    msgs = DRAFT[:4]
    text = gguf.render(msgs)
    assert text.endswith("[/INST]")
    assert enc.prompt_ids(msgs) == llm.tokenize(text.encode(), add_bos=False, special=True)
    answer = "B) Turn Inside Out"
    assert enc.candidate_ids(answer)[:-1] == llm.tokenize(answer.encode(), add_bos=False, special=False)


def test_the_linear_encoding_gives_the_reference_ids_and_masks(smoke_base):
    """encode_masked tokenizes only the text each turn adds (linear time) and checks it with one tokenization of the
    last prompt; wherever a template allows that, the ids and masks are the reference's (every prompt tokenized
    again), and where it does not, the reference runs."""
    from transformers import AutoTokenizer

    from copilot.training.chat_encoding import ChatEncoder
    from copilot.training.dataset import DatasetError

    long_draft = DRAFT + [m for i in range(3, 9) for m in (
        {"role": "user", "content": f"Pack 1 pick {i}:\nA) Card {i} (common)\nB) Other {i} (rare) -- draw a card."},
        {"role": "assistant", "content": f"{'AB'[i % 2]}) {'Card' if i % 2 == 0 else 'Other'} {i}"})]
    taken = {}
    for name, template in (("chatml", None), ("system at last user", SYSTEM_AT_LAST_USER),
                           ("mistral v3", MISTRAL_V3_LIKE)):
        tok = AutoTokenizer.from_pretrained(str(smoke_base.path))
        if template is not None:
            tok.chat_template = template
        enc = ChatEncoder(tok)
        for msgs in (DRAFT[:3], DRAFT, long_draft):
            try:
                reference = enc._encode_by_prefixes(msgs)
            except DatasetError as exc:  # a template the reference refuses is refused the same way
                with pytest.raises(DatasetError, match=str(exc)[:40]):
                    enc.encode_masked({"messages": msgs})
                continue
            assert enc.encode_masked({"messages": msgs}) == reference, name
        taken[name] = enc._encode_by_new_text(long_draft) is not None
    assert taken["chatml"] and taken["system at last user"]  # the fast way is the one used there
