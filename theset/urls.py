from django.contrib import admin
from django.urls import path

from theset.api import api

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", api.urls),
]
