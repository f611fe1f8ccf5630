"""Small findings of issue 15: the favicon, the birth-place list in Vietnamese order, money with separators."""

from __future__ import annotations

import re
from datetime import date

import pytest
from django.contrib.staticfiles import finders
from django.template import Context, Template
from django.test import Client
from django.utils import translation

from dancu.core.collation import vietnamese_sort_key
from tests import factories

pytestmark = pytest.mark.django_db
PASSWORD = "Hoa-mai-vang-2026"


def test_the_favicon_is_there() -> None:
    response = Client().get("/favicon.ico")
    assert response.status_code == 301 and response["Location"].endswith("favicon.svg")
    assert finders.find("favicon.svg")
    page = Client().get("/portal/dang-nhap/").content.decode()
    assert 'rel="icon"' in page and "favicon.svg" in page


def test_the_birth_place_list_is_in_vietnamese_order() -> None:
    mother = factories.person(full_name="Đinh Thị Thu", sex="F", birth_date=date(1996, 1, 20), residence="00004")
    factories.account(mother, password=PASSWORD)
    client = Client()
    assert client.post("/portal/dang-nhap/", {"pin": mother.pin, "password": PASSWORD}).status_code == 302
    form = client.get("/portal/thu-tuc/khai-sinh/").content.decode()
    select = form.split('id="child_birth_commune"', 1)[1].split("</select>", 1)[0]
    names = re.findall(r">([^<]+)</option>", select)
    assert len(names) > 20
    assert names == sorted(names, key=vietnamese_sort_key)
    assert names != sorted(names)  # code points would put "Đ" after "Z": the order really is Vietnamese
    assert "portal/portal.js" in form  # the search box over the long list


@pytest.mark.parametrize(("language", "shown"), [("vi", "23.400.000\u00a0đ"), ("en", "23,400,000\u00a0VND")])
def test_money_has_separators_in_the_pages_language(language: str, shown: str) -> None:
    template = Template("{% load money %}{{ amount|vnd }}|{{ text|vnd }}")
    with translation.override(language):
        assert template.render(Context({"amount": 23_400_000, "text": "23,400,000"})) == f"{shown}|{shown}"
