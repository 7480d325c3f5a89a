"""Every bundled rule must match its positive sample and not its near-miss negative."""

from __future__ import annotations

from pathlib import Path

import pytest
import yara

from triage.records import Entry
from triage.scan.yara import YaraEngine, bundled_rules_dir, check_rules, compile_rules

SAMPLES = Path(__file__).parent / "samples"
REQUIRED_META = {"author", "description", "reference", "date", "score"}


def _bundled_rules() -> list[yara.Rule]:
    compiled = yara.compile(filepaths={p.stem: str(p) for p in bundled_rules_dir().glob("*.yar")},
                            externals={"filename": "", "filepath": "", "extension": "", "filetype": "",
                                       "owner": "", "md5": ""})
    return list(compiled)


RULE_NAMES = sorted(r.identifier for r in _bundled_rules())


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> YaraEngine:
    return compile_rules(bundled=True, cache_dir=tmp_path_factory.mktemp("cache")).load()


def _sample(rule: str, kind: str) -> Path:
    found = sorted((SAMPLES / rule).glob(f"{kind}.*"))
    assert found, f"no {kind} sample for {rule}"
    return found[0]


def _match(engine: YaraEngine, path: Path) -> set[str]:
    entry = Entry(path="/samples/" + path.name, name=path.name, inode=None, size=path.stat().st_size,
                  type="regular")
    matches, errors = engine.match_bytes(entry, path.read_bytes())
    assert errors == []
    return {m.rule for m in matches}


def test_pack_compiles_cleanly() -> None:
    results = check_rules([bundled_rules_dir()])
    assert results and all(r.ok for r in results), [r.message for r in results if not r.ok]
    assert {Path(r.path).name for r in results} == {
        "phishing_kits.yar", "web_skimmers.yar", "carding_tools.yar", "stealer_logs.yar", "rats.yar"}


def test_pack_has_no_slow_strings() -> None:
    for p in bundled_rules_dir().glob("*.yar"):
        yara.compile(filepath=str(p), error_on_warning=True,
                     externals={"filename": "", "filepath": "", "extension": "", "filetype": "", "owner": ""})


def test_every_sample_dir_is_a_rule() -> None:
    assert sorted(d.name for d in SAMPLES.iterdir() if d.is_dir()) == RULE_NAMES


@pytest.mark.parametrize("rule", _bundled_rules(), ids=lambda r: r.identifier)
def test_rule_meta(rule: yara.Rule) -> None:
    assert REQUIRED_META <= set(rule.meta)
    assert rule.meta["author"] == "triage project"
    assert rule.meta["date"] == "2026-11-28"
    assert 0 <= int(rule.meta["score"]) <= 100
    assert str(rule.meta["reference"]).startswith("https://")


@pytest.mark.parametrize("rule", RULE_NAMES)
def test_positive_sample_matches(engine: YaraEngine, rule: str) -> None:
    assert rule in _match(engine, _sample(rule, "positive"))


@pytest.mark.parametrize("rule", RULE_NAMES)
def test_negative_sample_does_not_match(engine: YaraEngine, rule: str) -> None:
    assert rule not in _match(engine, _sample(rule, "negative"))


@pytest.mark.parametrize("rule", RULE_NAMES)
def test_negative_samples_match_nothing_in_pack(engine: YaraEngine, rule: str) -> None:
    """Near-miss benign files must not trip *any* bundled rule."""
    assert _match(engine, _sample(rule, "negative")) == set()
