"""A bare DRF create on the same stack (token auth, throttles, JSON renderer): what one insert costs."""

from rest_framework import generics, serializers

from .models import BenchRow


class BenchRowSerializer(serializers.ModelSerializer):
    class Meta:
        model = BenchRow
        fields = ["id", "lat", "lng", "description", "created_at"]


class BenchRowCreateView(generics.CreateAPIView):
    queryset = BenchRow.objects.all()
    serializer_class = BenchRowSerializer
