"""The officials' registry API (django-ninja): reads for officials, and the domain services as write endpoints.

Every refusal is a 4xx with ``{"code", "message", "field"}``; codes are listed in docs/api.md.

``router`` (``dancu.api`` mounts it at ``/api/v1/``) lives in ``common``; importing ``reads`` then ``writes`` adds
their endpoints to it, in the order the OpenAPI document lists them. Request bodies are in ``bodies``, answers in
``schemas``, refusals in ``errors``.
"""

from dancu.registry.api import reads, writes  # noqa: F401  (registers the endpoints on the router)
from dancu.registry.api.common import router

__all__ = ["router"]
