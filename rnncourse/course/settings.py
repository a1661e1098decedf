"""Course settings: the keys of solutions/course.yml, their defaults, meanings and checks, in one place.

The Otter release is not a setting: student notebooks install the Otter that built them, the one
requirements.txt pins (otter_requirement below).
"""

import difflib
from dataclasses import MISSING, dataclass, field, fields
from importlib.metadata import version
from pathlib import Path

import yaml

COURSE_FILE = Path("solutions") / "course.yml"


class SettingsError(Exception):
    """solutions/course.yml cannot be used; the message names the key and the fix."""


@dataclass(frozen=True)
class CourseSettings:
    package_source: str = field(metadata={"help": (
        "what a student notebook's first cell pip-installs when rnncourse is missing (Colab, Deepnote), "
        "and what the Gradescope autograder installs: point it at the course repository and pin a tag "
        "or commit, e.g. 'rnncourse @ git+https://github.com/ORG/rnncourse.git@v1.0'")})
    extra_packages: dict = field(default_factory=dict, metadata={"help": (
        "more packages the first cell installs when missing, as {module: pip requirement}, "
        "e.g. {sklearn: scikit-learn}")})

    @classmethod
    def read(cls, root):
        """The settings in root/solutions/course.yml; raises SettingsError naming what is wrong."""
        path = Path(root) / COURSE_FILE
        try:
            values = yaml.safe_load(path.read_text()) or {}
        except (OSError, yaml.YAMLError) as e:
            raise SettingsError(f"{path}: cannot be read ({str(e).splitlines()[0]}).") from None
        if not isinstance(values, dict):
            raise SettingsError(f"{path}: expected 'key: value' lines, found {type(values).__name__}.")
        known = {f.name: f for f in fields(cls)}
        for key in values:
            if key not in known:
                raise SettingsError(f"{path}: unknown setting {key!r}{did_you_mean(key, known)}. "
                                    f"Known settings: {', '.join(sorted(known))}.")
        for name, f in known.items():
            required = f.default is MISSING and f.default_factory is MISSING
            if required and name not in values:
                raise SettingsError(f"{path}: missing {name!r}: {f.metadata['help']}.")
        if not isinstance(values["package_source"], str) or not values["package_source"].strip():
            raise SettingsError(f"{path}: package_source should be a pip requirement (text).")
        extra = values.get("extra_packages") or {}
        if not isinstance(extra, dict) or not all(isinstance(v, str) for v in extra.values()):
            raise SettingsError(f"{path}: extra_packages should map module names to pip requirements, "
                                "e.g. {sklearn: scikit-learn}.")
        return cls(package_source=values["package_source"], extra_packages=dict(extra))

    @classmethod
    def describe(cls):
        """{key: meaning} of every setting, for documentation and messages."""
        return {f.name: f.metadata["help"] for f in fields(cls)}


def otter_requirement():
    """The Otter that students and Gradescope install: the release installed here, which
    requirements.txt pins and which built the labs."""
    return f"otter-grader[grading]=={version('otter-grader')}"


def did_you_mean(key, known):
    """' (did you mean 'x'?)' for the closest of `known` to `key`, or ''."""
    close = difflib.get_close_matches(str(key), sorted(known), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""
