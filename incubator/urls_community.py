from django.urls import path
from django.views.generic import RedirectView

from incubator.views import community, community_people, community_resources

app_name = "community"

# Mounted at /community/ (yichuang/urls.py).
urlpatterns = [
    path("", RedirectView.as_view(pattern_name="community:proposal_list"), name="index"),
    # 三事分流: resident proposals
    path("proposals/", community.proposal_list, name="proposal_list"),
    path("proposals/new/", community.proposal_create, name="proposal_create"),
    path("proposals/manage/", community.proposal_manage, name="proposal_manage"),
    path("proposals/<int:pk>/", community.proposal_detail, name="proposal_detail"),
    path("proposals/<int:pk>/vote/", community.proposal_vote, name="proposal_vote"),
    path("proposals/<int:pk>/classify/", community.proposal_classify, name="proposal_classify"),
    path(
        "proposals/<int:pk>/open-voting/",
        community.proposal_open_voting,
        name="proposal_open_voting",
    ),
    path(
        "proposals/<int:pk>/close-voting/",
        community.proposal_close_voting,
        name="proposal_close_voting",
    ),
    path(
        "proposals/<int:pk>/micro-call/", community.proposal_micro_call, name="proposal_micro_call"
    ),
    path(
        "proposals/<int:pk>/application-draft/",
        community.proposal_application_draft,
        name="proposal_application_draft",
    ),
    # 五社联动
    path("wushe/", community.wushe, name="wushe"),
    path(
        "applications/<int:pk>/partners/",
        community_resources.application_partners,
        name="application_partners",
    ),
    # Social workers
    path("social-workers/", community_people.certification_report, name="certification_report"),
    path(
        "social-workers/<int:pk>/edit/",
        community_people.social_worker_edit,
        name="social_worker_edit",
    ),
    path(
        "organisations/<int:pk>/social-workers/",
        community_people.organisation_social_workers,
        name="organisation_social_workers",
    ),
    path(
        "organisations/<int:pk>/social-workers/new/",
        community_people.social_worker_create,
        name="social_worker_create",
    ),
    # Charitable resources
    path("resources/", community_resources.resources, name="resources"),
    path(
        "pledges/<int:pk>/<str:action>/",
        community_resources.pledge_action,
        name="pledge_action",
    ),
]
