"""Export alt-profanity-check's fitted model to the small numpy file the embedded backend loads.

    python -m reviewer.toxicity.export_embedded [--out reviewer/toxicity/data]

Needs the test extra (alt-profanity-check, scikit-learn, joblib): it unpickles
the package's vectoriser and calibrated SVM once, checks they are the model
`linear_model.LinearModel` reproduces, writes their parameters to
`profanity_model.npz` (float64, no pickles), the package's MIT licence beside
it, and `profanity_model.json` recording the source version, the file's
sha256 and the settings. It then reloads the export and compares it with the
package's own `predict_prob` on PROBES. The same package version gives the
same bytes, so a re-export shows in git only when the model changed.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
from importlib import metadata
from pathlib import Path

import numpy as np

from reviewer.toxicity import identity
from reviewer.toxicity.linear_model import DATA_DIR, MANIFEST_FILE, MODEL_FILE, file_sha256, load_linear_model

PACKAGE = "alt-profanity-check"
LICENCE_FILE = "LICENSE-alt-profanity-check.txt"
#: The vectoriser settings LinearModel reproduces (anything else: refuse to export).
VECTORISER = {"analyzer": "word", "binary": False, "lowercase": True, "ngram_range": (1, 1), "norm": "l2",
              "preprocessor": None, "strip_accents": None, "sublinear_tf": False, "tokenizer": None, "use_idf": True}
PROBES = ("Thanks for your message.", "you are a stupid idiot", "I am a gay man.", "", "fuck off",
          "Ünïcödé wörds and 123 numbers", "the the the THE The")


def fitted_parameters(vectorizer, model) -> tuple[dict[str, np.ndarray], str]:
    """The arrays LinearModel needs, and the token pattern; ValueError when the model is not the kind it computes."""
    params = vectorizer.get_params()
    different = {name: params.get(name) for name, value in VECTORISER.items() if params.get(name) != value}
    if different:
        raise ValueError(f"the vectoriser's settings {different} are not the ones the export reproduces")
    parts = model.calibrated_classifiers_
    if model.method != "sigmoid" or any(list(p.estimator.classes_) != [0, 1] for p in parts):
        raise ValueError("the model is not a binary sigmoid-calibrated linear classifier")
    words = sorted(vectorizer.vocabulary_, key=vectorizer.vocabulary_.__getitem__)
    if any("\n" in word for word in words) or [vectorizer.vocabulary_[w] for w in words] != list(range(len(words))):
        raise ValueError("the vocabulary is not a dense list of single-line words")
    arrays = {
        "vocabulary": np.frombuffer("\n".join(words).encode("utf-8"), dtype=np.uint8),
        "idf": np.asarray(vectorizer.idf_, dtype=np.float64),
        "weights": np.column_stack([p.estimator.coef_[0] for p in parts]).astype(np.float64),
        "intercepts": np.array([p.estimator.intercept_[0] for p in parts], dtype=np.float64),
        "slopes": np.array([p.calibrators[0].a_ for p in parts], dtype=np.float64),
        "offsets": np.array([p.calibrators[0].b_ for p in parts], dtype=np.float64),
    }
    return arrays, vectorizer.token_pattern


def npz_bytes(arrays: dict[str, np.ndarray]) -> bytes:
    """An uncompressed .npz with fixed member order and timestamps, so an export is byte-for-byte reproducible."""
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        for name, array in arrays.items():
            member = io.BytesIO()
            np.lib.format.write_array(member, np.ascontiguousarray(array), allow_pickle=False)
            archive.writestr(zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0)), member.getvalue())
    return buffer.getvalue()


def export(out: Path) -> dict:
    """Write the model, its manifest and the licence into `out`; return the manifest."""
    from profanity_check import profanity_check  # scikit-learn, only here

    arrays, token_pattern = fitted_parameters(profanity_check.vectorizer, profanity_check.model)
    out.mkdir(parents=True, exist_ok=True)
    (out / MODEL_FILE).write_bytes(npz_bytes(arrays))
    version = metadata.version(PACKAGE)
    manifest = {
        "source": {"package": PACKAGE, "version": version, "licence": "MIT", "licence_file": LICENCE_FILE,
                   "files": _source_digests()},
        "exported_with": {"scikit-learn": metadata.version("scikit-learn"), "numpy": np.__version__},
        "file": MODEL_FILE,
        "sha256": file_sha256(out / MODEL_FILE),
        "token_pattern": token_pattern,
        "lowercase": True,
        "vocabulary_size": int(arrays["weights"].shape[0]),
        "calibrated_models": int(arrays["weights"].shape[1]),
    }
    (out / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    (out / LICENCE_FILE).write_text(_licence_text(), encoding="utf-8")
    _verify(out, profanity_check)
    return manifest


def _source_digests() -> dict[str, str]:
    """sha256 of the pickles the parameters were read from, to tell which release an export came from."""
    from importlib import resources

    data = resources.files("profanity_check") / "data"
    return {f"profanity_check/data/{name}": file_sha256(Path(str(data / name)))
            for name in ("vectorizer.joblib", "model.joblib")}


def _licence_text() -> str:
    dist = metadata.distribution(PACKAGE)
    for name in ("licenses/LICENSE", "LICENSE", "licenses/LICENSE.txt", "LICENSE.txt"):
        text = dist.read_text(name)
        if text:
            return f"The model in profanity_model.npz is exported from {PACKAGE} {dist.version}:\n\n{text}"
    raise SystemExit(f"{PACKAGE}'s licence file was not found in its installed metadata")


def _verify(out: Path, package) -> None:
    model, _ = load_linear_model(out, identity.trigger_words())
    ours, theirs = model.predict_texts(list(PROBES)), package.predict_prob(list(PROBES))
    worst = float(np.max(np.abs(ours - theirs)))
    if worst > 1e-12:
        raise SystemExit(f"the export differs from {PACKAGE}'s predict_prob by {worst:.3g} on the probes")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=DATA_DIR, help=f"folder to write into (default {DATA_DIR})")
    args = parser.parse_args(argv)
    manifest = export(args.out)
    size = (args.out / MODEL_FILE).stat().st_size
    print(f"wrote {args.out / MODEL_FILE} ({size / 1e6:.2f} MB, sha256 {manifest['sha256'][:12]}) "
          f"from {PACKAGE} {manifest['source']['version']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
