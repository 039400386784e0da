"""REST views of departments: the departments cases are dispatched to."""

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from gridmgmt.api import CodeRefSerializer

from ..models import Department


class DepartmentSerializer(CodeRefSerializer):
    """A functional department: `code` is what the dispatch action takes."""


class DepartmentListView(APIView):
    @extend_schema(
        tags=["departments"],
        operation_id="departments_list",
        summary="Active departments (dispatch targets), by name",
        responses={200: DepartmentSerializer(many=True)},
    )
    def get(self, request: Request) -> Response:
        departments = Department.objects.filter(is_active=True).only("code", "name")
        return Response(DepartmentSerializer(departments, many=True).data)
