"""Repeating sections in the browser: item pages, the "add another" summary and removal."""

from __future__ import annotations

from typing import Any

from flask import Flask, abort, current_app, redirect, render_template, request, url_for
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

from ..components import FieldError
from ..definitions.model import FormDefinition
from ..extensions import db
from ..i18n import N_, translate
from ..journey import Journey, RepeatSection, journey_for
from ..journey.repeats import done_key
from ..reporting import metrics
from ..security import csp_nonce
from ..submissions.models import JourneyState
from . import save_return, views
from .language import current_language
from .pages import page_view

ADD_ANOTHER = N_("Do you want to add another {item}?")
ADD_ANOTHER_REQUIRED = N_("Select yes if you want to add another {item}")
TOO_FEW = N_("You must add at least {count} {title}")
REMOVE_QUESTION = N_("Are you sure you want to remove {item} {number}?")
REMOVE_REQUIRED = N_("Select yes if you want to remove {item} {number}")
YOU_HAVE_ADDED = N_("You have added {count} of {maximum}")


def _item_url(definition: FormDefinition, page_slug: str, item: int, returning: bool = False) -> str:
    url = url_for("runner.repeat_item", slug=definition.slug, page_slug=page_slug, item=item)
    return f"{url}?return={views.RETURN_TO_CHECK}" if returning else url


def _summary_url(definition: FormDefinition, section: RepeatSection) -> str:
    return url_for("runner.repeat_summary", slug=definition.slug, repeat_id=section.repeat.id)


def _open(slug: str, repeat_id: str) -> tuple[FormDefinition, JourneyState, Journey, RepeatSection] | Any:
    opened = views._open_journey(slug)
    if not isinstance(opened, tuple):
        return opened
    definition, state = opened
    journey = journey_for(definition)
    section = journey.repeats.get(repeat_id)
    if section is None:
        abort(404)
    if not journey.can_visit(section, state.answers):
        return redirect(views._page_url(definition, journey.first_incomplete_page(state.answers)))
    return definition, state, journey, section


def _text(message: str, language: str, **values: Any) -> str:
    return translate(message, language).format(**values)


def repeat_item(slug: str, page_slug: str, item: int) -> Any:
    """A page of the repeat for item number `item` (1, 2, ...)."""
    current = views._registry().get(slug)
    section_of = journey_for(current).section_of if current is not None else {}
    if page_slug not in section_of:
        abort(404)
    opened = _open(slug, section_of[page_slug].repeat.id)
    if not isinstance(opened, tuple):
        return opened
    definition, state, journey, section = opened
    page = journey.page(page_slug)
    if page is None or journey.section_of.get(page_slug) is not section:
        abort(404)
    answers = state.answers
    count = section.count(answers)
    index = item - 1
    if not 0 <= index <= count or index >= section.repeat.max_items:
        return redirect(_summary_url(definition, section))
    item_pages = section.item_pages(answers, index)
    merged = section.item_answers(answers, index)
    for earlier in item_pages:
        if earlier is page:
            break
        if not earlier.is_complete(merged):
            return redirect(_item_url(definition, earlier.page.slug, item))
    else:
        return redirect(_summary_url(definition, section))
    returning = request.args.get("return") == views.RETURN_TO_CHECK
    language = current_language()
    errors: dict[str, FieldError] = {}
    if request.method == "POST":
        formdata = {k: request.form.getlist(k) for k in request.form if k not in ("csrf_token", "action")}
        result = page.validate(formdata, merged, language)
        saving = request.form.get("action") == save_return.SAVE_ACTION
        if result.is_valid:
            items = [dict(i) for i in section.items(answers)]
            if index == len(items):
                items.append({})
            items[index].update(result.answers)
            state.answers = {**answers, section.repeat.id: items}
            db.session.commit()
            if saving:
                return save_return.ask_for_email(definition, page, saved=True)
            later = section.item_pages(state.answers, index)
            following = later[later.index(page) + 1 :] if page in later else []
            if following:
                return redirect(_item_url(definition, following[0].page.slug, item, returning))
            if returning:
                return redirect(views._page_url(definition, journey.first_incomplete_page(state.answers)))
            return redirect(_summary_url(definition, section))
        if saving:
            return save_return.ask_for_email(definition, page, saved=False)
        errors = result.errors
    else:
        formdata = page.formdata(merged)
    position = item_pages.index(page)
    if returning:
        back = url_for("runner.check_answers", slug=slug)
    elif position > 0:
        back = _item_url(definition, item_pages[position - 1].page.slug, item)
    elif count:
        back = _summary_url(definition, section)
    else:
        previous = journey.previous_page(section, answers)
        back = views._page_url(definition, previous) if previous else url_for("runner.start", slug=slug)
    html = page_view(definition, page, language, current_app.extensions["forms_engine.chrome"]).render(
        formdata, errors, csp_nonce(), generate_csrf(), back, merged
    )
    metrics.record_page_seen(state.id, page.page.path)
    return views._no_store(html)


