"""Page-number pagination of every list, with a bounded page size."""

from django.conf import settings
from rest_framework.pagination import PageNumberPagination


class ApiPagination(PageNumberPagination):
    page_size = settings.API_PAGE_SIZE
    max_page_size = settings.API_MAX_PAGE_SIZE
    page_size_query_param = "page_size"
    page_query_param = "page"
    invalid_page_message = "Page introuvable : {message}"

    def get_schema_operation_parameters(self, view):
        # The bounds the lists check (api.filters.ListParams): beyond them, a 400.
        from .filters import MAX_PAGE

        bounds = {"page": MAX_PAGE, "page_size": self.max_page_size}
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["schema"].update(minimum=1, maximum=bounds[parameter["name"]])
        return parameters

    def get_paginated_response_schema(self, schema):
        response = super().get_paginated_response_schema(schema)
        response["required"] = ["count", "next", "previous", "results"]
        return response
