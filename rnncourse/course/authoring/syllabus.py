"""What a student reads about a lab before starting it: objectives, time, prerequisites, due date,
sources, and the links that open it in Colab or Deepnote.

All of it comes from solutions/course.yml (settings.labs and settings.sources). A missing key is a
warning that names the lab and the key, and the header simply leaves that line out; a malformed
value is an error. A link is only made when the student repository is known, so none is ever wrong.
"""

import datetime
from dataclasses import dataclass
from urllib.parse import quote

from .settings import COURSE_FILE, SettingsError, did_you_mean

OBJECTIVES = (3, 5)            # how many learning objectives a lab states
LAB_KEYS = {"objectives", "time", "prerequisites", "due", "sources"}
COLAB_BADGE = "https://colab.research.google.com/assets/colab-badge.svg"
DEEPNOTE_BADGE = "https://deepnote.com/buttons/launch-in-deepnote-small.svg"


@dataclass(frozen=True)
class LabInfo:
    name: str                  # "01-forward"
    title: str                 # "Lab 01: the forward step and computation graphs"
    objectives: tuple = ()
    minutes: int = None        # a typical student's time for the lab
    prerequisites: tuple = ()  # numbers of earlier labs
    due: datetime.date = None
    sources: tuple = ()        # keys of settings.sources


def notebook_path(name):
    """Where a lab's student notebook sits in the course and in the student repository."""
    return f"labs/{name}.ipynb"


def github_url(settings, path):
    """The GitHub page of `path` in the student repository, or None when there is none."""
    if not settings.repository:
        return None
    return f"https://github.com/{settings.repository}/blob/{settings.branch}/{path}"


def colab_url(settings, name):
    """Colab's documented form for a notebook on GitHub: /github/<owner>/<repo>/blob/<branch>/<path>."""
    if not settings.repository:
        return None
    return f"https://colab.research.google.com/github/{settings.repository}/blob/{settings.branch}/{notebook_path(name)}"


def deepnote_url(settings, name):
    """Deepnote's launch form: /launch?url=<the notebook's GitHub URL, percent-encoded>."""
    page = github_url(settings, notebook_path(name))
    return page and f"https://deepnote.com/launch?url={quote(page, safe='')}"


def read_syllabus(labs, settings, complete=True):
    """(LabInfo per lab, in order; warnings) for `labs` (authoring.labs.Lab) from the settings.
    complete: `labs` is every lab of the course, so an entry naming no lab is a warning and a
    prerequisite naming none an error."""
    warnings = []
    if not settings.repository:
        warnings.append(f"{COURSE_FILE}: no repository, so no lab has Open in Colab or Deepnote links; "
                        "set repository: owner/name (the students' public repository on GitHub).")
    if not settings.title:
        warnings.append(f"{COURSE_FILE}: no title; the labs' headers and the syllabus go without one.")
    numbers = {lab.number for lab in labs}
    unknown = sorted(set(settings.labs) - {lab.name for lab in labs})
    for name in unknown if complete else ():
        warnings.append(f"{COURSE_FILE}: labs.{name} names no lab in solutions/"
                        f"{did_you_mean(name, [lab.name for lab in labs])}; it is left out.")
    infos = []
    for lab in labs:
        entry = settings.labs.get(lab.name)
        if entry is None:
            warnings.append(f"{COURSE_FILE}: labs.{lab.name} is missing; its header has no objectives, "
                            "time, prerequisites or sources.")
            infos.append(LabInfo(lab.name, lab.title))
            continue
        for key in sorted(LAB_KEYS - set(entry) - {"due"}):
            warnings.append(f"{COURSE_FILE}: labs.{lab.name}.{key} is missing; its header leaves it out.")
        info = _lab_info(lab, entry, settings)
        missing = [n for n in info.prerequisites if complete and n not in numbers]
        if missing:
            raise SettingsError(f"{COURSE_FILE}: labs.{lab.name}.prerequisites: there is no lab {missing[0]:02d}.")
        infos.append(info)
    return infos, warnings


def _lab_info(lab, entry, settings):
    where = f"{COURSE_FILE}: labs.{lab.name}"
    for key in entry:
        if key not in LAB_KEYS:
            raise SettingsError(f"{where}: unknown key {key!r}{did_you_mean(key, LAB_KEYS)}; "
                                f"the keys are {', '.join(sorted(LAB_KEYS))}.")
    objectives = entry.get("objectives", [])
    if "objectives" in entry and not (isinstance(objectives, list) and all(isinstance(o, str) and o.strip()
                                                                           for o in objectives)
                                      and OBJECTIVES[0] <= len(objectives) <= OBJECTIVES[1]):
        raise SettingsError(f"{where}.objectives: give {OBJECTIVES[0]} to {OBJECTIVES[1]} sentences, one "
                            "per line starting with '- ', each completing 'By the end of this lab you will be able "
                            "to ...'.")
    minutes = entry.get("time")
    if minutes is not None and not (isinstance(minutes, int) and not isinstance(minutes, bool) and minutes > 0):
        raise SettingsError(f"{where}.time: give a typical student's time in minutes, a whole number like 90.")
    prerequisites = entry.get("prerequisites") or []
    if not isinstance(prerequisites, list) or not all(
            isinstance(n, int) and not isinstance(n, bool) and 0 < n < lab.number for n in prerequisites):
        raise SettingsError(f"{where}.prerequisites: name earlier labs by number, e.g. [1, 3].")
    due = entry.get("due")
    if isinstance(due, str):
        try:
            due = datetime.date.fromisoformat(due)
        except ValueError:
            due = False
    if due is not None and not isinstance(due, datetime.date):
        raise SettingsError(f"{where}.due: give the date as YYYY-MM-DD, e.g. 2027-02-15.")
    sources = entry.get("sources") or []
    for key in sources:
        if key not in settings.sources:
            raise SettingsError(f"{where}.sources: {key!r} is not under sources:{did_you_mean(key, settings.sources)}; "
                                f"the known sources are {', '.join(settings.sources) or 'none'}.")
    return LabInfo(lab.name, lab.title, tuple(o.strip() for o in objectives), minutes, tuple(sorted(prerequisites)),
                   due, tuple(sources))


