"""Vietnamese first: the language is the one the visitor chose with the switch (Django's language cookie), else
Vietnamese — never guessed from the browser's Accept-Language, so a citizen on an English-language phone still
lands on the Vietnamese portal and switches with one click.

The web API (``/api/``) is read by programs, which have no switch: its messages follow the request's
Accept-Language (Vietnamese or English), else Vietnamese. The error codes are the same in both."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.middleware.locale import LocaleMiddleware
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.translation.trans_real import parse_accept_lang_header

API_PREFIX = "/api/"


def _accepted(request: HttpRequest) -> str:
    supported = dict(settings.LANGUAGES)
    for tag, _quality in parse_accept_lang_header(request.headers.get("Accept-Language", "")):
        language = tag.split("-")[0].lower()
        if language in supported:
            return language
    return settings.LANGUAGE_CODE


class VietnameseFirstLocaleMiddleware(LocaleMiddleware):
    def process_request(self, request: HttpRequest) -> None:
        if request.path.startswith(API_PREFIX):
            language = _accepted(request)
        else:
            chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
            language = chosen if chosen in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        response = super().process_response(request, response)
        if request.path.startswith(API_PREFIX):
            patch_vary_headers(response, ("Accept-Language",))  # caches keep one answer per language
        return response
