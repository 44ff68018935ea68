"""Commentary tests reuse the real llama_cpp.server fixtures of tests/picking."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "picking"))

from llm_test_servers import closed_port_url, free_port, llama_server, silent_server  # noqa: E402,F401
