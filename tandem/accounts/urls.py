from django.contrib.auth import views as auth_views
from django.urls import URLPattern, URLResolver, path

from tandem.accounts import views

urlpatterns: list[URLPattern | URLResolver] = [
    path(
        "login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    # Django's LogoutView only accepts POST, so signing out needs the CSRF token.
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("preferences/", views.preferences, name="preferences"),
    path("preferences/external-services/", views.external_services, name="external-services"),
]