def badges(settings, name, images=(COLAB_BADGE, DEEPNOTE_BADGE)):
    """The Open in Colab and Open in Deepnote badges of lab `name` (Markdown), '' without a repository.
    `images`: the badges' image URLs (the services' own, or local copies for an offline site)."""
    if not settings.repository:
        return ""
    return (f"[![Open In Colab]({images[0]})]({colab_url(settings, name)}) "
            f"[![Open in Deepnote]({images[1]})]({deepnote_url(settings, name)})")


def syllabus_markdown(infos, settings, link, images=(COLAB_BADGE, DEEPNOTE_BADGE)):
    """The labs at a glance, then each lab's objectives: the heart of the student README and the
    course site's home page. `link(name)` is where a lab's title points (its notebook or its page)."""
    rows = ["| Lab | Time | Before it | Due |", "|---|---|---|---|"]
    for info in infos:
        before = lab_numbers(info.prerequisites) if info.prerequisites else "-"
        rows.append(f"| [{info.title}]({link(info.name)}) | {duration(info.minutes) if info.minutes else '-'} "
                    f"| {before} | {info.due.isoformat() if info.due else '-'} |")
    parts = ["\n".join(rows)]
    for info in infos:
        section = [f"### [{info.title}]({link(info.name)})", ""]
        if badges(settings, info.name, images):
            section += [badges(settings, info.name, images), ""]
        if info.objectives:
            section += ["You will be able to:", ""] + [f"- {o}" for o in info.objectives]
        parts.append("\n".join(section).rstrip())
    return "\n\n".join(parts) + "\n"


def lab_numbers(numbers):
    """(1, 3) -> 'labs 01 and 03'; (8,) -> 'lab 08'."""
    named = [f"{n:02d}" for n in numbers]
    if len(named) == 1:
        return f"lab {named[0]}"
    return "labs " + ", ".join(named[:-1]) + f" and {named[-1]}"


def lab_header(info, settings):
    """The markdown cell at the top of a student notebook: title, course, badges, objectives, time,
    prerequisites, due date and sources (each line only when known). It depends on this lab's
    settings alone, so a lab builds the same whichever others are built with it."""
    lines = [f"# {info.title}", ""]
    if settings.title:
        lines += [f"*{settings.title}" + (f", {settings.term}*" if settings.term else "*"), ""]
    if settings.repository:
        lines += [badges(settings, info.name), ""]
    if info.objectives:
        lines += ["**By the end of this lab you will be able to:**", ""]
        lines += [f"- {objective}" for objective in info.objectives] + [""]
    facts = []
    if info.minutes:
        facts.append(f"**Time:** about {duration(info.minutes)}")
    if info.prerequisites:
        facts.append(f"**Before this lab:** {lab_numbers(info.prerequisites)}")
    elif "prerequisites" in settings.labs.get(info.name, {}):
        facts.append("**Before this lab:** nothing but Python and a little linear algebra")
    if info.due:
        facts.append(f"**Due:** {info.due.isoformat()}")
    if facts:
        lines += [" · ".join(facts), ""]
    if info.sources:
        credits = "; ".join(settings.sources[key]["cite"] for key in info.sources)
        where = github_url(settings, "ATTRIBUTION.md")
        lines += [f"**Adapted from:** {credits}" + (f" ([attribution]({where}))" if where else "") + ".", ""]
    return "\n".join(lines).rstrip() + "\n"


def duration(minutes):
    """90 -> '1 h 30 min'; 60 -> '1 h'; 45 -> '45 min'."""
    hours, rest = divmod(minutes, 60)
    if not hours:
        return f"{rest} min"
    return f"{hours} h" + (f" {rest} min" if rest else "")


def attribution_markdown(settings):
    """ATTRIBUTION.md: every adapted source, the terms it states and the labs that use it."""
    lines = ["# Attribution", "",
             "The labs of this course adapt the sources below. Their ideas, notation, numbers and exercises",
             "carry over; the text and code are written for this course. Each lab's header names its sources.", ""]
    for key, source in settings.sources.items():
        used = [name for name, entry in settings.labs.items() if key in (entry.get("sources") or [])]
        lines += [f"## {source['cite']}", ""]
        if source.get("url"):
            lines += [f"- Where: <{source['url']}>"]
        lines += [f"- Terms: {source.get('terms') or 'none stated'}"]
        if used:
            lines += [f"- Used in: {', '.join(used)}"]
        lines.append("")
    lines += [f"The course itself is under the {settings.licence} licence (LICENSE).", ""]
    return "\n".join(lines)
