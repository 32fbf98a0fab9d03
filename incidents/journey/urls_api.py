from django.urls import path

from . import api

app_name = "signals-api"

urlpatterns = [
    path("", api.signal_ingest, name="ingest"),
    path("context/", api.customer_context, name="customer-context"),
]
