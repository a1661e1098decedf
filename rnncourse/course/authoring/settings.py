"""Course settings: the keys of solutions/course.yml, their defaults, meanings and checks, in one place.

The Otter release is not a setting: student notebooks install the Otter that built them, the one
requirements.txt pins (otter_requirement below). Nor is the course package's version: the labs pin
the rnncourse that builds them (package_version below), so a notebook and the public tests it
checks against always come from the same release.
"""

import difflib
import re
from dataclasses import MISSING, dataclass, field, fields
from importlib.metadata import version
from pathlib import Path

import yaml
from packaging.requirements import InvalidRequirement, Requirement

COURSE_FILE = Path("solutions") / "course.yml"


class SettingsError(Exception):
    """solutions/course.yml cannot be used; the message names the key and the fix."""


@dataclass(frozen=True)
class CourseSettings:
    package_source: str = field(default=None, metadata={"help": (
        "what a student notebook's first cell pip-installs when rnncourse is missing or another version, "
        "and what the Gradescope autograder installs. Default: the release on the Python package index "
        "that builds the labs, 'rnncourse==<version in pyproject.toml>'. Alternatives: a tag or commit "
        "of the course repository, 'rnncourse @ git+https://github.com/ORG/rnncourse.git@v0.1.0', or a "
        "wheel, 'rnncourse @ https://example.org/rnncourse-0.1.0-py3-none-any.whl'")})
    extra_packages: dict = field(default_factory=dict, metadata={"help": (
        "more packages the first cell installs when missing, as {module: pip requirement}, "
        "e.g. {sklearn: scikit-learn}")})
    title: str = field(default=None, metadata={"help": (
        "the course's title, at the top of every lab, the syllabus and the course site")})
    term: str = field(default=None, metadata={"help": "the term it is taught, e.g. 'Spring 2027'"})
    repository: str = field(default=None, metadata={"help": (
        "the students' public repository on GitHub, 'owner/name', that `rnncourse publish` fills: "
        "the Open in Colab and Open in Deepnote links of each lab point into it. Left out: no such links")})
    branch: str = field(default="main", metadata={"help": "the branch of that repository the links point at"})
    licence: str = field(default="MIT", metadata={"help": (
        "the licence the published course is under (the LICENSE file at the top of this repository)")})
    sources: dict = field(default_factory=dict, metadata={"help": (
        "what the labs adapt, by a short key: {key: {cite: ..., url: ..., terms: ...}}; ATTRIBUTION.md "
        "is written from it and each lab's header credits the sources it names")})
    labs: dict = field(default_factory=dict, metadata={"help": (
        "per lab (by name, e.g. 01-forward): objectives (3-5 sentences), time (minutes), prerequisites "
        "(earlier labs, by number), due (YYYY-MM-DD, optional), sources (what it adapts, as ATTRIBUTION.md "
        "names them); read by authoring/syllabus.py")})

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
        source = values.get("package_source")
        if source is not None and (not isinstance(source, str) or not source.strip()):
            raise SettingsError(f"{path}: package_source should be a pip requirement (text), "
                                f"e.g. 'rnncourse=={package_version()}'; leave it out for that default.")
        extra = values.get("extra_packages") or {}
        if not isinstance(extra, dict) or not all(isinstance(v, str) for v in extra.values()):
            raise SettingsError(f"{path}: extra_packages should map module names to pip requirements, "
                                "e.g. {sklearn: scikit-learn}.")
        for key in ("title", "term", "branch", "licence"):
            if values.get(key) is not None and (not isinstance(values[key], str) or not values[key].strip()):
                raise SettingsError(f"{path}: {key} should be text: {known[key].metadata['help']}.")
        repository = values.get("repository")
        if repository is not None and not (isinstance(repository, str) and REPOSITORY.match(repository)):
            raise SettingsError(f"{path}: repository should be a GitHub repository as owner/name, e.g. "
                                f"'our-dept/rnn-course', not {repository!r}.")
        sources = values.get("sources") or {}
        if not isinstance(sources, dict) or not all(isinstance(v, dict) and isinstance(v.get("cite"), str)
                                                    for v in sources.values()):
            raise SettingsError(f"{path}: sources should map a short key to {{cite: ..., url: ..., terms: ...}}, "
                                "each with at least its cite.")
        labs = values.get("labs") or {}
        if not isinstance(labs, dict) or not all(isinstance(v, dict) for v in labs.values()):
            raise SettingsError(f"{path}: labs should map each lab's name (01-forward) to its objectives, time, "
                                "prerequisites, due date and sources.")
        return cls(package_source=(source or f"rnncourse=={package_version()}").strip(), extra_packages=dict(extra),
                   title=values.get("title"), term=values.get("term"), repository=repository,
                   branch=values.get("branch") or "main", licence=values.get("licence") or "MIT",
                   sources=dict(sources), labs=dict(labs))

    @classmethod
    def describe(cls):
        """{key: meaning} of every setting, for documentation and messages."""
        return {f.name: f.metadata["help"] for f in fields(cls)}


def otter_requirement():
    """The Otter that students and Gradescope install: the release installed here, which
    requirements.txt pins and which built the labs."""
    return f"otter-grader[grading]=={version('otter-grader')}"


def package_version():
    """The version of the rnncourse that builds the labs (pyproject.toml's, once installed)."""
    return version("rnncourse")


REPOSITORY = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")
GIT_REF = re.compile(r"^git\+.+?@([^@/#]+)(#.*)?$")      # the part after the last '@' of a git URL
COMMIT = re.compile(r"^[0-9a-f]{7,40}$")
VERSION_TAG = re.compile(r"^v?\d+(\.\d+)*([.-]?(a|b|rc|post|dev)\d*)?$")
WHEEL_VERSION = re.compile(r"/rnncourse-([^-/]+)(-[^/]*)?\.(whl|tar\.gz|zip)$")


def pin_problem(source, built_version):
    """Why the pip requirement `source` may not install the rnncourse `built_version` every time
    (a branch, no version, another version), or None when it is pinned to it."""
    try:
        requirement = Requirement(source)
        url = requirement.url
    except InvalidRequirement:
        requirement, url = None, source          # pip also takes a bare URL or path
    if requirement is not None and requirement.name.lower() != "rnncourse":
        return f"it installs {requirement.name!r}, not rnncourse"
    if url is None:
        pins = [s.version for s in requirement.specifier if s.operator in ("==", "===")]
        if not pins or "*" in pins[0]:
            return "it names no exact version, so students get whatever release is newest that day"
        if pins[0] != built_version:
            return f"it pins {pins[0]}, but the labs are built with rnncourse {built_version}"
        return None
    if url.startswith("git+"):
        ref = GIT_REF.match(url)
        if ref is None:
            return "the git URL names no tag or commit, so students get the default branch as it is that day"
        tag = ref.group(1)
        if COMMIT.match(tag):
            return None
        if not VERSION_TAG.match(tag):
            return f"'@{tag}' looks like a branch, which moves; pin a tag (@v{built_version}) or a commit"
        if tag.lstrip("v") != built_version:
            return f"the tag {tag} is not the version the labs are built with, rnncourse {built_version}"
        return None
    wheel = WHEEL_VERSION.search(url)
    if wheel and wheel.group(1) != built_version:
        return f"the file is rnncourse {wheel.group(1)}, but the labs are built with rnncourse {built_version}"
    return None


def did_you_mean(key, known):
    """' (did you mean 'x'?)' for the closest of `known` to `key`, or ''."""
    close = difflib.get_close_matches(str(key), sorted(known), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""
