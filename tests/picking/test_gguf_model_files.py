"""validate_gguf: every bad file is refused with an actionable message before llama.cpp can crash on it."""
from __future__ import annotations

import os
import subprocess
import sys
import zipfile

import pytest

from copilot.picking.model_files import ModelFileError, read_gguf_header, validate_gguf


def make_lora_adapter(path, arch: str = "llama", layers: int = 2, rank: int = 4, scale: float = 0.05,
                      d: int = 576) -> None:
    """A real LoRA adapter GGUF for SmolLM2 (q_proj of the first layers), written with the `gguf` package."""
    gguf = pytest.importorskip("gguf")
    import numpy as np

    w = gguf.GGUFWriter(str(path), arch)
    w.add_type("adapter")
    w.add_string("adapter.type", "lora")
    w.add_float32("adapter.lora.alpha", 16.0)
    rng = np.random.default_rng(0)
    for b in range(layers):
        w.add_tensor(f"blk.{b}.attn_q.weight.lora_a", (rng.standard_normal((rank, d)) * scale).astype(np.float32))
        w.add_tensor(f"blk.{b}.attn_q.weight.lora_b", (rng.standard_normal((d, rank)) * scale).astype(np.float32))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def test_real_model_header(smollm_gguf):
    info = validate_gguf(smollm_gguf, "model")
    assert info.architecture == "llama"
    assert info.file_type == "model"
    assert info.tensor_count == 272
    assert info.context_length == 8192
    assert "<|im_start|>" in info.chat_template
    assert info.metadata["tokenizer.ggml.tokens"].length == 49152  # arrays are skipped, their length kept


def test_missing_file(tmp_path):
    with pytest.raises(ModelFileError, match="does not exist"):
        validate_gguf(tmp_path / "nope.gguf")


def test_empty_file(tmp_path):
    p = tmp_path / "empty.gguf"
    p.write_bytes(b"")
    with pytest.raises(ModelFileError, match=r"empty \(0 bytes\)"):
        validate_gguf(p)


def test_folder(tmp_path):
    with pytest.raises(ModelFileError, match="is a folder"):
        validate_gguf(tmp_path)


def test_random_bytes(tmp_path):
    p = tmp_path / "random.gguf"
    p.write_bytes(os.urandom(4096).replace(b"GGUF", b"XXXX"))
    with pytest.raises(ModelFileError, match="is not a GGUF file .*copilot export"):
        validate_gguf(p)


def test_zip_gets_a_hint(tmp_path):
    p = tmp_path / "model.whl"
    with zipfile.ZipFile(p, "w") as zf:
        zf.writestr("x.txt", "hello")
    with pytest.raises(ModelFileError, match="zip archive"):
        validate_gguf(p)


@pytest.mark.parametrize("keep", [4, 10, 24, 5000, 2_000_000])
def test_truncated_model(smollm_gguf, tmp_path, keep):
    p = tmp_path / "cut.gguf"
    with open(smollm_gguf, "rb") as src:
        p.write_bytes(src.read(keep))
    with pytest.raises(ModelFileError, match="is truncated"):
        validate_gguf(p)


def test_unreadable(smollm_gguf, tmp_path):
    if os.geteuid() == 0:
        pytest.skip("root reads files regardless of permissions")
    p = tmp_path / "locked.gguf"
    p.write_bytes(b"GGUF")
    p.chmod(0)
    with pytest.raises(ModelFileError, match="not readable"):
        validate_gguf(p)


def test_model_passed_as_adapter(smollm_gguf):
    with pytest.raises(ModelFileError, match="not an adapter .*general.type"):
        validate_gguf(smollm_gguf, "adapter")


def test_real_adapter(smollm_gguf, tmp_path):
    a = tmp_path / "lora.gguf"
    make_lora_adapter(a)
    info = validate_gguf(a, "adapter", base=smollm_gguf)
    assert info.file_type == "adapter" and info.metadata["adapter.type"] == "lora"
    # an adapter is not a model
    with pytest.raises(ModelFileError, match="is a LoRA adapter, not a model"):
        validate_gguf(a, "model")


def test_adapter_for_another_architecture(smollm_gguf, tmp_path):
    a = tmp_path / "gemma-lora.gguf"
    make_lora_adapter(a, arch="gemma3")
    with pytest.raises(ModelFileError, match="architecture 'gemma3'.*'llama'"):
        validate_gguf(a, "adapter", base=smollm_gguf)


def test_no_architecture(tmp_path):
    gguf = pytest.importorskip("gguf")
    import numpy as np

    p = tmp_path / "noarch.gguf"
    w = gguf.GGUFWriter(str(p), "llama")
    w.add_tensor("x", np.zeros((2, 2), dtype=np.float32))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    # strip the general.architecture key by rewriting its name to an unknown one of the same length
    raw = p.read_bytes().replace(b"general.architecture", b"general.xrchitecture")
    p.write_bytes(raw)
    with pytest.raises(ModelFileError, match="no general.architecture"):
        validate_gguf(p)
    assert read_gguf_header(p).metadata["general.xrchitecture"] == "llama"


def test_bad_adapter_is_refused_before_llama_cpp_segfaults(smollm_gguf, tmp_path):
    """llama.cpp segfaults on a bad lora_path; the engine must report it instead (run in a child to be safe)."""
    pytest.importorskip("llama_cpp")
    bad = tmp_path / "bad-lora.gguf"
    bad.write_bytes(b"not an adapter at all" * 10)
    code = (
        "from copilot.picking.gguf_engine import GGUFEngine\n"
        "from copilot.picking.engine import PickContext\n"
        "from copilot.cards.model import Card\n"
        f"e = GGUFEngine(model={str(smollm_gguf)!r}, adapter={str(bad)!r})\n"
        "print('AVAILABLE', e.available())\n"
        "r = e.rank(PickContext(pack=(Card('Shock'), Card('Opt')), pool=(), pack_number=1, pick_number=1))\n"
        "print('ERROR', r.error)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "AVAILABLE (False" in out.stdout and "is not a GGUF file" in out.stdout
    assert "ERROR" in out.stdout and "bad-lora.gguf is not a GGUF file" in out.stdout


def test_block_table_matches_gguf_package():
    gguf = pytest.importorskip("gguf")
    from copilot.picking.model_files import GGML_BLOCKS

    ref = {int(k): tuple(v) for k, v in gguf.GGML_QUANT_SIZES.items()}
    assert {k: v for k, v in GGML_BLOCKS.items()} == {k: ref[k] for k in GGML_BLOCKS}


def test_data_end_is_the_file_size(smollm_gguf):
    info = validate_gguf(smollm_gguf)
    assert info.data_end == info.file_size == smollm_gguf.stat().st_size
