"""The self-assessment page (/tu-danh-gia/) and its XLSX template, generated from the rubric in force.

``content/tu-danh-gia.md`` holds the marker ``<!--bvte:assessment-form-->``; this hook replaces it
with the form rendered by the template the server also uses (``functions/templates/assessments/
form.html``), and publishes ``/tu-danh-gia/mau-tu-danh-gia-qd06.xlsx`` built with openpyxl from the
same rubric. Rubric or places errors stop the build with the file and field at fault.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page
from mkdocs.utils import get_relative_url

from functions.config import Config
from functions.core import assessment_template, assessment_view
from functions.core.places import PlacesError, load_places
from functions.core.rubric import RubricError, load_rubrics, rubric_in_force, rubrics_dir

PAGE_SRC = "tu-danh-gia.md"
MARKER = "<!--bvte:assessment-form-->"
_state: dict = {}


def on_config(config: MkDocsConfig) -> MkDocsConfig:
    content = Path(config.docs_dir)
    try:
        rubrics = load_rubrics(rubrics_dir(content))
        rubric = rubric_in_force(rubrics, dt.date.today())
        places = load_places(content)
    except (RubricError, PlacesError) as exc:
        raise PluginError(str(exc)) from None
    except LookupError as exc:
        raise PluginError(f"{rubrics_dir(content)}: {exc}") from None
    for commune in places.communes:
        try:
            rubric.threshold_for(commune.threshold_band)
        except KeyError:
            raise PluginError(
                f"{content / 'data' / 'places.yml'}: communes[{commune.id}].threshold_band "
                f"{commune.threshold_band!r} has no threshold in {rubric.source_file}") from None
    _state.update(rubric=rubric, places=places)
    return config


def on_files(files: Files, config: MkDocsConfig) -> Files:
    rubric, places = _state["rubric"], _state["places"]
    data = assessment_template.build_template(rubric, [c.name for c in places.communes])
    files.append(File.generated(config, f"tu-danh-gia/{assessment_template.FILENAME}", content=data))
    return files


def on_page_content(html: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    if page.file.src_uri != PAGE_SRC:
        return html
    if MARKER not in html:
        raise PluginError(f"{PAGE_SRC}: the marker {MARKER} is missing (the form goes there)")
    base = get_relative_url(".", page.url).rstrip("/") + "/"
    defaults = Config.from_env()
    form = assessment_view.render_form(
        _state["rubric"], _state["places"], base=base,
        max_file_bytes=defaults.assessment_max_file_bytes, max_total_bytes=defaults.assessment_max_total_bytes,
        upload_ahead_bytes=defaults.assessment_upload_ahead_bytes,
    )
    return html.replace(MARKER, form, 1)
