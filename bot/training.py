"""Train the Rasa model only when its inputs changed.

The model file is named after a fingerprint of everything that shapes it: config.yml,
domain/, the training data (data/nlu, data/rules, data/stories) and the source of the
custom graph components. If a model with that fingerprint exists, training is skipped;
otherwise ``rasa train`` runs with Rasa's own cache under the state directory, so even
a retrain only redoes the parts whose inputs changed.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import yaml

from bot.settings import PROJECT_ROOT, Settings

__all__ = ["TRAINING_DATA", "fingerprint", "model_path", "ensure_model", "rasa_env"]

CONFIG = PROJECT_ROOT / "config.yml"
DOMAIN = PROJECT_ROOT / "domain"
TRAINING_DATA = [PROJECT_ROOT / "data" / name for name in ("nlu", "rules", "stories")]
# Code that Rasa loads as graph components: a change here must retrain too, because
# Rasa's own fingerprint covers component configuration, not component source.
COMPONENT_SOURCES = [PROJECT_ROOT / "safety" / "rasa_adapters.py", PROJECT_ROOT / "bot" / "nlu"]


def _files(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    if not path.exists():
        return []
    return sorted(p for p in path.rglob("*") if p.is_file() and p.suffix in {".yml", ".yaml", ".py"})


def fingerprint(epochs: int | None = None) -> str:
    digest = hashlib.sha256()
    for path in [CONFIG, DOMAIN, *TRAINING_DATA, *COMPONENT_SOURCES]:
        for file in _files(path):
            digest.update(str(file.relative_to(PROJECT_ROOT)).encode())
            digest.update(file.read_bytes())
    digest.update(f"epochs={epochs}".encode())
    return digest.hexdigest()[:16]


def model_path(models_dir: Path, epochs: int | None = None) -> Path:
    suffix = f"-e{epochs}" if epochs is not None else ""
    return models_dir / f"model-{fingerprint(epochs)}{suffix}.tar.gz"


def rasa_env(settings: Settings) -> dict[str, str]:
    """Environment for every Rasa process: no telemetry, cache under the state dir."""
    env = dict(os.environ)
    env.setdefault("RASA_TELEMETRY_ENABLED", "false")
    env.setdefault("RASA_CACHE_DIRECTORY", str(settings.cache_dir))
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    env.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")
    env.setdefault("PYTHONPATH", str(PROJECT_ROOT))
    return env


def _config_with_epochs(epochs: int, target: Path) -> Path:
    """Write config.yml with every epoch count capped at ``epochs`` (quick test models)."""
    config = yaml.safe_load(CONFIG.read_text(encoding="utf-8"))
    for section in ("pipeline", "policies"):
        for component in config.get(section) or []:
            if "epochs" in component:
                component["epochs"] = epochs
    target.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return target


def ensure_model(
    settings: Settings, models_dir: Path | None = None, epochs: int | None = None
) -> Path:
    """Return the model for the current inputs, training it first if it is missing."""
    models_dir = models_dir or settings.models_dir
    target = model_path(models_dir, epochs)
    if target.is_file():
        print(f"==> Model is up to date: {target.name} (no training needed)", flush=True)
        return target
    models_dir.mkdir(parents=True, exist_ok=True)
    settings.cache_dir.mkdir(parents=True, exist_ok=True)
    config = CONFIG
    if epochs is not None:
        config = _config_with_epochs(epochs, settings.state_dir / f"config.e{epochs}.yml")
    print(
        f"==> Training the model (inputs changed or no model yet): {target.name}\n"
        "    Rasa shows progress below; a full training takes a few minutes on 2 cores.",
        flush=True,
    )
    command = [
        sys.executable, "-m", "rasa", "train",
        "--config", str(config),
        "--domain", str(DOMAIN),
        "--data", *[str(p) for p in TRAINING_DATA if p.exists()],
        "--out", str(models_dir),
        "--fixed-model-name", target.name.removesuffix(".tar.gz"),
    ]
    result = subprocess.run(command, cwd=PROJECT_ROOT, env=rasa_env(settings))
    if result.returncode != 0 or not target.is_file():
        raise SystemExit(
            f"error: training failed (exit code {result.returncode}); see the output above"
        )
    print(f"==> Model ready: {target}", flush=True)
    return target