def _summary_rows(definition: FormDefinition, section: RepeatSection, answers: Any, language: str) -> list:
    rows = []
    name = section.repeat.item_name.in_language(language)
    for index, item in enumerate(section.items(answers)):
        pages = section.item_pages(answers, index)
        first = next((h for p in pages for h in p.questions), None)
        value = first.display(item.get(first.name), language) if first is not None else Markup("")
        label = f"{name[:1].upper()}{name[1:]} {index + 1}"
        rows.append(
            {
                "key": {"text": label},
                "value": {"html": value},
                "actions": {
                    "items": [
                        {
                            "href": _item_url(definition, pages[0].page.slug, index + 1),
                            "text": translate("Change", language),
                            "visuallyHiddenText": label,
                        },
                        {
                            "href": url_for(
                                "runner.repeat_remove",
                                slug=definition.slug,
                                repeat_id=section.repeat.id,
                                item=index + 1,
                            ),
                            "text": translate("Remove", language),
                            "visuallyHiddenText": label,
                        },
                    ]
                },
            }
        )
    return rows


def repeat_summary(slug: str, repeat_id: str) -> Any:
    """The "add another" page: every item with Change and Remove, and whether to add another."""
    opened = _open(slug, repeat_id)
    if not isinstance(opened, tuple):
        return opened
    definition, state, journey, section = opened
    answers = state.answers
    count = section.count(answers)
    repeat = section.repeat
    first_page = section.pages[0].page.slug
    if count == 0:
        return redirect(_item_url(definition, first_page, 1))
    for index in range(count):
        unfinished = section.first_incomplete_in_item(answers, index)
        if unfinished is not None:
            return redirect(_item_url(definition, unfinished.page.slug, index + 1))
    language = current_language()
    item_name = repeat.item_name.in_language(language)
    error = None
    if request.method == "POST":
        choice = request.form.get("addAnother")
        if count >= repeat.max_items or choice == "no":
            if count < repeat.min_items:
                error = _text(
                    TOO_FEW,
                    language,
                    count=repeat.min_items,
                    title=repeat.title.in_language(language).lower(),
                )
            else:
                state.answers = {**answers, done_key(repeat.id): True}
                db.session.commit()
                following = journey.next_page(section, state.answers)
                return redirect(views._page_url(definition, following))
        elif choice == "yes":
            state.answers = {**answers, done_key(repeat.id): False}
            db.session.commit()
            return redirect(_item_url(definition, first_page, count + 1))
        else:
            error = _text(ADD_ANOTHER_REQUIRED, language, item=item_name)
    previous = journey.previous_page(section, answers)
    html = render_template(
        "runner/repeat_summary.html",
        page_title=(translate("Error: ", language) if error else "") + repeat.title.in_language(language),
        service_title=definition.title.in_language(language),
        service_url=url_for("runner.start", slug=slug),
        heading=repeat.title.in_language(language),
        added=_text(YOU_HAVE_ADDED, language, count=count, maximum=repeat.max_items),
        rows=_summary_rows(definition, section, answers, language),
        can_add=count < repeat.max_items,
        question=_text(ADD_ANOTHER, language, item=item_name),
        error=error,
        back_url=views._page_url(definition, previous) if previous else url_for("runner.start", slug=slug),
        csrf_token=generate_csrf(),
    )
    metrics.record_page_seen(state.id, metrics.repeat_summary_page(repeat.id))
    return views._no_store(html)


def repeat_remove(slug: str, repeat_id: str, item: int) -> Any:
    """Confirm, on a page of its own, before removing an item."""
    opened = _open(slug, repeat_id)
    if not isinstance(opened, tuple):
        return opened
    definition, state, _journey, section = opened
    answers = state.answers
    if not 1 <= item <= section.count(answers):
        return redirect(_summary_url(definition, section))
    language = current_language()
    item_name = section.repeat.item_name.in_language(language)
    error = None
    if request.method == "POST":
        choice = request.form.get("confirm")
        if choice in ("yes", "no"):
            if choice == "yes":
                items = [dict(i) for i in section.items(answers)]
                del items[item - 1]
                state.answers = {**answers, section.repeat.id: items}
                if len(items) < section.repeat.min_items:
                    state.answers[done_key(section.repeat.id)] = False
                db.session.commit()
            return redirect(_summary_url(definition, section))
        error = _text(REMOVE_REQUIRED, language, item=item_name, number=item)
    question = _text(REMOVE_QUESTION, language, item=item_name, number=item)
    html = render_template(
        "runner/repeat_remove.html",
        page_title=(translate("Error: ", language) if error else "") + question,
        service_title=definition.title.in_language(language),
        service_url=url_for("runner.start", slug=slug),
        question=question,
        error=error,
        back_url=_summary_url(definition, section),
        csrf_token=generate_csrf(),
    )
    return views._no_store(html)


def init_app(app: Flask) -> None:
    app.add_url_rule(
        "/<slug>/<page_slug>/<int:item>", "runner.repeat_item", repeat_item, methods=["GET", "POST"]
    )
    app.add_url_rule(
        "/<slug>/repeat/<repeat_id>", "runner.repeat_summary", repeat_summary, methods=["GET", "POST"]
    )
    app.add_url_rule(
        "/<slug>/repeat/<repeat_id>/remove/<int:item>",
        "runner.repeat_remove",
        repeat_remove,
        methods=["GET", "POST"],
    )
