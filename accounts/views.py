from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render


@login_required
def dashboard(request):
    memberships = request.user.memberships.filter(is_active=True).select_related("organisation", "community")
    return render(request, "accounts/dashboard.html", {"memberships": memberships})
