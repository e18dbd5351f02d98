"""Public views: thin. Every query starts from ``Commitment.objects.public()``."""

from django.shortcuts import get_object_or_404, render

from . import status as status_scale
from .models import Commitment, StatusUpdate


def home(request):
    public = Commitment.objects.public()
    counts = public.by_status_counts()
    scale = [(info, counts[info.slug]) for info in status_scale.scale()]
    return render(request, "commitments/home.html", {"total": sum(counts.values()), "scale": scale})


def commitment_detail(request, slug: str):
    commitment = get_object_or_404(
        Commitment.objects.public()
        .select_related("source", "attributed_to")
        .prefetch_related("actors", "countries", "themes"),
        slug=slug,
    )
    updates = (
        StatusUpdate.objects.published().filter(commitment=commitment).effective_order().prefetch_related("evidence")
    )
    return render(
        request,
        "commitments/detail.html",
        {"commitment": commitment, "status": status_scale.info(commitment.current_status), "updates": updates},
    )
