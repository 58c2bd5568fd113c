"""No API tokens in the admin. Django REST framework's authtoken app registers an admin
that lists every user's token in full: a page showing secrets, and with another user's
token an operator would read that user's private meetings through the API, which the
admin itself shows as Busy (issue 15, findings 2 and 9). Operators issue and rotate tokens
with `tandem manage api_token USERNAME [--rotate]`."""

from django.contrib import admin
from rest_framework.authtoken.models import TokenProxy

if admin.site.is_registered(TokenProxy):
    admin.site.unregister(TokenProxy)
