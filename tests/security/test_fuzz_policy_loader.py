"""Property-based fuzzing of the policy loader: whatever a policy file holds, loading it either works or raises
PolicyError naming file:line:column, never another exception.

Three sources of input: random YAML documents (any shape of mappings, lists
and scalars, some with the policy's own keys), structural mutations of the
shipped policies (a value anywhere replaced by a value of another kind), and
text mutations of the shipped files (bytes cut, inserted or swapped,
including invalid UTF-8, NUL and tabs). A policy that loads must also check
a text without failing. Bounded so the file runs in seconds.
"""

from __future__ import annotations

import itertools
import shutil
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reviewer.policy import PolicyError, load_policy

SHIPPED = Path(__file__).resolve().parents[2] / "policies"
SHIPPED_FILES = ("government.yaml", "city-council.yaml")
POLICY_KEYS = ["schema", "id", "version", "title", "extends", "timezone", "defaults", "rules", "periods", "examples",
               "kind", "terms", "pattern", "action", "severity", "route", "message", "source", "max", "platform", "start",
               "end", "text", "expect", "disable", "replace", "during", "when", "detectors", "threshold", "lists"]
SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-10**12, 10**12), st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12), st.sampled_from(["lexicon", "regex", "pii", "links", "length", "tone", "toxicity", "topic",
                                           "context", "accessibility", "block", "review", "pass", "(", "[a-", "\\", "*",
                                           "government.yaml", "../../etc/passwd", "/etc/passwd", "x", "2026-13-45"]),
    st.dates(), st.binary(max_size=6),
)
DOCUMENTS = st.recursive(
    SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.one_of(st.sampled_from(POLICY_KEYS), st.text(max_size=6)), children, max_size=5),
    ),
    max_leaves=25,
)
_names = itertools.count()
FUZZ_SETTINGS = settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding the shipped policies (a mutated child still finds its parent)."""
    path = tmp_path_factory.mktemp("fuzz-policies")
    for name in SHIPPED_FILES:
        shutil.copyfile(SHIPPED / name, path / name)
    return path


def load_or_explain(folder: Path, content: bytes, stem: str = "fuzz") -> None:
    """Write `content` to a fresh file (no cache can answer for it) and load it: a policy, or a clear PolicyError."""
    path = folder / f"{stem}-{next(_names)}.yaml"
    path.write_bytes(content)
    try:
        policy = load_policy(path)
    except PolicyError as error:
        assert error.issues, "a PolicyError must list at least one issue"
        for issue in error.issues:
            assert issue.line >= 1 and issue.column >= 1, issue
            assert Path(issue.path).name in {path.name, *SHIPPED_FILES}, issue
            assert issue.message.strip(), issue
            assert f"{Path(issue.path).name}:{issue.line}:{issue.column}:" in str(error).replace(str(Path(issue.path).parent) + "/", "")
        return
    finally:
        path.unlink()
    policy.check("idiot, call 021 555 0199 or see https://bit.ly/x WE PROMISE by Friday", platform="x", in_reply_to="my case")


@pytest.mark.slow
@settings(FUZZ_SETTINGS, max_examples=150)
@given(document=DOCUMENTS)
def test_random_yaml_documents(folder: Path, document: object) -> None:
    try:
        text = yaml.safe_dump(document, allow_unicode=True)
    except yaml.YAMLError:
        return  # not representable as YAML at all: nothing a person could write
    load_or_explain(folder, text.encode("utf-8"))


def _paths(node: object, path: tuple = ()) -> list[tuple]:
    found = [path] if path else []
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, path + (key,))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _paths(value, path + (index,))
    return found


PARSED = {name: yaml.safe_load((SHIPPED / name).read_text(encoding="utf-8")) for name in SHIPPED_FILES}
PATHS = {name: _paths(data) for name, data in PARSED.items()}


def _replace(node: object, path: tuple, value: object) -> None:
    for step in path[:-1]:
        node = node[step]  # type: ignore[index]
    node[path[-1]] = value  # type: ignore[index]


@pytest.mark.slow
@settings(FUZZ_SETTINGS, max_examples=40)
@given(data=st.data(), name=st.sampled_from(SHIPPED_FILES))
def test_structural_mutations_of_the_shipped_policies(folder: Path, data: st.DataObject, name: str) -> None:
    import copy

    document = copy.deepcopy(PARSED[name])
    for _ in range(data.draw(st.integers(1, 3), label="changes")):
        path = data.draw(st.sampled_from(PATHS[name]), label="path")
        value = data.draw(DOCUMENTS, label="value")
        try:
            _replace(document, path, value)
        except (KeyError, IndexError, TypeError):
            continue  # an earlier change removed this place
    load_or_explain(folder, yaml.safe_dump(document, allow_unicode=True).encode("utf-8"), name.removesuffix(".yaml"))


JUNK = st.binary(max_size=8) | st.text(alphabet=":-[]{}'\"#&*!|>%@`\n\t\r\x00\ufeff\u202e ab1", max_size=8).map(
    lambda text: text.encode("utf-8")
)


@pytest.mark.slow
@settings(FUZZ_SETTINGS, max_examples=40)
@given(data=st.data(), name=st.sampled_from(SHIPPED_FILES))
def test_text_mutations_of_the_shipped_policies(folder: Path, data: st.DataObject, name: str) -> None:
    content = bytearray((SHIPPED / name).read_bytes())
    for _ in range(data.draw(st.integers(1, 3), label="edits")):
        at = data.draw(st.integers(0, len(content)), label="at")
        cut = data.draw(st.integers(0, 40), label="cut")
        content[at : at + cut] = data.draw(JUNK, label="junk")
    load_or_explain(folder, bytes(content), name.removesuffix(".yaml"))


@pytest.mark.parametrize(
    "content",
    [b"", b"\xff\xfe\x00", b"\x00\x00", b"- a\n- b\n", b"id: [unclosed\n", b"&a [*a]", b"!!python/object/apply:os.system ['true']\n",
     b"a: &x 1\nb: *y\n", "id: x\nversion: '1'\nrules: [" .encode() + b"{kind: regex, id: r, pattern: '(' }]\n",
     b"id: x\nversion: '1'\nextends: ../../../../etc/passwd\nrules: []\n", b"id: x\nversion: '1'\nextends: /etc/passwd\nrules: []\n"],
)
def test_known_nasty_files(folder: Path, content: bytes) -> None:
    """Empty, binary, a bare list, unclosed flow, an alias loop, a Python tag, a bad regex, `extends` outside the folder."""
    load_or_explain(folder, content)


# --- Regressions: what the fuzzing found (each raised something other than PolicyError, or read outside the folder) ---

ALIAS_BOMB = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{name}: &{name} [{', '.join([f'*{prev}'] * 10)}]\n" for prev, name in zip("abcdef", "bcdefg")
)


@pytest.mark.parametrize(
    ("content", "where", "says"),
    [
        (b"id: x\nversion: \x00'1'\n", "2:10", "U+0000 is not allowed"),
        (b"id: x\nrules: &r [*r]\n", "2:8", "alias refers to the mapping or list it is inside"),
        (b"[" * 3000 + b"]" * 3000, "1:1", "nested too deeply"),
        (ALIAS_BOMB.encode(), "1:1", "more than 200,000 values"),
        (b"id: x\nversion: '1'\nextends: ../../../../etc/passwd\nrules: []\n", "3:10", "must be in this policy's folder"),
    ],
    ids=["nul-character", "alias-loop", "deep-nesting", "alias-bomb", "extends-outside-the-folder"],
)
def test_found_by_fuzzing(folder: Path, content: bytes, where: str, says: str) -> None:
    path = folder / f"found-{next(_names)}.yaml"
    path.write_bytes(content)
    with pytest.raises(PolicyError) as caught:
        load_policy(path)
    assert f"{path.name}:{where}:" in str(caught.value) and says in str(caught.value), str(caught.value)
