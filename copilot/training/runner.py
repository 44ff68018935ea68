"""Training as its own process: ``python -m copilot.training.runner RUN_DIR [--restart]``.

The run folder's `config.json` is the only input. The process writes `status.json` (state, pid, step, last
checkpoint, message), appends `metrics.jsonl`, and resumes from the last valid checkpoint when one exists. Exit
codes: 0 done or stopped, 2 bad config / dataset / checkpoint (message in status.json and on stderr), 1 crash.

`launch()` starts it detached with its output in `RUN/train.log`; several GPUs -> `accelerate launch` (see
accelerate_config). `request_stop()` writes the STOP file (works on Windows: no signals involved).
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
import traceback
from pathlib import Path

from copilot.fileio import utc_now
from copilot.training.checkpoints import CheckpointError
from copilot.training.config import ConfigError, TrainConfig
from copilot.training.dataset import DatasetError
from copilot.training.run_folder import STOP_FILE, read_metrics, read_status, write_status
from copilot.training.run_state import RunState

LOG_NAME = "train.log"
PID_NAME = "train.pid"
EXIT_BAD_INPUT = 2


def run(run_dir: str | Path, *, restart: bool = False, allow_download: bool = False) -> int:
    run_dir = Path(run_dir).resolve()
    (run_dir / PID_NAME).write_text(str(os.getpid()))
    try:
        cfg = TrainConfig.load(run_dir)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        write_status(run_dir, state=RunState.FAILED, pid=None, message=str(exc))
        return EXIT_BAD_INPUT
    write_status(run_dir, state=RunState.STARTING, pid=os.getpid(), message="loading the base model and dataset")
    try:
        from copilot.training.base_models import BaseModelError, resolve_base_model
        from copilot.training.dpo import train_preference
        from copilot.training.trainer import train

        try:
            base = resolve_base_model(cfg.base_model, allow_download=allow_download)
            method = train if cfg.method == "sft" else train_preference
            result = method(cfg, run_dir, resume=not restart, base=base)
        except (CheckpointError, DatasetError, BaseModelError, ConfigError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            write_status(run_dir, state=RunState.FAILED, pid=None, message=str(exc))
            return EXIT_BAD_INPUT
        return 0 if result.state in (RunState.DONE, RunState.STOPPED) else 1
    except KeyboardInterrupt:
        write_status(run_dir, state=RunState.STOPPED, pid=None,
                     message="interrupted; resume with `copilot train --resume`")
        return 130
    except Exception as exc:  # noqa: BLE001 - recorded for the GUI/CLI, then re-raised for the log
        traceback.print_exc()
        write_status(run_dir, state=RunState.FAILED, pid=None,
                     message=f"crashed: {type(exc).__name__}: {exc} (see {LOG_NAME}); "
                             f"`copilot train --resume {run_dir}` continues from the last checkpoint")
        return 1
    finally:
        try:
            (run_dir / PID_NAME).unlink()
        except FileNotFoundError:
            pass


def command_for(run_dir: Path, *, restart: bool = False, allow_download: bool = False,
                n_gpus: int = 0, nproc: int = 0) -> list[str]:
    """The training process's command line: one process, or `accelerate launch` for several GPUs (`n_gpus`) or
    several CPU processes (`nproc`, gloo backend)."""
    extra = (["--restart"] if restart else []) + (["--download"] if allow_download else [])
    if n_gpus > 1 or nproc > 1:
        from copilot.training.accelerate_config import launch_command, write_accelerate_config

        cfg_file = write_accelerate_config(run_dir, max(n_gpus, nproc), cpu=n_gpus <= 1)
        return launch_command(cfg_file, run_dir, extra)
    return [sys.executable, "-m", "copilot.training.runner", str(run_dir), *extra]


def launch(run_dir: str | Path, *, restart: bool = False, allow_download: bool = False, n_gpus: int = 0,
           env: dict | None = None, nproc: int = 0) -> subprocess.Popen:
    """Start the training process detached from this one; output goes to RUN/train.log."""
    run_dir = Path(run_dir).resolve()
    if is_running(run_dir):
        raise RuntimeError(f"a training process (pid {read_pid(run_dir)}) is already running in {run_dir}")
    try:
        (run_dir / STOP_FILE).unlink()  # an explicit start/resume overrides an old stop request
    except FileNotFoundError:
        pass
    cmd = command_for(run_dir, restart=restart, allow_download=allow_download, n_gpus=n_gpus, nproc=nproc)
    log = open(run_dir / LOG_NAME, "ab")
    log.write(f"\n==== {time.strftime('%Y-%m-%d %H:%M:%S')} {' '.join(cmd)}\n".encode())
    log.flush()
    kwargs = {}
    if os.name == "nt":  # pragma: no cover - Windows
        kwargs["creationflags"] = subprocess.CREATE_NEW_PROCESS_GROUP
    else:
        kwargs["start_new_session"] = True
    full_env = dict(os.environ, **(env or {}))
    full_env.setdefault("PYTHONUNBUFFERED", "1")
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=full_env,
                            **kwargs)
    log.close()
    write_status(run_dir, state=RunState.LAUNCHED, pid=proc.pid, message="process started")
    return proc


def request_stop(run_dir: str | Path) -> Path:
    p = Path(run_dir) / STOP_FILE
    p.write_text(utc_now())
    return p


def read_pid(run_dir: Path) -> int | None:
    try:
        return int((Path(run_dir) / PID_NAME).read_text().strip())
    except (OSError, ValueError):
        return None


def pid_alive(pid: int) -> bool:
    try:
        import psutil

        return psutil.pid_exists(pid) and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except ImportError:  # pragma: no cover
        try:
            os.kill(pid, 0)
            return True
        except OSError:
            return False
    except Exception:  # noqa: BLE001 - process vanished between calls
        return False


def is_running(run_dir: Path) -> bool:
    pid = read_pid(run_dir)
    return pid is not None and pid_alive(pid)


def describe(run_dir: Path) -> str:
    st = read_status(run_dir)
    if not st:
        return f"{run_dir}: no status (not started)"
    state = RunState.of(st.get("state"))
    shown = str(state) if state is not None else str(st.get("state", "?"))
    if state is not None and state.active and not is_running(run_dir):
        shown = f"{state} (process gone: crashed or killed; resume with `copilot train --resume {run_dir}`)"
    ms = read_metrics(run_dir)
    last = ms[-1] if ms else {}
    parts = [f"state {shown}", f"step {st.get('step', 0)}/{st.get('max_steps', '?')}"]
    if last:
        parts.append(f"loss {last.get('loss')}")
        parts.append(f"{last.get('tokens_per_s')} tok/s")
    if state is not None and state.active and st.get("eta_s") is not None:
        parts.append(f"ETA {st['eta_s'] / 60:.1f} min ({st.get('eta_source', '')})")
    if st.get("last_checkpoint_step"):
        parts.append(f"last checkpoint step {st['last_checkpoint_step']}")
    if st.get("final_eval"):
        parts.append(f"val {st['final_eval']}")
    if st.get("message"):
        parts.append(st["message"])
    return f"{run_dir}: " + "; ".join(parts)


def follow(run_dir: Path, proc: subprocess.Popen | None = None, out=print, poll: float = 0.5) -> int:
    """Print metrics lines as they arrive until the process ends. Ctrl-C asks the run to stop (STOP file)."""
    run_dir = Path(run_dir)
    seen = 0
    stop_sent = False
    while True:
        try:
            ms = read_metrics(run_dir)
            for rec in ms[seen:]:
                extra = f" val top1 {rec['val_top1']:.3f}" if rec.get("val_top1") is not None else ""
                out(f"step {rec['step']:>5}  loss {rec['loss']:.4f}  lr {rec['lr']:.2e}  "
                    f"{rec['tokens_per_s']:>7.0f} tok/s  rss {rec.get('rss_mb', 0):.0f} MB{extra}")
            seen = len(ms)
            done = proc.poll() is not None if proc is not None else not is_running(run_dir)
            if done:
                return proc.returncode if proc is not None else 0
            time.sleep(poll)
        except KeyboardInterrupt:
            if stop_sent:
                raise
            request_stop(run_dir)
            stop_sent = True
            out("stop requested: the run saves a checkpoint after the current step (Ctrl-C again to detach)")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m copilot.training.runner", description=__doc__.split("\n")[0])
    ap.add_argument("run_dir")
    ap.add_argument("--restart", action="store_true", help="ignore checkpoints and start from step 0")
    ap.add_argument("--download", action="store_true", help="allow downloading the base model")
    args = ap.parse_args(argv)
    return run(args.run_dir, restart=args.restart, allow_download=args.download)


if __name__ == "__main__":
    sys.exit(main())
