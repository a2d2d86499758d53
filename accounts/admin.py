from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from accounts.models import Membership, RoleGroup, User


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    raw_id_fields = ["organisation", "community"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    inlines = [MembershipInline]
    fieldsets = (
        *BaseUserAdmin.fieldsets,
        (
            "Yichuang",
            {"fields": ("display_name", "phone", "preferred_language", "email_frequency")},
        ),
    )
    list_display = ("username", "display_name", "email", "is_staff", "is_active")


@admin.register(RoleGroup)
class RoleGroupAdmin(admin.ModelAdmin):
    list_display = ("role", "group")
    list_filter = ("role",)
