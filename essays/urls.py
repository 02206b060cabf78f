from django.urls import path

from . import views

app_name = "essays"

urlpatterns = [
    path("", views.essay_list, name="list"),
    path("essays/<int:pk>/", views.essay_detail, name="detail"),
    path("essays/<int:pk>/p<int:number>/", views.paragraph_redirect, name="paragraph"),
    path("essays/<int:pk>/cite.<str:fmt>", views.essay_citation, name="citation"),
]
