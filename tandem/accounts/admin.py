from django.contrib import admin

from tandem.accounts.models import Preferences


@admin.register(Preferences)
class PreferencesAdmin(admin.ModelAdmin):
    list_display = ["user", "time_zone", "date_format", "time_format"]
    list_filter = ["time_zone"]
    search_fields = ["user__username", "user__email"]
    list_select_related = ["user"]
