"""The explorer's settings: one frozen object, to the kernel's environment and back."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest

from auditkit.errors import ParameterError
from auditkit.explore import config
from auditkit.explore.exports import ExportLimits
from auditkit.explore.launch import explorer_settings
from auditkit.explore.settings import ExplorerSettings
from auditkit.vocab import EnvVar, Moment


@pytest.fixture
def bare_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for variable in EnvVar:
        monkeypatch.delenv(variable.value, raising=False)
    return monkeypatch


def test_every_setting_goes_to_the_environment_and_comes_back_equal(tmp_path: Path):
    settings = ExplorerSettings(
        data=str(tmp_path / "data"),
        as_of=dt.date(2026, 11, 30),
        at=Moment.REQUESTED,
        params_file=str(tmp_path / "p.json"),
        decision_codes=tmp_path / "codes.json",
        demo_requests=75,
        exports=tmp_path / "exports",
        exports_url="auditkit/exports/",
        export_files=3,
        export_bytes=4096,
        cache=tmp_path / "cache",
        scenarios=tmp_path / "scenarios.json",
        review_db="postgresql://u@h/db",
        user="carol",
    )
    env = settings.to_env()
    assert env[EnvVar.AS_OF] == "2026-11-30" and env[EnvVar.AT] == "requested"
    assert ExplorerSettings.from_env(env) == settings
    # Every field has its variable: none is lost on the way to the kernel.
    assert len(env) == len(dataclasses.fields(ExplorerSettings))
    assert settings.export_limits == ExportLimits(3, 4096)


def test_unset_settings_are_left_out_and_defaults_come_back(bare_env):
    env = ExplorerSettings().to_env()
    assert EnvVar.DATA not in env and EnvVar.REVIEW_DB not in env and EnvVar.USER not in env
    assert ExplorerSettings.from_env(env) == ExplorerSettings()
    assert ExplorerSettings.from_env() == ExplorerSettings()  # nothing set in this process


@pytest.mark.parametrize(
    ("variable", "value", "words"),
    [
        (EnvVar.AS_OF, "1 Nov", "is not a date"),
        (EnvVar.AT, "later", "must be one of snapshot, requested"),
        (EnvVar.DEMO_REQUESTS, "0", "at least 1"),
        (EnvVar.DEMO_REQUESTS, "2k", "whole number"),
        (EnvVar.EXPORT_FILES, "-1", "whole number"),
        (EnvVar.EXPORT_BYTES, "1e9", "whole number"),
        (EnvVar.USER, "eve\x1b[2J", "U+001B"),
    ],
)
def test_a_bad_variable_is_refused_naming_it(variable: EnvVar, value: str, words: str):
    with pytest.raises(ParameterError) as refused:
        ExplorerSettings.from_env({variable.value: value})
    assert str(refused.value).startswith(f"${variable.value} ")
    assert words in str(refused.value)


def test_options_are_checked_naming_the_option():
    with pytest.raises(ParameterError, match=r"^--demo-requests must be a whole number"):
        ExplorerSettings().given(demo_requests=0)
    with pytest.raises(ParameterError, match=r"^--as-of '2026-13-01' is not a date"):
        ExplorerSettings().given(as_of="2026-13-01")
    given = ExplorerSettings(user="dave").given(as_of="2026-11-02", user=None, at="requested")
    assert given == ExplorerSettings(as_of=dt.date(2026, 11, 2), at=Moment.REQUESTED, user="dave")


def test_apply_to_removes_what_is_unset():
    environ = {EnvVar.DATA.value: "/elsewhere", EnvVar.EXPORTS_URL.value: "x/", "HOME": "/h"}
    ExplorerSettings(exports=Path("/e")).apply_to(environ)
    assert EnvVar.DATA.value not in environ and EnvVar.EXPORTS_URL.value not in environ
    assert environ[EnvVar.EXPORTS.value] == "/e" and environ["HOME"] == "/h"
    assert ExplorerSettings.from_env(environ) == ExplorerSettings(exports=Path("/e"))


def test_launch_reads_the_shell_then_the_options_and_makes_files_absolute(bare_env, tmp_path: Path):
    bare_env.chdir(tmp_path)
    bare_env.setenv(EnvVar.AS_OF.value, "2026-10-31")
    bare_env.setenv(EnvVar.SCENARIOS.value, "mine.json")
    bare_env.setenv(EnvVar.USER.value, "bad\nname")  # --user is given: the shell's is not read
    settings = explorer_settings(None, None, Path("out"), user="carol", cache=Path("c"))
    assert settings.as_of == dt.date(2026, 10, 31) and settings.user == "carol"
    assert settings.scenarios == tmp_path / "mine.json"
    assert settings.exports == tmp_path / "out" and settings.cache == tmp_path / "c"
    assert settings.exports_url == "auditkit/exports/"
    bare_env.setenv(EnvVar.AS_OF.value, "yesterday")
    with pytest.raises(ParameterError, match=r"^\$AUDITKIT_EXPLORE_AS_OF 'yesterday'"):
        explorer_settings(None, None, Path("out"), user="carol")
    # Given as an option, the shell's bad value is not read.
    assert explorer_settings(None, "2026-11-01", None, user="c").as_of == dt.date(2026, 11, 1)


def test_a_shell_data_folder_is_checked_before_serving(bare_env, tmp_path: Path):
    bare_env.setenv(EnvVar.DATA.value, str(tmp_path / "empty"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(Exception, match=r"accounts\.csv or accounts\.parquet"):
        explorer_settings(None, None, tmp_path)


def test_the_kernel_opens_what_the_settings_say(bare_env, tmp_path: Path):
    """What a kernel does with the environment `auditkit explore` gave it."""
    settings = ExplorerSettings(
        as_of=dt.date(2026, 11, 15),
        demo_requests=40,
        scenarios=tmp_path / "s.json",
        user="erin",
    )
    for variable, value in settings.to_env().items():
        bare_env.setenv(variable, value)
    opened = config.load()
    assert len(opened.tables.requests) == 40
    assert opened.params.as_of == dt.date(2026, 11, 15)
    assert config.reviewer() == "erin"
    assert config.scenario_store(None, ExplorerSettings.from_env()).path == tmp_path / "s.json"


def test_inline_params_reach_the_kernel_as_given(bare_env, tmp_path: Path):
    """`--params '{...}'` (the JSON itself, as `check` and `report` take it) is not a path."""
    bare_env.chdir(tmp_path)
    settings = explorer_settings(None, None, tmp_path, params_file='{"j10_require_both": true}')
    assert settings.params_file == '{"j10_require_both": true}'
    back = ExplorerSettings.from_env(settings.to_env())
    assert back.params().j10_require_both is True
    (tmp_path / "p.json").write_text('{"j10_require_both": true}')
    from_file = explorer_settings(None, None, tmp_path, params_file="p.json")
    assert from_file.params_file == str(tmp_path / "p.json")
    # The values' types are checked before serving too, not in the browser.
    with pytest.raises(ParameterError, match="j10_require_both must be true or false"):
        explorer_settings(None, None, tmp_path, params_file='{"j10_require_both": 1}')


def test_decision_codes_choose_the_catalogue_every_kernel_judges_with(bare_env, tmp_path: Path):
    """`auditkit explore --decision-codes FILE`, as `check` and `report` take it: checked
    before serving, chosen once in the kernel, recorded with the evaluation."""
    from auditkit.rules.pob import POB

    codes = tmp_path / "codes.json"
    codes.write_text('{"UnsupportedOperation.MemberIsAgent": ["POB-J02", "POB-J09"]}')
    settings = explorer_settings(None, None, tmp_path, decision_codes=codes)
    assert settings.decision_codes == codes.resolve()
    back = ExplorerSettings.from_env(settings.to_env())
    catalogue = back.catalogue()
    assert dict(catalogue.decision_codes) == {
        "UnsupportedOperation.MemberIsAgent": ("POB-J02", "POB-J09")
    }
    assert catalogue.fingerprint() != POB.fingerprint()
    for variable, value in back.to_env().items():
        bare_env.setenv(variable, value)
    workspace = config.open_workspace(demo_requests=30)
    assert workspace.result.catalogue.fingerprint() == catalogue.fingerprint()
    codes.write_text('{"UnsupportedOperation.MemberIsAgent": ["POB-X99"]}')
    with pytest.raises(ParameterError, match="POB-X99"):
        explorer_settings(None, None, tmp_path, decision_codes=codes)
