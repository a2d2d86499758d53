"""URLs of the 路演 (live pitch), issue #4; added to grants/urls.py under the "grants" namespace."""

from django.urls import path

from grants.views import pitch

urlpatterns: list = [
    # Officer workspace
    path("workspace/calls/<int:pk>/pitch/", pitch.call_sessions, name="pitch_sessions"),
    path("workspace/pitch/<int:pk>/", pitch.session_detail, name="pitch_session"),
    path("workspace/pitch/<int:pk>/schedule/", pitch.schedule, name="pitch_schedule"),
    path("workspace/pitch/<int:pk>/slots/<int:slot>/move/", pitch.move_slot, name="pitch_move"),
    path("workspace/pitch/<int:pk>/slots/<int:slot>/start/", pitch.start_slot, name="pitch_start"),
    # Judges (phone) and the room display
    path("review/pitch/<int:pk>/", pitch.judge, name="pitch_judge"),
    path("review/pitch/<int:pk>/live/", pitch.judge_live, name="pitch_judge_live"),
    path("review/pitch/<int:pk>/slots/<int:slot>/", pitch.judge, name="pitch_judge_slot"),
    path("review/pitch/<int:pk>/slots/<int:slot>/declare/", pitch.declare, name="pitch_declare"),
    path("review/pitch/<int:pk>/slots/<int:slot>/score/", pitch.score, name="pitch_score"),
    path("review/pitch/<int:pk>/board/", pitch.board_page, name="pitch_board"),
    path("review/pitch/<int:pk>/board/live/", pitch.board_live, name="pitch_board_live"),
]
