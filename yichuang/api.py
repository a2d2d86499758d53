"""The public and authenticated JSON API, /api/v1/ (OpenAPI at /api/v1/openapi.json).

Authentication: the browser session (with CSRF on writes) or a personal token sent as
``Authorization: Bearer wagtail_…`` (Wagtail's APIToken, issued in the admin or with
``manage.py api_tokens``). Each app adds its routers here.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError
from ninja.security import django_auth
from wagtail.api.v3.auth import BearerTokenAuth

from accounts.api import router as accounts_router
from cms.api_open_data import router as open_data_router
from grants.api import applications_router
from grants.api import router as grants_router
from incubator.api import router as incubator_router

api = NinjaAPI(
    title="Yichuang 益创 API",
    version="1.0.0",
    description="Calls for proposals, applications and open data of Yichuang.",
    urls_namespace="api-v1",
    auth=[django_auth, BearerTokenAuth()],
)
api.add_router("/calls", grants_router, tags=["calls"])
api.add_router("/applications", applications_router, tags=["applications"])
api.add_router("/me", accounts_router, tags=["me"])
api.add_router("/organisations", incubator_router, tags=["organisations"])
api.add_router("/open-data", open_data_router, tags=["open data"])


@api.exception_handler(AuthenticationError)
def authentication_required(request, exc):
    # Say how to authenticate, not just "Unauthorized": API users are often scripts' authors.
    return api.create_response(
        request,
        {
            "detail": _(
                "Authentication required: sign in, or send an API token as “Authorization: Bearer …”."
            )
        },
        status=401,
    )
